//! PLACEHOLDER: health domain, being written.

use serde::{Deserialize, Serialize};

use crate::sim::config::SimConfig;
use crate::sim::domains::{census, weather};
use crate::sim::output::Emit;
use crate::sim::table::Table;

pub const TABLES: &[&Table] = &[];

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct State {}

pub fn new(_config: &SimConfig, _census: &census::State) -> State {
    State::default()
}

pub fn step(
    _state: &mut State,
    _census: &census::State,
    _config: &SimConfig,
    _today: &weather::Today,
    _emit: &mut Emit,
    _first_day: bool,
) {
}
