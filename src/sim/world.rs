//! The world and its daily step. A [`Stepper`] advances the world one day at a time through a
//! [`Plan`] and hands out the rows each day produced: clean events first, truth from them, chaos
//! last. A day depends only on the world and the settings, so ten days then twenty equal thirty
//! at once, one domain at a time equals all together, and a saved world (integers and text only,
//! no floats) continues exactly where it stopped.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sim::calendar::{self, Day};
use crate::sim::chaos;
use crate::sim::config::{DOMAINS, SimConfig};
use crate::sim::domains::{census, economy, factory, health, retail, transit, utilities, weather};
use crate::sim::output::{DayOutput, Emit, Pending, SCD_HISTORY};
use crate::sim::table::{Kind, Schema, SqlType, Table, col};

/// Bumped whenever a change alters the rows a seed produces.
pub const GENERATOR_VERSION: u32 = 4;

pub const CALENDAR: Table = Table {
    domain: "calendar",
    schema: Schema::Raw,
    name: "calendar_days",
    kind: Kind::Static,
    description: "The Uxcestershire calendar, one row per simulated day: 360-day years of twelve 30-day months. Join on `day_serial` instead of casting `ux_date`, which is not always a Gregorian date.",
    columns: &[
        col("day_serial", SqlType::Int, "Days since 20100101."),
        col(
            "ux_date",
            SqlType::Text,
            "`yyyymmdd` in the Uxcestershire calendar (`20100230` is valid).",
        ),
        col("ux_year", SqlType::Int, "Year."),
        col("ux_month", SqlType::Int, "Month, 1–12."),
        col("ux_day", SqlType::Int, "Day of the month, 1–30."),
        col("day_of_year", SqlType::Int, "0–359."),
        col("weekday", SqlType::Int, "0 = Monday … 6 = Sunday."),
        col("weekday_name", SqlType::Text, "Monday … Sunday."),
        col("season", SqlType::Text, "winter, spring, summer or autumn."),
        col("holiday", SqlType::Text, "The public holiday, if any."),
        col(
            "is_business_day",
            SqlType::Int,
            "1 on weekdays that are not holidays.",
        ),
        col(
            "proxy_date",
            SqlType::Text,
            "The proxy Gregorian date (2010-01-01 + serial) that event timestamps use.",
        ),
    ],
};

/// Every table the simulator writes, in a fixed order.
pub fn tables() -> Vec<&'static Table> {
    let mut tables: Vec<&'static Table> = vec![&CALENDAR];
    for domain in [
        weather::TABLES,
        census::TABLES,
        economy::TABLES,
        health::TABLES,
        retail::TABLES,
        transit::TABLES,
        utilities::TABLES,
        factory::TABLES,
    ] {
        tables.extend(domain.iter().copied());
    }
    tables.push(&SCD_HISTORY);
    tables.push(&chaos::LEDGER);
    tables
}

/// The domains that drive the others, in order: each may run only as far as the written ones
/// before it have, and every later domain draws from all three.
pub const UPSTREAM: [&str; 3] = ["weather", "census", "economy"];

/// The states of the upstream domains, ready to simulate `day`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Upstream {
    pub day: Day,
    pub weather: weather::State,
    pub census: census::State,
    pub economy: economy::State,
}

impl Upstream {
    fn new(config: &SimConfig) -> Upstream {
        let census = census::new(config);
        Upstream {
            day: config.start(),
            weather: weather::new(),
            economy: economy::new(config, &census),
            census,
        }
    }
}

/// The town. Each domain goes at its own pace (`uxt simulate --domains retail`): the downstream
/// domains' states are kept at their own next day, the upstream ones once, at a day no written
/// domain is behind of, and replayed forward from there when a domain further on needs them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct World {
    /// The next day of the town: the furthest any domain has reached (and the calendar's).
    pub day: Day,
    /// The next day of every domain written so far.
    pub next: BTreeMap<String, Day>,
    pub upstream: Upstream,
    pub health: health::State,
    pub retail: retail::State,
    pub transit: transit::State,
    pub utilities: utilities::State,
    pub factory: factory::State,
    /// Late rows waiting for their delivery day.
    pub pending: Vec<Pending>,
}

impl World {
    pub fn new(config: &SimConfig) -> World {
        let upstream = Upstream::new(config);
        let census = &upstream.census;
        World {
            day: config.start(),
            next: BTreeMap::new(),
            health: health::new(config, census),
            retail: retail::new(config, census),
            transit: transit::new(config),
            utilities: utilities::new(census),
            factory: factory::new(config),
            upstream,
            pending: Vec::new(),
        }
    }

    /// The next day of a domain: where it stopped, or the first day when it never ran.
    pub fn next_of(&self, domain: &str, config: &SimConfig) -> Day {
        self.next.get(domain).copied().unwrap_or(config.start())
    }
}

/// What a call simulates: the day each domain is to reach (its next day afterwards), and the
/// domains that stop short of the day asked for because a written domain upstream has not got
/// there yet.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub targets: BTreeMap<&'static str, Day>,
    /// (domain, the day it reaches, the upstream domain that holds it back).
    pub held_back: Vec<(&'static str, Day, &'static str)>,
}

impl Plan {
    /// `domains` advance until `until` (the first day not simulated): each up to where the
    /// written domains upstream of it have come, counting what this plan takes them to.
    pub fn new(world: &World, config: &SimConfig, domains: &[String], until: Day) -> Plan {
        let mut plan = Plan::default();
        for domain in DOMAINS {
            if !domains.iter().any(|d| d == domain) {
                continue;
            }
            let upstream = UPSTREAM
                .iter()
                .take_while(|u| **u != domain)
                .filter(|u| config.enabled(u));
            let mut reach = until;
            let mut holder = None;
            for up in upstream {
                let limit = plan
                    .targets
                    .get(up)
                    .copied()
                    .unwrap_or_else(|| world.next_of(up, config));
                if limit < reach {
                    reach = limit;
                    holder = Some(*up);
                }
            }
            let next = world.next_of(domain, config);
            if let Some(up) = holder {
                plan.held_back.push((domain, reach.max(next), up));
            }
            plan.targets.insert(domain, reach.max(next));
        }
        plan
    }

    /// The first day any domain of the plan simulates, and the day after the last.
    pub fn span(&self, world: &World, config: &SimConfig) -> Option<(Day, Day)> {
        let moving: Vec<(Day, Day)> = self
            .targets
            .iter()
            .map(|(domain, target)| (world.next_of(domain, config), *target))
            .filter(|(next, target)| next < target)
            .collect();
        let first = moving.iter().map(|(next, _)| *next).min()?;
        let end = moving.iter().map(|(_, target)| *target).max()?;
        Some((first, end))
    }

    /// Whether `domain` writes `day`.
    fn writes(&self, world: &World, config: &SimConfig, domain: &str, day: Day) -> bool {
        self.targets
            .get(domain)
            .is_some_and(|target| world.next_of(domain, config) <= day && day < *target)
    }
}

/// Steps a world through a plan, one day at a time, handing out each day's rows.
pub struct Stepper<'a> {
    world: World,
    config: &'a SimConfig,
    plan: Plan,
    end: Day,
    /// A copy of the upstream domains at the day no written domain will be behind of once the
    /// plan is done, when that is before its end (the world's own copy runs ahead).
    kept: Option<Upstream>,
    keep_at: Day,
}

impl<'a> Stepper<'a> {
    pub fn new(mut world: World, config: &'a SimConfig, plan: Plan) -> Stepper<'a> {
        let (first, end) = plan
            .span(&world, config)
            .unwrap_or((world.upstream.day, world.upstream.day));
        // A domain further back than the upstream copy (one never simulated before) needs the
        // upstream domains from the start again.
        if world.upstream.day > first {
            world.upstream = Upstream::new(config);
        }
        let mut finals: BTreeMap<String, Day> = world.next.clone();
        for (domain, target) in &plan.targets {
            finals.insert(domain.to_string(), *target);
        }
        let keep_at = finals.values().copied().min().unwrap_or(end).min(end);
        Stepper {
            world,
            config,
            plan,
            end,
            kept: None,
            keep_at,
        }
    }

    /// The world as it stands between two days, to save: with the upstream copy no written
    /// domain is behind of.
    pub fn snapshot(&self) -> World {
        let mut world = self.world.clone();
        if let Some(kept) = &self.kept {
            world.upstream = kept.clone();
        }
        world
    }

    /// The world when the plan is done.
    pub fn finish(mut self) -> World {
        if let Some(kept) = self.kept.take() {
            self.world.upstream = kept;
        }
        self.world
    }

    /// Simulates the next day; `None` once the plan is done.
    pub fn step(&mut self) -> Option<DayOutput> {
        let config = self.config;
        let day = self.world.upstream.day;
        if day >= self.end {
            return None;
        }
        if day == self.keep_at && self.kept.is_none() {
            self.kept = Some(self.world.upstream.clone());
        }
        let world = &mut self.world;
        let writes = |domain: &str| self.plan.writes(world, config, domain, day);
        let written: Vec<&'static str> = DOMAINS.iter().copied().filter(|d| writes(d)).collect();
        let mut output = DayOutput {
            day,
            written: written.clone(),
            ..DayOutput::default()
        };
        let mut pending = std::mem::take(&mut world.pending);
        {
            let mut emit = Emit::new(day, &mut output, &mut pending);
            let delivered: Vec<&'static Table> = tables()
                .into_iter()
                .filter(|t| written.contains(&t.domain))
                .collect();
            emit.deliver_pending(&delivered);
            if day >= world.day && !written.is_empty() {
                write_calendar(&mut emit);
                world.day = day + 1;
            }
            step_day(world, config, &written, &mut emit);
        }
        world.pending = pending;
        world.upstream.day = day + 1;
        for domain in written {
            world.next.insert(domain.to_string(), day + 1);
        }
        Some(output)
    }
}

/// One day of the town: the upstream domains always (writing when written today), then the
/// downstream domains written today.
fn step_day(world: &mut World, config: &SimConfig, written: &[&str], emit: &mut Emit) {
    let first_day = emit.day == config.start();
    let writes = |domain: &str| written.contains(&domain);
    let upstream = &mut world.upstream;
    emit.writing = writes("weather");
    let today = weather::step(&mut upstream.weather, config, emit);
    emit.writing = writes("census");
    census::step(&mut upstream.census, config, emit, first_day);
    emit.writing = writes("economy");
    economy::step(
        &mut upstream.economy,
        &upstream.census,
        config,
        emit,
        first_day,
    );
    emit.writing = true;
    let (census, economy) = (&upstream.census, &upstream.economy);
    if writes("health") {
        health::step(
            &mut world.health,
            census,
            economy,
            config,
            &today,
            emit,
            first_day,
        );
    }
    if writes("retail") {
        retail::step(
            &mut world.retail,
            census,
            economy,
            config,
            &today,
            emit,
            first_day,
        );
    }
    if writes("transit") {
        transit::step(&mut world.transit, census, config, &today, emit, first_day);
    }
    if writes("utilities") {
        utilities::step(
            &mut world.utilities,
            census,
            config,
            &today,
            emit,
            first_day,
        );
    }
    if writes("factory") {
        factory::step(&mut world.factory, census, config, emit, first_day);
    }
}

/// Steps the world forward to where the warehouse's domains stand (`loaded`: each domain's
/// next day there) without keeping the rows: the days between a saved world and the last
/// loaded ones. The step is deterministic, so this yields the world those loads left.
pub fn replay(world: World, config: &SimConfig, loaded: &BTreeMap<String, Day>) -> World {
    let mut plan = Plan::default();
    for domain in DOMAINS {
        if let Some(day) = loaded.get(domain) {
            plan.targets.insert(domain, *day);
        }
    }
    let mut stepper = Stepper::new(world, config, plan);
    while stepper.step().is_some() {}
    stepper.finish()
}

fn write_calendar(emit: &mut Emit) {
    let day = emit.day;
    emit.row(&CALENDAR, |line| {
        line.int(day)
            .text(&calendar::ux_date(day).to_string())
            .int(calendar::year(day))
            .int(calendar::month(day))
            .int(calendar::day_of_month(day))
            .int(calendar::day_of_year(day))
            .int(calendar::weekday(day))
            .text(calendar::WEEKDAY_NAMES[calendar::weekday(day) as usize])
            .text(calendar::season(day))
            .opt_text(calendar::holiday(day))
            .int(u32::from(calendar::is_business_day(day)))
            .text(&calendar::proxy_date(day));
    });
}
