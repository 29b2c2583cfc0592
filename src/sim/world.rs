//! The world and its daily step. [`step`] advances the world by one day and returns the rows
//! that day produced: clean events first, truth from them, chaos last. It depends only on the
//! world and the settings, so ten days then twenty equal thirty at once, and a saved world
//! (integers and text only, no floats) continues exactly where it stopped.

use serde::{Deserialize, Serialize};

use crate::sim::calendar::{self, Day};
use crate::sim::chaos;
use crate::sim::config::SimConfig;
use crate::sim::domains::{census, economy, factory, health, retail, transit, utilities, weather};
use crate::sim::output::{DayOutput, Emit, Pending, SCD_HISTORY};
use crate::sim::table::{Kind, Schema, SqlType, Table, col};

/// Bumped whenever a change alters the rows a seed produces.
pub const GENERATOR_VERSION: u32 = 3;

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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct World {
    /// The next day to simulate.
    pub day: Day,
    pub weather: weather::State,
    pub census: census::State,
    pub economy: economy::State,
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
        let census = census::new(config);
        World {
            day: config.start(),
            weather: weather::new(),
            economy: economy::new(config, &census),
            health: health::new(config, &census),
            retail: retail::new(config, &census),
            transit: transit::new(config),
            utilities: utilities::new(&census),
            factory: factory::new(config),
            census,
            pending: Vec::new(),
        }
    }
}

/// Advances the world one day. Weather, census and the economy always evolve, since the others
/// draw from them; each domain writes tables only when enabled.
pub fn step(world: &mut World, config: &SimConfig) -> DayOutput {
    let day = world.day;
    let first_day = day == config.start();
    let mut output = DayOutput {
        day,
        ..DayOutput::default()
    };
    let mut pending = std::mem::take(&mut world.pending);
    {
        let mut emit = Emit::new(day, &mut output, &mut pending);
        emit.deliver_pending(&tables());
        write_calendar(&mut emit);

        emit.writing = config.enabled("weather");
        let today = weather::step(&mut world.weather, config, &mut emit);
        emit.writing = config.enabled("census");
        census::step(&mut world.census, config, &mut emit, first_day);
        emit.writing = config.enabled("economy");
        economy::step(
            &mut world.economy,
            &world.census,
            config,
            &mut emit,
            first_day,
        );
        if config.enabled("health") {
            emit.writing = true;
            health::step(
                &mut world.health,
                &world.census,
                &world.economy,
                config,
                &today,
                &mut emit,
                first_day,
            );
        }
        if config.enabled("retail") {
            emit.writing = true;
            retail::step(
                &mut world.retail,
                &world.census,
                &world.economy,
                config,
                &today,
                &mut emit,
                first_day,
            );
        }
        if config.enabled("transit") {
            emit.writing = true;
            transit::step(
                &mut world.transit,
                &world.census,
                config,
                &today,
                &mut emit,
                first_day,
            );
        }
        if config.enabled("utilities") {
            emit.writing = true;
            utilities::step(
                &mut world.utilities,
                &world.census,
                config,
                &today,
                &mut emit,
                first_day,
            );
        }
        if config.enabled("factory") {
            emit.writing = true;
            factory::step(
                &mut world.factory,
                &world.census,
                config,
                &mut emit,
                first_day,
            );
        }
    }
    world.pending = pending;
    world.day += 1;
    output
}

/// Steps the world forward to `day` without keeping the rows: the days between a saved world
/// and the last loaded day. The step is deterministic, so this yields the world those loads left.
pub fn replay(world: &mut World, config: &SimConfig, day: Day) {
    while world.day < day {
        step(world, config);
    }
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
