//! The domains of Uxcestershire, one module each: its tables, its live state, and its part of
//! the daily step. Each draws only from its own streams.

pub mod census;
pub mod economy;
pub mod factory;
pub mod health;
pub mod names;
pub mod retail;
#[cfg(test)]
pub mod testing;
pub mod transit;
pub mod utilities;
pub mod weather;
