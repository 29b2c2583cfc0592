//! Loading the simulation into the warehouse, the simulator's only IO. Creates the `raw`,
//! `truth` and `uxt_sim` tables, reads where the last call stopped, and loads each day in one
//! transaction together with the advance of `uxt_sim.state.current_day`, so a day is loaded
//! exactly once even if the process dies midway. The world is generated on its own thread
//! while the previous day loads.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::adapter::{Adapter, Cell, CsvRows, DbError, DbResult, quote, quote_literal};
use crate::sim::calendar::{self, DateCache, Day};
use crate::sim::config::SimConfig;
use crate::sim::output::DayOutput;
use crate::sim::table::{Kind, Line, Table};
use crate::sim::world::{self, GENERATOR_VERSION, World};

/// A saved world is written at least this often, so a resumed run replays few days.
const SNAPSHOT_EVERY: Day = 30;

/// Where the simulator's own bookkeeping lives.
const STATE: &str = "\"uxt_sim\".\"state\"";
const DAYS: &str = "\"uxt_sim\".\"days\"";
const WORLD: &str = "\"uxt_sim\".\"world\"";

fn qualified(table: &Table) -> String {
    format!("{}.{}", quote(table.schema_name()), quote(table.name))
}

fn stage(table: &Table) -> String {
    format!("\"uxt_sim\".{}", quote(&format!("stage_{}", table.name)))
}

/// `create ... if not exists` for every schema and table; safe to run on every call.
pub fn setup_statements() -> Vec<String> {
    let mut statements: Vec<String> = ["raw", "truth", "uxt_sim"]
        .iter()
        .map(|schema| format!("create schema if not exists {}", quote(schema)))
        .collect();
    for table in world::tables() {
        let columns = table
            .all_columns()
            .map(|c| format!("{} {}", quote(c.name), c.sql_type.sql()))
            .collect::<Vec<_>>()
            .join(", ");
        statements.push(format!(
            "create table if not exists {} ({columns})",
            qualified(table)
        ));
        if table.kind == Kind::Current {
            statements.push(format!(
                "create table if not exists {} ({columns})",
                stage(table)
            ));
        }
    }
    statements.push(format!(
        "create table if not exists {STATE} (current_day integer, start_day integer, seed varchar, \
         config_hash varchar, generator_version integer, config varchar)"
    ));
    statements.push(format!(
        "create table if not exists {DAYS} (day_serial integer, ux_date varchar, rows_loaded bigint)"
    ));
    statements.push(format!(
        "create table if not exists {WORLD} (day_serial integer, state varchar)"
    ));
    statements
}

/// Drops every table the simulator made (`--reset`); models built on them are rebuilt by the
/// next `uxt run`.
pub fn reset_statements() -> Vec<String> {
    let mut statements: Vec<String> = world::tables()
        .iter()
        .flat_map(|table| {
            let mut drops = vec![format!("drop table if exists {} cascade", qualified(table))];
            if table.kind == Kind::Current {
                drops.push(format!("drop table if exists {} cascade", stage(table)));
            }
            drops
        })
        .collect();
    for table in [STATE, DAYS, WORLD] {
        statements.push(format!("drop table if exists {table} cascade"));
    }
    statements
}

/// What the warehouse says about an earlier simulation.
#[derive(Debug, Clone)]
pub struct Saved {
    pub current_day: Day,
    pub seed: String,
    pub config_hash: String,
    pub generator_version: u32,
}

pub async fn read_saved(adapter: &dyn Adapter) -> DbResult<Option<Saved>> {
    let result = adapter
        .query(&format!(
            "select current_day, seed, config_hash, generator_version from {STATE}"
        ))
        .await?;
    let Some(row) = result.rows.first() else {
        return Ok(None);
    };
    let int = |cell: &Cell| match cell {
        Cell::Int(value) => u32::try_from(*value).ok(),
        Cell::Text(text) => text.parse().ok(),
        _ => None,
    };
    let text = |cell: &Cell| cell.to_string();
    Ok(Some(Saved {
        current_day: int(&row[0])
            .ok_or_else(|| DbError::new("uxt_sim.state has no current day"))?,
        seed: text(&row[1]),
        config_hash: text(&row[2]),
        generator_version: int(&row[3]).unwrap_or(0),
    }))
}

/// The world as of `current_day`: the last saved world, replayed forward over days loaded
/// after it was saved (the step is deterministic, so the replay yields the same world).
pub async fn restore(
    adapter: &dyn Adapter,
    config: &SimConfig,
    current_day: Day,
) -> Result<World, DbError> {
    let result = adapter
        .query(&format!(
            "select day_serial, state from {WORLD} order by day_serial desc limit 1"
        ))
        .await?;
    let mut world = match result.rows.first() {
        Some(row) => match &row[1] {
            Cell::Text(json) => serde_json::from_str::<World>(json).map_err(|e| {
                DbError::new(format!("the saved world in uxt_sim.world cannot be read ({e}); run `uxt simulate --reset`"))
            })?,
            _ => World::new(config),
        },
        None => World::new(config),
    };
    while world.day < current_day {
        world::step(&mut world, config);
    }
    Ok(world)
}

/// Starts a fresh simulation: records the seed, settings and generator version.
pub fn start_statements(config: &SimConfig) -> Vec<String> {
    let settings = serde_json::to_string(config).expect("the settings serialize to JSON");
    vec![
        format!("delete from {STATE}"),
        format!(
            "insert into {STATE} values ({}, {}, {}, {}, {GENERATOR_VERSION}, {})",
            config.start(),
            config.start(),
            quote_literal(&config.seed.to_string()),
            quote_literal(&config.hash()),
            quote_literal(&settings)
        ),
    ]
}

/// One day's load: the statements and batches of its transaction.
pub struct DayLoad {
    pub day: Day,
    pub before: Vec<String>,
    pub batches: Vec<CsvRows>,
    pub after: Vec<String>,
    /// Rows per `schema.table`, for the summary.
    pub rows: BTreeMap<String, u64>,
}

/// Turns a day's output into its transaction. Current-state rows go through a stage table and
/// replace the rows of the same key; the saved world, when given, replaces the previous one.
pub fn day_load(output: DayOutput, world: Option<&World>) -> DayLoad {
    let day = output.day;
    let mut load = DayLoad {
        day,
        before: Vec::new(),
        batches: Vec::new(),
        after: Vec::new(),
        rows: BTreeMap::new(),
    };
    let total = output.rows();
    for (name, rows) in output.tables {
        let table = rows.table;
        load.rows.insert(name, rows.rows);
        let columns: Vec<String> = table.all_columns().map(|c| c.name.to_string()).collect();
        let target = if table.kind == Kind::Current {
            let key = quote(table.columns[0].name);
            load.before.push(format!("delete from {}", stage(table)));
            load.after.push(format!(
                "delete from {} where {key} in (select {key} from {})",
                qualified(table),
                stage(table)
            ));
            load.after.push(format!(
                "insert into {} select * from {}",
                qualified(table),
                stage(table)
            ));
            load.after.push(format!("delete from {}", stage(table)));
            stage(table)
        } else {
            qualified(table)
        };
        load.batches.push(CsvRows {
            table: target,
            columns,
            data: rows.data,
        });
    }
    load.after.push(format!(
        "insert into {DAYS} values ({day}, '{}', {total})",
        calendar::ux_date(day)
    ));
    load.after
        .push(format!("update {STATE} set current_day = {}", day + 1));
    if let Some(world) = world {
        let json = serde_json::to_string(world).expect("the world serializes to JSON");
        let mut data = Vec::with_capacity(json.len() + 16);
        Line::new(&mut data, &mut DateCache::default())
            .int(world.day)
            .text(&json)
            .end();
        load.before.push(format!("delete from {WORLD}"));
        load.batches.push(CsvRows {
            table: WORLD.to_string(),
            columns: vec!["day_serial".into(), "state".into()],
            data,
        });
    }
    load
}

/// What a call to [`simulate`] did.
#[derive(Debug, Default)]
pub struct Summary {
    pub first_day: Day,
    pub days: u32,
    pub rows: BTreeMap<String, u64>,
}

/// Simulates `days` days from `world` and loads each. Generation runs on its own thread, a day
/// or two ahead of the loader; `on_day` is told of each loaded day.
pub async fn simulate(
    adapter: Arc<dyn Adapter>,
    config: SimConfig,
    mut world: World,
    days: u32,
    mut on_day: impl FnMut(Day, &BTreeMap<String, u64>),
) -> Result<Summary, DbError> {
    let first_day = world.day;
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<DayLoad>(2);
    let generator = std::thread::spawn(move || {
        for index in 0..days {
            let output = world::step(&mut world, &config);
            let last = index + 1 == days;
            let snapshot = (last || world.day % SNAPSHOT_EVERY == 0).then_some(&world);
            if sender.blocking_send(day_load(output, snapshot)).is_err() {
                return;
            }
        }
    });
    let mut summary = Summary {
        first_day,
        ..Summary::default()
    };
    let mut failure = None;
    while let Some(load) = receiver.recv().await {
        let DayLoad {
            day,
            before,
            batches,
            after,
            rows,
        } = load;
        if let Err(error) = adapter.load_rows(&before, batches, &after).await {
            failure = Some(DbError::new(format!(
                "loading day {day} ({}) failed, and nothing of it was kept: {error}",
                calendar::ux_date(day)
            )));
            break;
        }
        summary.days += 1;
        for (table, count) in &rows {
            *summary.rows.entry(table.clone()).or_default() += count;
        }
        on_day(day, &rows);
    }
    drop(receiver);
    let _ = generator.join();
    match failure {
        Some(error) => Err(error),
        None => Ok(summary),
    }
}
