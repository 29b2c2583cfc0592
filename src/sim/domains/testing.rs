//! What the domains' unit tests share: a driver that runs weather, census and the economy (not
//! written) beside one domain (written), day by day, and a reader of the rows a day wrote.

use crate::adapter::rows as encoded;
use crate::sim::config::SimConfig;
use crate::sim::domains::{census, economy, weather};
use crate::sim::output::{DayOutput, Emit, Pending};
use crate::sim::table::Table;

/// The step of the domain under test, as `world::step` calls it.
pub type Step<'a, S> =
    dyn FnMut(&mut S, &census::State, &economy::State, &weather::Today, &mut Emit, bool) + 'a;

/// Runs `days` days from day 0 and returns each day's output. `tables` are the domain's own,
/// for the delivery of its late rows.
pub fn run<S>(
    config: &SimConfig,
    days: u32,
    tables: &[&'static Table],
    new: impl FnOnce(&census::State) -> S,
    step: &mut Step<'_, S>,
) -> Vec<DayOutput> {
    let mut people = census::new(config);
    let mut economy_state = economy::new(config, &people);
    let mut weather_state = weather::new();
    let mut state = new(&people);
    let mut pending: Vec<Pending> = Vec::new();
    let mut outputs = Vec::new();
    for day in 0..days {
        let mut output = DayOutput {
            day,
            ..DayOutput::default()
        };
        let mut emit = Emit::new(day, &mut output, &mut pending);
        emit.deliver_pending(tables);
        emit.writing = false;
        let today = weather::step(&mut weather_state, config, &mut emit);
        census::step(&mut people, config, &mut emit, day == 0);
        economy::step(&mut economy_state, &people, config, &mut emit, day == 0);
        emit.writing = true;
        step(
            &mut state,
            &people,
            &economy_state,
            &today,
            &mut emit,
            day == 0,
        );
        outputs.push(output);
    }
    outputs
}

/// The rows a day wrote to `schema.table`, each value as its text (NULL as empty).
pub fn rows(output: &DayOutput, table: &str) -> Vec<Vec<String>> {
    let (schema, table) = table
        .split_once('.')
        .expect("a table is named `schema.table`");
    output.tables.get(&(schema, table)).map_or(Vec::new(), |t| {
        encoded::rows(&t.data)
            .map(|row| encoded::values(row).map(|v| v.to_string()).collect())
            .collect()
    })
}

/// Settings for a town of `population` with every chaos rule off, where raw must equal truth.
pub fn without_chaos(population: u32) -> SimConfig {
    SimConfig {
        population,
        chaos: crate::sim::config::ChaosConfig {
            enabled: false,
            ..Default::default()
        },
        ..SimConfig::default()
    }
}
