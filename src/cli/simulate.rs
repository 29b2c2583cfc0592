//! `uxt simulate`: settings, warehouse, where the last call stopped, then day after day of the
//! world loaded into `raw` and `truth`, and a summary of the rows written.

use std::collections::BTreeMap;

use super::Outcome;
use crate::adapter;
use crate::diagnostic::{Code, Diagnostic, Error, Result};
use crate::project::profile::TargetKind;
use crate::settings::{Flags, Settings};
use crate::sim::calendar;
use crate::sim::config::{self as sim_config, DOMAINS};
use crate::sim::world::{self, GENERATOR_VERSION, Plan, World};
use crate::sim::{load, memory};
use crate::ui;

/// DuckDB settings while simulating, unless the target's `settings:` give them.
/// - `memory_limit`: DuckDB keeps every block it wrote cached up to its memory limit (most of the
///   machine's memory by default), and a load reads few of them again (event feeds are
///   append-only): a small limit makes it drop them, so a long simulation's memory stays the
///   simulator's own.
/// - `threads`: the generator keeps one core busy. A DuckDB worker on that core would only take
///   time from it, and the connection that appends spins on a lock while its worker stores the
///   rows (on two cores, about a fifth of a load's CPU time went to that).
/// - `checkpoint_threshold`: at DuckDB's 16 MB of write-ahead log, nearly every group of days
///   commits with a checkpoint, which compresses again the tables' partly filled row groups and
///   merges them. Fewer, larger checkpoints do that work less often.
fn duckdb_settings() -> [(&'static str, String); 3] {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    [
        ("memory_limit", "200MB".to_string()),
        ("threads", cores.saturating_sub(1).max(1).to_string()),
        ("checkpoint_threshold", "64MB".to_string()),
    ]
}

/// The flags of `uxt simulate`, which override `simulation.yml`.
pub struct Options {
    pub days: Option<u32>,
    pub until: Option<String>,
    pub domains: Option<Vec<String>>,
    pub scale: Option<f64>,
    pub seed: Option<u64>,
    pub reset: bool,
}

pub async fn run(flags: &Flags, options: Options) -> Result<Outcome> {
    let project = super::read_project_file(flags)?;
    let target = Settings::resolve(flags, &project)?.target;
    let mut config = sim_config::load(&project)?;
    if let Some(seed) = options.seed {
        config.seed = seed;
    }
    let domains = match options.domains {
        Some(domains) => {
            if let Some(unknown) = domains.iter().find(|d| !DOMAINS.contains(&d.as_str())) {
                return Err(Error::Usage(format!(
                    "unknown domain `{unknown}` in `--domains`; the domains are {}",
                    DOMAINS.join(", ")
                )));
            }
            domains
        }
        None => config.domains.clone(),
    };
    let population = config.population;
    if let Some(scale) = options.scale {
        config.population = ((f64::from(config.population) * scale).round() as u32).max(100);
    }
    check_memory(config.population, population)?;
    let adapter = adapter::open(&target, &project.root).await?;
    let warehouse = |error: crate::adapter::DbError| {
        Error::Diagnostics(vec![
            Diagnostic::new(Code::SimulateWarehouse, error.message).with_help(
                "check the target's database; `uxt simulate --reset` starts the simulation over",
            ),
        ])
    };
    if let TargetKind::DuckDb(duckdb) = &target.kind {
        for (key, value) in duckdb_settings() {
            if !duckdb.settings.contains_key(key) {
                adapter
                    .execute(&format!("set {key} = '{value}'"))
                    .await
                    .map_err(warehouse)?;
            }
        }
    }
    if options.reset {
        adapter
            .execute_in_transaction(&load::reset_statements())
            .await
            .map_err(warehouse)?;
        ui::info("Dropped the simulated tables; starting over.");
    }
    adapter
        .execute_in_transaction(&load::setup_statements())
        .await
        .map_err(warehouse)?;
    let world = match load::read_saved(adapter.as_ref())
        .await
        .map_err(warehouse)?
    {
        None => {
            adapter
                .execute_in_transaction(&load::start_statements(&config))
                .await
                .map_err(warehouse)?;
            World::new(&config)
        }
        Some(saved) => {
            if saved.config_hash != config.hash() || saved.generator_version != GENERATOR_VERSION {
                return Err(Error::Diagnostics(vec![Diagnostic::new(
                    Code::SimulateChanged,
                    format!(
                        "the warehouse holds a simulation made with other settings (seed {}, settings {}, generator {}); \
                         these are seed {}, settings {}, generator {GENERATOR_VERSION}",
                        saved.seed, saved.config_hash, saved.generator_version, config.seed, config.hash()
                    ),
                )
                .with_help("continue with the settings it was made with, or start over with `uxt simulate --reset`")]));
            }
            let world = load::saved_world(adapter.as_ref(), &config)
                .await
                .map_err(warehouse)?;
            let behind: u32 = saved
                .domains
                .iter()
                .map(|(domain, day)| day.saturating_sub(world.next_of(domain, &config)))
                .max()
                .unwrap_or(0);
            if behind > 0 {
                ui::info(&format!(
                    "Replaying up to {behind} days since the world was last saved (up to {}); they are loaded already.",
                    calendar::ux_date(saved.current_day - 1)
                ));
                world::replay(world, &config, &saved.domains)
            } else {
                world
            }
        }
    };
    let furthest = domains
        .iter()
        .map(|domain| world.next_of(domain, &config))
        .max()
        .unwrap_or(world.day);
    let until = until_day(furthest, options.days, options.until.as_deref())?;
    let plan = Plan::new(&world, &config, &domains, until);
    for (domain, reached, upstream) in &plan.held_back {
        ui::info(&format!(
            "`{domain}` goes no further than {}: `{upstream}`, which it draws from, has not been simulated beyond it (`uxt simulate --domains {upstream}` first).",
            calendar::ux_date(reached.saturating_sub(1))
        ));
    }
    let Some((first, end)) = plan.span(&world, &config) else {
        ui::info(&format!(
            "Nothing to do: the next day to simulate is {}.",
            calendar::ux_date(furthest)
        ));
        return Ok(Outcome::Success);
    };
    let moving: Vec<String> = DOMAINS
        .iter()
        .filter(|domain| {
            plan.targets
                .get(*domain)
                .is_some_and(|target| world.next_of(domain, &config) < *target)
        })
        .map(|domain| domain.to_string())
        .collect();
    let whole_town = config.domains.iter().all(|d| moving.contains(d));
    ui::info(&format!(
        "Simulating {} of Uxcestershire, {} to {} (seed {}, {} inhabitants, target {})",
        if whole_town {
            format!("{} days", end - first)
        } else {
            format!("{} ({} days)", moving.join(", "), end - first)
        },
        calendar::ux_date(first),
        calendar::ux_date(end - 1),
        config.seed,
        config.population,
        target.name
    ));
    let domain_of: BTreeMap<String, &str> = world::tables()
        .iter()
        .map(|t| (format!("{}.{}", t.schema_name(), t.name), t.domain))
        .collect();
    let mut progress = ui::SimProgress::new(&moving, end - first);
    let started = std::time::Instant::now();
    let result = load::simulate(adapter.clone(), config, world, plan, |loaded, rows| {
        let mut per_domain: BTreeMap<String, u64> = BTreeMap::new();
        for (table, count) in rows {
            let domain = domain_of.get(table).copied().unwrap_or("other");
            *per_domain.entry(domain.to_string()).or_default() += count;
        }
        let days: Vec<String> = loaded
            .iter()
            .map(|(day, _)| calendar::ux_date(*day).to_string())
            .collect();
        progress.loaded(&days, &per_domain);
    })
    .await;
    progress.finish();
    let summary = result.map_err(warehouse)?;
    let rows: Vec<(String, String, u64)> = summary
        .rows
        .iter()
        .map(|(table, count)| {
            let domain = domain_of.get(table).copied().unwrap_or("other");
            (domain.to_string(), table.clone(), *count)
        })
        .collect();
    ui::count_table(["domain", "table", "rows"], &rows);
    let total: u64 = summary.rows.values().sum();
    let seconds = started.elapsed().as_secs_f64();
    let (first, last) = (
        summary.days.iter().min().copied().unwrap_or(first),
        summary.days.iter().max().copied().unwrap_or(first),
    );
    ui::info(&format!(
        "Done. Simulated {} days ({} to {}): {total} rows in {seconds:.2}s ({:.0} rows/s).",
        summary.days.len(),
        calendar::ux_date(first),
        calendar::ux_date(last),
        total as f64 / seconds.max(1e-9)
    ));
    Ok(Outcome::Success)
}

/// Refuses a town the machine cannot hold: the allocator would abort the process mid-way.
/// `configured` is the population before `--scale`.
fn check_memory(population: u32, configured: u32) -> Result<()> {
    let needed = memory::needed(population);
    let Some(available) = memory::available().filter(|&available| needed > available) else {
        return Ok(());
    };
    let gib = |bytes: u64| bytes as f64 / f64::from(1u32 << 30);
    let fits = memory::population_that_fits(available);
    Err(Diagnostic::new(
        Code::SimulateMemory,
        format!(
            "a town of {population} inhabitants needs about {:.1} GiB of memory, and this machine has {:.1} GiB available",
            gib(needed),
            gib(available)
        ),
    )
    .with_help(format!(
        "simulate at most about {fits} inhabitants here: a `--scale` of at most {:.2} for the {configured} of the settings, or a smaller `population:`",
        fits as f64 / f64::from(configured.max(1))
    ))
    .into())
}

/// The last day the calendar can name: `99991230`.
const LAST_DAY: calendar::Day = (9999 - 2010 + 1) * calendar::DAYS_PER_YEAR - 1;

/// The first day not to simulate: `--days N` past `next`, or the day after `--until yyyymmdd`;
/// one day when neither is given. The last day stays within the calendar.
fn until_day(next: calendar::Day, days: Option<u32>, until: Option<&str>) -> Result<calendar::Day> {
    match (days, until) {
        (Some(_), Some(_)) => Err(Error::Usage("give `--days` or `--until`, not both".into())),
        (Some(days), None) if u64::from(next) + u64::from(days) > u64::from(LAST_DAY) + 1 => {
            Err(Error::Usage(format!(
                "`--days {days}` would go past {}, the last day of the Uxcestershire calendar; \
                 at most {} more days can be simulated from {}",
                calendar::ux_date(LAST_DAY),
                LAST_DAY + 1 - next.min(LAST_DAY + 1),
                calendar::ux_date(next.min(LAST_DAY))
            )))
        }
        (Some(days), None) => Ok(next + days),
        (None, Some(until)) => {
            let last = calendar::parse_ux_date(until).ok_or_else(|| {
                Error::Usage(format!(
                    "`--until {until}` is not a Uxcestershire date: write `yyyymmdd` with a month of 1–12 and a day of 1–30"
                ))
            })?;
            Ok(last + 1)
        }
        (None, None) => Ok(next + 1),
    }
}
