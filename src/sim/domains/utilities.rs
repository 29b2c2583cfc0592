//! Utilities: a power and a water meter at every dwelling that has ever been lived in, read once a
//! day as a cumulative register. Consumption follows the household's size and the weather (cold
//! days raise power use for heating, hot days raise water use); vacant dwellings draw standby
//! power only. Storms and strong wind cut power in a district for hours, so the meters hit
//! consume less. Missed reads arrive as nulls (the next read covers both days). Truth:
//! `truth.utilities_daily` per day, district and kind.

use serde::{Deserialize, Serialize};

use crate::sim::calendar::{self, Day};
use crate::sim::chaos;
use crate::sim::config::SimConfig;
use crate::sim::domains::{census, weather};
use crate::sim::output::Emit;
use crate::sim::random::Stream;
use crate::sim::sorted;
use crate::sim::table::{Kind, Schema, SqlType, Table, col};

pub const METERS: Table = Table {
    domain: "utilities",
    schema: Schema::Raw,
    name: "utilities_meters",
    kind: Kind::Current,
    description: "Meters as the utility's asset register lists them today: a power and a water meter per dwelling, installed when it is first occupied. A move in or out replaces the row (status).",
    columns: &[
        col("meter_id", SqlType::Int, "Meter id, 6000001 upwards."),
        col(
            "address_id",
            SqlType::Int,
            "The dwelling (census address_id).",
        ),
        col("district_id", SqlType::Int, "The district of the dwelling."),
        col(
            "kind",
            SqlType::Text,
            "power (register in Wh) or water (register in litres).",
        ),
        col("unit", SqlType::Text, "Wh or L: the unit of the register."),
        col(
            "installed_day",
            SqlType::Int,
            "The day the meter was installed.",
        ),
        col(
            "initial_register",
            SqlType::BigInt,
            "The register at installation, before the first daily read.",
        ),
        col("status", SqlType::Text, "active (occupied) or vacant."),
        col(
            "updated_day",
            SqlType::Int,
            "The day this version was recorded.",
        ),
    ],
};

pub const READINGS: Table = Table {
    domain: "utilities",
    schema: Schema::Raw,
    name: "utilities_readings",
    kind: Kind::Events,
    description: "Daily reads of every meter's cumulative register, taken just before midnight. A day's consumption is the difference from the previous read (or from `initial_register`). Reads go missing (null register), arrive late or twice.",
    columns: &[
        col(
            "reading_id",
            SqlType::BigInt,
            "Reading id, 400000001 upwards.",
        ),
        col("meter_id", SqlType::Int, "The meter."),
        col(
            "read_at",
            SqlType::Timestamp,
            "When the meter was read (23:50–23:59 of the day).",
        ),
        col(
            "day_serial",
            SqlType::Int,
            "The simulated day the read closes.",
        ),
        col(
            "register_value",
            SqlType::BigInt,
            "The cumulative register, Wh or litres; null for a missed read.",
        ),
    ],
};

pub const OUTAGES: Table = Table {
    domain: "utilities",
    schema: Schema::Raw,
    name: "utilities_outages",
    kind: Kind::Events,
    description: "Power outages: storms and strong wind bring lines down in a district; equipment fails now and then.",
    columns: &[
        col("outage_id", SqlType::Int, "Outage id, 60001 upwards."),
        col("district_id", SqlType::Int, "The district hit."),
        col("cause", SqlType::Text, "storm, wind or equipment."),
        col("started_at", SqlType::Timestamp, "When power was lost."),
        col("ended_at", SqlType::Timestamp, "When power was restored."),
        col(
            "meters_affected",
            SqlType::Int,
            "Power meters without supply.",
        ),
    ],
};

pub const DAILY: Table = Table {
    domain: "utilities",
    schema: Schema::Truth,
    name: "utilities_daily",
    kind: Kind::Events,
    description: "Clean consumption per day, district and kind.",
    columns: &[
        col("day_serial", SqlType::Int, "The day."),
        col("district_id", SqlType::Int, "The district."),
        col("kind", SqlType::Text, "power or water."),
        col(
            "consumption",
            SqlType::BigInt,
            "Consumption that day: Wh for power, litres for water.",
        ),
    ],
};

pub const TABLES: &[&Table] = &[&METERS, &READINGS, &OUTAGES, &DAILY];

const KINDS: [&str; 2] = ["power", "water"];
const UNITS: [&str; 2] = ["Wh", "L"];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meter {
    pub id: u32,
    pub address: u32,
    pub district: u32,
    /// 0 power, 1 water.
    pub kind: u8,
    pub installed: Day,
    pub initial: i64,
    pub register: i64,
    pub active: bool,
}

/// Meters of every dwelling ever occupied (a bounded set: the town's dwellings are fixed).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// Sorted by id; a dwelling's power meter is followed by its water meter.
    pub meters: Vec<Meter>,
    /// (address id, index of its power meter), sorted by address.
    pub by_address: Vec<(u32, u32)>,
    next_meter: u32,
    next_reading: u64,
    next_outage: u32,
}

pub fn new(_census: &census::State) -> State {
    State {
        meters: Vec::new(),
        by_address: Vec::new(),
        next_meter: 6_000_001,
        next_reading: 400_000_001,
        next_outage: 60_001,
    }
}

fn write_meter(emit: &mut Emit, meter: &Meter, change: &str) {
    let day = emit.day;
    emit.current(&METERS, u64::from(meter.id), change, |line| {
        line.int(meter.id)
            .int(meter.address)
            .int(meter.district)
            .text(KINDS[meter.kind as usize])
            .text(UNITS[meter.kind as usize])
            .int(meter.installed)
            .int(meter.initial)
            .text(if meter.active { "active" } else { "vacant" })
            .int(day);
    });
}

struct Outage {
    district: u32,
    /// Share of the district's power meters hit, in millionths.
    share_ppm: u64,
    minutes: i64,
    id: u32,
}

/// One day of the utility: meters follow who lives where, outages strike, and every meter's
/// consumption is read at the end of the day (and summed into the truth).
pub fn step(
    state: &mut State,
    census: &census::State,
    config: &SimConfig,
    today: &weather::Today,
    emit: &mut Emit,
    _first_day: bool,
) {
    let day = emit.day;
    let sizes = occupancy(census);
    install_meters(state, census, config, emit, &sizes);
    let mut chaos_rng = Stream::new(config.seed, "utilities", "chaos", day);
    let outages = cut_power(state, config, today, emit, &mut chaos_rng);
    read_meters(state, config, today, emit, &sizes, &outages, &mut chaos_rng);
}

/// Who lives where: the household size of each dwelling (index = address − 3000001).
fn occupancy(census: &census::State) -> Vec<u32> {
    let mut sizes = vec![0u32; census.addresses.len()];
    let mut household_sizes = vec![0u32; census.households.len()];
    for person in &census.people {
        if let Some(index) = sorted::position(&census.households, person.household, |h| h.id) {
            household_sizes[index] += 1;
        }
    }
    for (household, size) in census.households.iter().zip(&household_sizes) {
        sizes[(household.address - 3_000_001) as usize] += size;
    }
    sizes
}

/// New meters at dwellings occupied for the first time; status changes at the others.
fn install_meters(
    state: &mut State,
    census: &census::State,
    config: &SimConfig,
    emit: &mut Emit,
    sizes: &[u32],
) {
    let day = emit.day;
    let mut installing = Stream::new(config.seed, "utilities", "installs", day);
    for (index, size) in sizes.iter().enumerate() {
        let address = 3_000_001 + index as u32;
        if *size == 0
            || state
                .by_address
                .binary_search_by_key(&address, |a| a.0)
                .is_ok()
        {
            continue;
        }
        let position = state.by_address.partition_point(|a| a.0 < address);
        state
            .by_address
            .insert(position, (address, state.meters.len() as u32));
        let district = census.address(address).district;
        for kind in 0..2u8 {
            let initial = if kind == 0 {
                installing.between(0, 60_000) * 1000
            } else {
                installing.between(0, 900_000)
            };
            let meter = Meter {
                id: state.next_meter,
                address,
                district,
                kind,
                installed: day,
                initial,
                register: initial,
                active: true,
            };
            state.next_meter += 1;
            write_meter(emit, &meter, "created");
            state.meters.push(meter);
        }
    }
    for meter in &mut state.meters {
        let occupied = sizes[(meter.address - 3_000_001) as usize] > 0;
        if occupied != meter.active {
            meter.active = occupied;
            write_meter(emit, meter, if occupied { "occupied" } else { "vacated" });
        }
    }
}

/// Outages: storms always, strong wind often, equipment now and then; each hits a share of a
/// district's power meters for some hours.
fn cut_power(
    state: &mut State,
    config: &SimConfig,
    today: &weather::Today,
    emit: &mut Emit,
    chaos_rng: &mut Stream,
) -> Vec<Outage> {
    let seed = config.seed;
    let rates = config.rates("utilities");
    let mut outage_rng = Stream::new(seed, "utilities", "outages", emit.day);
    let start_of_day = calendar::start_of(emit.day);
    let mut outages: Vec<Outage> = Vec::new();
    for index in 0..20u32 {
        let equipment = outage_rng.chance(0.003);
        let windy = today.wind_kph > 50.0 && outage_rng.chance(0.3);
        let cause = match () {
            _ if today.storm[index as usize] => "storm",
            _ if windy => "wind",
            _ if equipment => "equipment",
            _ => continue,
        };
        let minutes = match cause {
            "storm" => outage_rng.between(120, 720),
            "wind" => outage_rng.between(60, 360),
            _ => outage_rng.between(30, 240),
        };
        let share = if cause == "equipment" {
            0.1 + 0.3 * outage_rng.unit()
        } else {
            0.4 + 0.6 * outage_rng.unit()
        };
        let starts = start_of_day + outage_rng.between(0, 86_400 - minutes * 60 - 1);
        let district = 301 + index;
        let share_ppm = (share * 1e6) as u64;
        let id = state.next_outage;
        state.next_outage += 1;
        let hit = state
            .meters
            .iter()
            .filter(|m| {
                m.kind == 0 && m.district == district && affected(seed, id, m.id, share_ppm)
            })
            .count();
        let delays = chaos::deliveries(emit, chaos_rng, &rates, &OUTAGES, u64::from(id));
        emit.event(&OUTAGES, &delays, |line| {
            line.int(id)
                .int(district)
                .text(cause)
                .timestamp(starts)
                .timestamp(starts + minutes * 60)
                .int(hit);
        });
        outages.push(Outage {
            district,
            share_ppm,
            minutes,
            id,
        });
    }
    outages
}

/// Consumption by household size and temperature (less where the power was out), the meters'
/// registers read late in the evening (some reads missed), and the truth per district.
fn read_meters(
    state: &mut State,
    config: &SimConfig,
    today: &weather::Today,
    emit: &mut Emit,
    sizes: &[u32],
    outages: &[Outage],
    chaos_rng: &mut Stream,
) {
    let day = emit.day;
    let seed = config.seed;
    let rates = config.rates("utilities");
    let start_of_day = calendar::start_of(day);
    let temp = today.temp_c;
    let heating = 1.0 + 0.06 * (12.0 - temp).max(0.0) + 0.02 * (temp - 22.0).max(0.0);
    let watering = 1.0 + 0.015 * (temp - 15.0).max(0.0);
    let mut usage = Stream::new(seed, "utilities", "usage", day);
    let mut reads = Stream::new(seed, "utilities", "reads", day);
    let mut totals = [[0i64; 2]; 20];
    for meter in &mut state.meters {
        let size = f64::from(sizes[(meter.address - 3_000_001) as usize]);
        let noise = usage.log_normal(0.0, 0.15);
        let mut amount = match (meter.kind, meter.active) {
            (0, true) => (2500.0 + 1800.0 * size) * heating * noise,
            (0, false) => 300.0 * noise,
            (_, true) => 130.0 * size * watering * noise,
            _ => 0.0,
        };
        let outage = outages.iter().find(|o| {
            meter.kind == 0
                && o.district == meter.district
                && affected(seed, o.id, meter.id, o.share_ppm)
        });
        if let Some(outage) = outage {
            amount *= 1.0 - outage.minutes as f64 / 1440.0;
        }
        let amount = amount.round() as i64;
        meter.register += amount;
        totals[(meter.district - 301) as usize][meter.kind as usize] += amount;
        let id = state.next_reading;
        state.next_reading += 1;
        let read_at = start_of_day + 86_400 - 600 + reads.between(0, 599);
        let missed = chaos_rng.chance(rates.nulls);
        if missed {
            chaos::ledger(emit, &READINGS, id, "null_value", "register_value");
        }
        let delays = chaos::deliveries(emit, chaos_rng, &rates, &READINGS, id);
        let register = meter.register;
        emit.event(&READINGS, &delays, |line| {
            line.int(id)
                .int(meter.id)
                .timestamp(read_at)
                .int(day)
                .opt_int((!missed).then_some(register));
        });
    }
    for (index, total) in totals.iter().enumerate() {
        for kind in 0..2 {
            emit.row(&DAILY, |line| {
                line.int(day)
                    .int(301 + index as u32)
                    .text(KINDS[kind])
                    .int(total[kind]);
            });
        }
    }
}

/// Whether an outage reaches a meter: a fixed draw per (outage, meter), so the count in the
/// outage row and the meters that consume less agree.
fn affected(seed: u64, outage: u32, meter: u32, share_ppm: u64) -> bool {
    let mut draw = Stream::new(seed, "utilities", "outage_reach", outage).entity(u64::from(meter));
    draw.next_u64() % 1_000_000 < share_ppm
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::domains::testing::{self, rows};
    use crate::sim::output::{DayOutput, Pending};
    use std::collections::BTreeMap;

    fn day(
        state: &mut State,
        people: &census::State,
        config: &SimConfig,
        day: Day,
        today: &weather::Today,
    ) -> DayOutput {
        let mut output = DayOutput {
            day,
            ..DayOutput::default()
        };
        let mut pending: Vec<Pending> = Vec::new();
        step(
            state,
            people,
            config,
            today,
            &mut Emit::new(day, &mut output, &mut pending),
            day == 0,
        );
        output
    }

    #[test]
    fn raw_equals_truth_without_chaos_and_cold_raises_power_use() {
        let config = testing::without_chaos(2000);
        let people = census::new(&config);
        let mut state = new(&people);
        let mild = weather::Today {
            temp_c: 15.0,
            ..weather::Today::default()
        };
        let mut registers: BTreeMap<String, (String, String, i64)> = BTreeMap::new();
        for d in 0..3 {
            let output = day(&mut state, &people, &config, d, &mild);
            for row in rows(&output, "raw.utilities_meters") {
                registers.insert(
                    row[0].clone(),
                    (row[2].clone(), row[3].clone(), row[6].parse().unwrap()),
                );
            }
            let mut raw: BTreeMap<(String, String), i64> = BTreeMap::new();
            for row in rows(&output, "raw.utilities_readings") {
                let entry = registers.get_mut(&row[1]).unwrap();
                let value: i64 = row[4].parse().unwrap();
                *raw.entry((entry.0.clone(), entry.1.clone())).or_default() += value - entry.2;
                entry.2 = value;
            }
            for row in rows(&output, "truth.utilities_daily") {
                let key = (row[1].clone(), row[2].clone());
                assert_eq!(
                    raw.get(&key).copied().unwrap_or(0),
                    row[3].parse::<i64>().unwrap(),
                    "{key:?}"
                );
            }
        }
        let power = |output: &DayOutput| -> i64 {
            rows(output, "truth.utilities_daily")
                .iter()
                .filter(|r| r[2] == "power")
                .map(|r| r[3].parse::<i64>().unwrap())
                .sum()
        };
        let cold = weather::Today {
            temp_c: -5.0,
            ..weather::Today::default()
        };
        let frozen = power(&day(&mut state.clone(), &people, &config, 3, &cold));
        let warm = power(&day(&mut state.clone(), &people, &config, 3, &mild));
        assert!(
            frozen as f64 > warm as f64 * 1.5,
            "cold {frozen} Wh, mild {warm} Wh"
        );
    }

    #[test]
    fn storms_cut_power_and_chaos_misses_reads() {
        let config = SimConfig {
            population: 2000,
            ..SimConfig::default()
        };
        let people = census::new(&config);
        let mut state = new(&people);
        let calm = weather::Today {
            temp_c: 10.0,
            ..weather::Today::default()
        };
        day(&mut state, &people, &config, 0, &calm);
        let mut storm = calm;
        storm.storm[0] = true;
        let hit = day(&mut state.clone(), &people, &config, 1, &storm);
        let quiet = day(&mut state.clone(), &people, &config, 1, &calm);
        let district = |o: &DayOutput| -> i64 {
            rows(o, "truth.utilities_daily")
                .iter()
                .find(|r| r[1] == "301" && r[2] == "power")
                .unwrap()[3]
                .parse()
                .unwrap()
        };
        assert!(
            rows(&hit, "raw.utilities_outages")
                .iter()
                .any(|r| r[1] == "301" && r[2] == "storm")
        );
        assert!(district(&hit) < district(&quiet));
        let nulls = rows(&hit, "raw.utilities_readings")
            .iter()
            .filter(|r| r[4].is_empty())
            .count();
        assert!(nulls > 0);
        assert!(
            rows(&hit, "truth.chaos_ledger")
                .iter()
                .any(|r| r[3] == "null_value")
        );
    }
}
