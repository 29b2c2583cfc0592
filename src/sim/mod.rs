//! The simulation of Uxcestershire (`uxt simulate`): a deterministic, day-by-day world whose
//! rows are loaded straight into the warehouse.
//!
//! ```text
//! config   simulation.yml / `simulation:`      -> SimConfig
//! world    World + day --step--> World', DayOutput (clean events -> truth -> chaos)
//! load     DayOutput + state advance           -> one transaction per day (raw, truth, uxt_sim)
//! ```
//!
//! Everything but [`load`] is pure: no IO, no clock, no global randomness.

pub mod calendar;
pub mod chaos;
pub mod config;
pub mod domains;
pub mod load;
pub mod memory;
pub mod output;
pub mod random;
pub mod reference;
pub mod sorted;
pub mod sources;
pub mod table;
pub mod world;
