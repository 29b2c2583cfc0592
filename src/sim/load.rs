//! Loading the simulation into the warehouse, the simulator's only IO. Creates the `raw`,
//! `truth` and `uxt_sim` tables, reads where the last call stopped, and loads each group of days
//! in one transaction together with the advance of `uxt_sim.state.current_day`, so a day is
//! loaded exactly once even if the process dies midway. The world is generated on its own
//! thread, and a group's rows are loaded while the rest of it is generated.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use base64::Engine;

use crate::adapter::{
    self, Adapter, Cell, DbError, DbResult, LoadStep, LoadSteps, RowBatch, quote, quote_literal,
};
use crate::sim::calendar::{self, Day};
use crate::sim::config::SimConfig;
use crate::sim::output::{DayOutput, TableKey, TableRows};
use crate::sim::table::{Kind, Line, Table};
use crate::sim::world::{self, GENERATOR_VERSION, Plan, Stepper, World};

/// A saved world is written at the end of every call and at least once a simulated year, so a
/// run resumed after a crash replays at most a year of generation (no loading). Saving is not
/// free: the world is megabytes of JSON.
const SNAPSHOT_EVERY: Day = 360;

/// A group of days is one transaction; it ends once it holds this many rows or days. The
/// current-state tables are upserted once per group, at a cost that grows with the tables.
const GROUP_ROWS: u64 = 1_000_000;
const GROUP_DAYS: usize = 30;

/// A group's event rows of a table go to the loader whenever this many bytes of them are held,
/// so that loading a group overlaps its generation; the rest go at the end of the group.
const STREAM_BYTES: usize = 4 << 20;

/// Where the simulator's own bookkeeping lives.
const STATE: &str = "\"uxt_sim\".\"state\"";
const DAYS: &str = "\"uxt_sim\".\"days\"";
const WORLD: &str = "\"uxt_sim\".\"world\"";
const DOMAINS: &str = "\"uxt_sim\".\"domains\"";

/// zstd's fastest regular level: a saved world is written on the generator's thread, between
/// the last day and the load that ends the call, and higher levels save little on its JSON.
const WORLD_ZSTD_LEVEL: i32 = 1;

fn qualified(table: &Table) -> String {
    format!("{}.{}", quote(table.schema_name()), quote(table.name))
}

/// The table a current-state table's changed rows are staged in, in the `uxt_sim` schema.
fn stage_name(table: &Table) -> String {
    format!("stage_{}", table.name)
}

fn stage(table: &Table) -> String {
    format!("\"uxt_sim\".{}", quote(&stage_name(table)))
}

/// The `loaded_at_query` of an event feed: when the load that delivered its latest day ran, by
/// `uxt_sim.days`, so `uxt source freshness` tells a feed the simulator stopped loading. A feed
/// that has delivered no rows yet (sparse events) is as recent as the simulator's last load.
pub fn load_time_query(table: &Table) -> String {
    format!(
        "select max(days.loaded_at) from {DAYS} as days where days.day_serial = coalesce(\
         (select max(_delivered_day) from {}), (select max(day_serial) from {DAYS}))",
        qualified(table)
    )
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
        "create table if not exists {DAYS} (day_serial integer, ux_date varchar, rows_loaded bigint, \
         loaded_at timestamp)"
    ));
    // A warehouse simulated before load times were kept gains the column; its days stay null.
    statements.push(format!(
        "alter table {DAYS} add column if not exists loaded_at timestamp"
    ));
    statements.push(format!(
        "create table if not exists {WORLD} (day_serial integer, state varchar)"
    ));
    statements.push(format!(
        "create table if not exists {DOMAINS} (domain varchar, next_day integer)"
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
    for table in [STATE, DAYS, WORLD, DOMAINS] {
        statements.push(format!("drop table if exists {table} cascade"));
    }
    statements
}

/// What the warehouse says about an earlier simulation.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The town's next day (the furthest any domain has reached).
    pub current_day: Day,
    /// The next day of each domain loaded so far.
    pub domains: BTreeMap<String, Day>,
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
    let domains = adapter
        .query(&format!("select domain, next_day from {DOMAINS}"))
        .await?
        .rows
        .iter()
        .filter_map(|row| Some((text(&row[0]), int(&row[1])?)))
        .collect();
    Ok(Some(Saved {
        domains,
        current_day: int(&row[0])
            .ok_or_else(|| DbError::new("uxt_sim.state has no current day"))?,
        seed: text(&row[1]),
        config_hash: text(&row[2]),
        generator_version: int(&row[3]).unwrap_or(0),
    }))
}

/// The last saved world (a new one when none was saved yet). It may be behind the domains'
/// loaded days after a killed run; [`world::replay`] brings it forward.
pub async fn saved_world(adapter: &dyn Adapter, config: &SimConfig) -> Result<World, DbError> {
    let result = adapter.query(&format!("select state from {WORLD}")).await?;
    match result.rows.first().map(|row| &row[0]) {
        Some(Cell::Text(state)) => unpack_world(state).map_err(|e| {
            DbError::new(format!(
                "the saved world in uxt_sim.world cannot be read ({e}); run `uxt simulate --reset`"
            ))
        }),
        _ => Ok(World::new(config)),
    }
}

/// A saved world as `uxt_sim.world.state` holds it: its JSON, compressed with zstd, in base64
/// so that the column stays text on every engine. The JSON is tens of megabytes at a large
/// scale; compressed it is about an eighth of that, which is what a load stores and the
/// engine's own compression reads over, every year of simulated time and at the end of a call.
fn pack_world(world: &World) -> String {
    let encoder = zstd::Encoder::new(Vec::new(), WORLD_ZSTD_LEVEL)
        .expect("zstd accepts its own compression levels");
    // serde_json writes a few bytes at a time; zstd takes them in larger pieces.
    let mut writer = std::io::BufWriter::new(encoder);
    serde_json::to_writer(&mut writer, world)
        .expect("the world serializes to JSON, and a Vec takes every write");
    let packed = writer
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)
        .and_then(zstd::Encoder::finish)
        .expect("compressing into a Vec cannot fail");
    base64::engine::general_purpose::STANDARD.encode(packed)
}

/// Reads what [`pack_world`] wrote, or the plain JSON that versions of uxt before it saved.
fn unpack_world(state: &str) -> Result<World, String> {
    if state.starts_with('{') {
        return serde_json::from_str(state).map_err(|e| e.to_string());
    }
    let packed = base64::engine::general_purpose::STANDARD
        .decode(state)
        .map_err(|e| format!("not base64: {e}"))?;
    let json = zstd::decode_all(packed.as_slice()).map_err(|e| format!("not zstd: {e}"))?;
    serde_json::from_slice(&json).map_err(|e| e.to_string())
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

/// Consecutive days loaded in one transaction. Small days are grouped so that each
/// transaction carries enough rows for the engine's bulk path to pay off; a group always holds
/// whole days, and its transaction advances each domain's next day (and the town's) past them.
#[derive(Debug, Default)]
pub struct Group {
    /// Each day of the group and the rows it produced.
    pub days: Vec<(Day, u64)>,
    /// The next day of each domain the group wrote.
    next: BTreeMap<&'static str, Day>,
    /// The rows not yet handed to the loader, by schema and table.
    tables: BTreeMap<TableKey, TableRows>,
    /// The rows of each table so far, handed over or held.
    counts: BTreeMap<TableKey, u64>,
}

impl Group {
    pub fn rows(&self) -> u64 {
        self.days.iter().map(|(_, rows)| rows).sum()
    }

    /// Takes in a day. Returns the event rows due to the loader now: those of each table that
    /// holds [`STREAM_BYTES`] or more.
    pub fn absorb(&mut self, output: DayOutput) -> Vec<RowBatch> {
        let mut due = Vec::new();
        if output.written.is_empty() {
            return due;
        }
        self.days.push((output.day, output.rows()));
        for domain in &output.written {
            self.next.insert(domain, output.day + 1);
        }
        // In a fixed order, so that a group's batches are handed over in the same order each run.
        let mut tables: Vec<(TableKey, TableRows)> = output.tables.into_iter().collect();
        tables.sort_unstable_by_key(|(key, _)| *key);
        for (key, rows) in tables {
            *self.counts.entry(key).or_default() += rows.rows;
            let held = match self.tables.entry(key) {
                Entry::Vacant(slot) => slot.insert(rows),
                Entry::Occupied(slot) => {
                    let held = slot.into_mut();
                    held.data.extend_from_slice(&rows.data);
                    held.rows += rows.rows;
                    held
                }
            };
            if held.table.kind != Kind::Current && held.data.len() >= STREAM_BYTES {
                let rows = self.tables.remove(&key).expect("the table's rows are held");
                due.push(batch(rows.table, rows.data));
            }
        }
        due
    }

    /// The rest of the group's transaction, after the rows handed over already: current-state
    /// rows go through a stage table and replace the rows of the same key, except in the `empty`
    /// tables, which they fill directly; the saved world, when given, replaces the previous one;
    /// the days are logged and the state advanced past them.
    fn finish(self, world: Option<&World>, empty: &BTreeSet<TableKey>) -> (Vec<LoadStep>, Loaded) {
        let last_day = self.days.last().map_or(0, |(day, _)| *day);
        let mut before = Vec::new();
        let mut batches = Vec::new();
        let mut after = Vec::new();
        let mut counts = self.counts;
        for (key, mut rows) in self.tables {
            let table = rows.table;
            if table.kind != Kind::Current {
                batches.push(batch(table, rows.data));
                continue;
            }
            // Also for one day: a day can change an entity twice (a customer created and
            // churned on the first day), and the table keeps one row per key. The rows loaded
            // are the versions kept (a current-state table's rows are never handed over early).
            latest_versions(&mut rows);
            counts.insert(key, rows.rows);
            if empty.contains(&key) {
                batches.push(batch(table, rows.data));
                continue;
            }
            let key = quote(table.columns[0].name);
            before.push(format!("delete from {}", stage(table)));
            after.push(format!(
                "delete from {} where {key} in (select {key} from {})",
                qualified(table),
                stage(table)
            ));
            after.push(format!(
                "insert into {} select * from {}",
                qualified(table),
                stage(table)
            ));
            after.push(format!("delete from {}", stage(table)));
            batches.push(RowBatch {
                schema: "uxt_sim".to_string(),
                table: stage_name(table),
                ..batch(table, rows.data)
            });
        }
        // The wall-clock time of the load (UTC), which the `uxc` source's freshness reads.
        let loaded_at = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S%.6f");
        let logged = self
            .days
            .iter()
            .map(|(day, rows)| {
                format!(
                    "({day}, '{}', {rows}, cast('{loaded_at}' as timestamp))",
                    calendar::ux_date(*day)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        after.push(format!(
            "insert into {DAYS} (day_serial, ux_date, rows_loaded, loaded_at) values {logged}"
        ));
        after.push(format!(
            "update {STATE} set current_day = greatest(current_day, {})",
            last_day + 1
        ));
        for (domain, day) in self.next {
            after.push(format!("delete from {DOMAINS} where domain = '{domain}'"));
            after.push(format!("insert into {DOMAINS} values ('{domain}', {day})"));
        }
        if let Some(world) = world {
            let mut data = Vec::new();
            Line::new(&mut data)
                .int(world.day)
                .text(&pack_world(world))
                .end();
            before.push(format!("delete from {WORLD}"));
            batches.push(RowBatch {
                schema: "uxt_sim".to_string(),
                table: "world".to_string(),
                columns: vec!["day_serial".into(), "state".into()],
                data,
            });
        }
        let steps = before
            .into_iter()
            .map(LoadStep::Run)
            .chain(batches.into_iter().map(LoadStep::Rows))
            .chain(after.into_iter().map(LoadStep::Run))
            .collect();
        let rows = counts
            .into_iter()
            .map(|((schema, table), count)| (format!("{schema}.{table}"), count))
            .collect();
        (
            steps,
            Loaded {
                days: self.days,
                rows,
            },
        )
    }
}

/// Rows of `table` for the loader.
fn batch(table: &Table, data: Vec<u8>) -> RowBatch {
    RowBatch {
        schema: table.schema_name().to_string(),
        table: table.name.to_string(),
        columns: table.all_columns().map(|c| c.name.to_string()).collect(),
        data,
    }
}

/// Keeps the last version of each key (the first value) of current-state rows, since a group
/// may change one entity more than once.
fn latest_versions(rows: &mut TableRows) {
    let data = std::mem::take(&mut rows.data);
    let encoded: Vec<&[u8]> = adapter::rows::rows(&data).collect();
    let mut last: BTreeMap<&[u8], usize> = BTreeMap::new();
    for (index, row) in encoded.iter().enumerate() {
        last.insert(adapter::rows::first_value(row), index);
    }
    let mut keep: Vec<usize> = last.into_values().collect();
    keep.sort_unstable();
    rows.rows = keep.len() as u64;
    let mut kept = Vec::with_capacity(data.len());
    for index in keep {
        kept.extend_from_slice(encoded[index]);
        adapter::rows::end_row(&mut kept);
    }
    rows.data = kept;
}

/// What a group's transaction loaded, once it is committed.
pub struct Loaded {
    pub days: Vec<(Day, u64)>,
    /// Rows per `schema.table`, for the summary.
    pub rows: BTreeMap<String, u64>,
}

/// A group on its way to the loader: its first day (for an error before it is complete), the
/// steps of its transaction as they are made, and what it loaded, sent before its commit.
struct GroupLoad {
    first_day: Day,
    steps: LoadSteps,
    loaded: tokio::sync::oneshot::Receiver<Loaded>,
}

/// The current-state tables (`schema.table`) that hold no rows yet. A fresh simulation's first
/// group carries the whole town's reference rows; into an empty table they load straight, with
/// no stage table and no upsert.
pub async fn empty_current_tables(adapter: &dyn Adapter) -> DbResult<BTreeSet<TableKey>> {
    let mut empty = BTreeSet::new();
    for table in world::tables() {
        if table.kind != Kind::Current {
            continue;
        }
        let probe = adapter
            .query(&format!("select 1 from {} limit 1", qualified(table)))
            .await?;
        if probe.rows.is_empty() {
            empty.insert((table.schema_name(), table.name));
        }
    }
    Ok(empty)
}

/// What a call to [`simulate`] did.
#[derive(Debug, Default)]
pub struct Summary {
    /// The days on which some domain was simulated.
    pub days: Vec<Day>,
    pub rows: BTreeMap<String, u64>,
}

/// Simulates `plan` from `world` and loads it a group of days at a time. Generation runs on its
/// own thread and hands each group's rows to the loader while it makes them (a table's event rows
/// whenever [`STREAM_BYTES`] of them are held, the rest at the end of the group), so loading
/// overlaps generation. A group is handed over when its first day is made, and the loader takes
/// it once the one before is loaded: at most two groups and a day are held in memory. `on_load`
/// is told of each loaded group of days.
pub async fn simulate(
    adapter: Arc<dyn Adapter>,
    config: SimConfig,
    world: World,
    plan: Plan,
    mut on_load: impl FnMut(&[(Day, u64)], &BTreeMap<String, u64>),
) -> Result<Summary, DbError> {
    let mut empty = empty_current_tables(adapter.as_ref()).await?;
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<GroupLoad>(1);
    // Named, so that a profile tells generation from loading.
    let generator = std::thread::Builder::new()
        .name("uxt-generate".into())
        .spawn(move || {
            let mut stepper = Stepper::new(world, &config, plan);
            let mut group = Group::default();
            let mut open = None;
            let mut output = stepper.step();
            while let Some(day) = output {
                let yearly = (day.day + 1).is_multiple_of(SNAPSHOT_EVERY);
                let due = group.absorb(day);
                output = stepper.step();
                let last = output.is_none();
                let Some(&(first_day, _)) = group.days.first() else {
                    continue;
                };
                let (steps, loaded) = match open.take() {
                    Some(open) => open,
                    None => {
                        let (steps, steps_receiver) = tokio::sync::mpsc::unbounded_channel();
                        let (loaded, loaded_receiver) = tokio::sync::oneshot::channel();
                        let announced = sender.blocking_send(GroupLoad {
                            first_day,
                            steps: steps_receiver,
                            loaded: loaded_receiver,
                        });
                        if announced.is_err() {
                            return;
                        }
                        (steps, loaded)
                    }
                };
                for batch in due {
                    if steps.send(LoadStep::Rows(batch)).is_err() {
                        return;
                    }
                }
                if !(last || yearly || group.rows() >= GROUP_ROWS || group.days.len() >= GROUP_DAYS)
                {
                    open = Some((steps, loaded));
                    continue;
                }
                let group = std::mem::take(&mut group);
                if last {
                    // The world is not simulated further: it is saved as it is, not copied.
                    send_rest(group, Some(&stepper.finish()), &empty, &steps, loaded);
                    return;
                }
                let world = yearly.then(|| stepper.snapshot());
                if !send_rest(group, world.as_ref(), &empty, &steps, loaded) {
                    return;
                }
                // Only the first group can find a table empty.
                empty.clear();
            }
        })
        .map_err(|e| DbError::new(format!("could not start the simulation's thread: {e}")))?;
    let mut summary = Summary::default();
    let mut failure = None;
    while let Some(group) = receiver.recv().await {
        let GroupLoad {
            first_day,
            steps,
            mut loaded,
        } = group;
        let result = adapter.load_rows(steps).await;
        let loaded = match result {
            // What the group loaded was sent before its commit.
            Ok(_) => loaded.try_recv().ok(),
            Err(error) => {
                let days = match loaded.try_recv() {
                    Ok(Loaded { days, .. }) => format!(
                        "days {} to {}",
                        calendar::ux_date(days[0].0),
                        calendar::ux_date(days[days.len() - 1].0)
                    ),
                    Err(_) => format!("the days from {} on", calendar::ux_date(first_day)),
                };
                failure = Some(DbError::new(format!(
                    "loading {days} failed, and nothing of them was kept: {error}"
                )));
                break;
            }
        };
        let Some(Loaded { days, rows }) = loaded else {
            failure = Some(DbError::new(
                "the simulation stopped before it said what it loaded",
            ));
            break;
        };
        summary.days.extend(days.iter().map(|(day, _)| *day));
        for (table, count) in &rows {
            *summary.rows.entry(table.clone()).or_default() += count;
        }
        on_load(&days, &rows);
    }
    drop(receiver);
    let _ = generator.join();
    match failure {
        Some(error) => Err(error),
        None => Ok(summary),
    }
}

/// Sends the rest of a group's transaction and its commit; what it loaded goes before the
/// commit, so the loader has it once the commit is done. False when the loader stopped.
fn send_rest(
    group: Group,
    world: Option<&World>,
    empty: &BTreeSet<TableKey>,
    steps: &tokio::sync::mpsc::UnboundedSender<LoadStep>,
    loaded: tokio::sync::oneshot::Sender<Loaded>,
) -> bool {
    let (rest, what) = group.finish(world, empty);
    for step in rest {
        if steps.send(step).is_err() {
            return false;
        }
    }
    let _ = loaded.send(what);
    steps.send(LoadStep::Commit).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::rows::{csv_text, rows};
    use crate::sim::table::{Schema, SqlType, col};

    const STORES: Table = Table {
        domain: "retail",
        schema: Schema::Raw,
        name: "stores",
        kind: Kind::Current,
        description: "",
        columns: &[
            col("store_id", SqlType::BigInt, ""),
            col("address", SqlType::Text, ""),
        ],
    };

    #[test]
    fn the_last_version_of_each_key_is_kept_whatever_its_text_holds() {
        let mut data = Vec::new();
        for (key, address) in [
            (1, "1 Mill Lane"),
            (2, "Flat 2\n3 High Street"),
            (1, "4 Quay Road,\nUxcester"),
            (10, "10 Dock Row"),
        ] {
            Line::new(&mut data).int(key).text(address).end();
        }
        let mut stores = TableRows {
            table: &STORES,
            data,
            rows: 4,
        };
        latest_versions(&mut stores);
        assert_eq!(stores.rows, 3);
        assert_eq!(rows(&stores.data).count(), 3);
        assert_eq!(
            String::from_utf8(csv_text(&stores.data)).unwrap(),
            "2,\"Flat 2\n3 High Street\"\n1,\"4 Quay Road,\nUxcester\"\n10,10 Dock Row\n"
        );
    }

    #[test]
    fn a_saved_world_is_packed_and_read_back_as_it_was_and_plain_json_still_reads() {
        let config = SimConfig {
            population: 2000,
            ..SimConfig::default()
        };
        let world = World::new(&config);
        let json = serde_json::to_string(&world).unwrap();
        let packed = pack_world(&world);
        assert!(
            packed.len() * 4 < json.len(),
            "{} of {}",
            packed.len(),
            json.len()
        );
        let read = serde_json::to_string(&unpack_world(&packed).unwrap()).unwrap();
        assert_eq!(read, json);
        let from_plain = serde_json::to_string(&unpack_world(&json).unwrap()).unwrap();
        assert_eq!(from_plain, json);
        assert!(
            unpack_world("KLUv not a world")
                .unwrap_err()
                .starts_with("not base64")
        );
    }
}
