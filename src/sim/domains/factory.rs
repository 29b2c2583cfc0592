//! The UXDM factory: smelters turn iron ore into iron plates, assemblers turn two plates into a
//! gear wheel. Production batches, sensor readings, operator logs and maintenance, with one
//! smelter per line losing 2% efficiency a day until it is maintained. Its feeds carry the full
//! chaos catalogue, and its truth (`truth.factory_daily`) is what the example project's factory
//! mart is checked against.

use serde::{Deserialize, Serialize};

use crate::sim::calendar::{self, Day, Instant};
use crate::sim::chaos;
use crate::sim::config::{Rates, SimConfig};
use crate::sim::domains::census;
use crate::sim::output::Emit;
use crate::sim::random::Stream;
use crate::sim::reference::{FactoryMachine, FactoryProduct};
use crate::sim::table::{Kind, Schema, SqlType, Table, col};

pub const MACHINES: Table = Table {
    domain: "factory",
    schema: Schema::Raw,
    name: "factory_machines",
    kind: Kind::Current,
    description: "The plant's machines as the maintenance system lists them today; firmware and status change in place.",
    columns: &[
        col("machine_id", SqlType::Int, "Machine id, 501 upwards."),
        col(
            "machine_code",
            SqlType::Text,
            "Canonical code, `SMELTER-01` or `ASSEMBLER-01`.",
        ),
        col("machine_type", SqlType::Text, "smelter or assembler."),
        col(
            "production_line",
            SqlType::Int,
            "The production line, from 1.",
        ),
        col(
            "base_rate_per_hour",
            SqlType::Int,
            "Units an hour at full efficiency.",
        ),
        col(
            "kwh_per_unit",
            SqlType::Double,
            "Energy per unit at full efficiency.",
        ),
        col("firmware", SqlType::Text, "Controller firmware version."),
        col(
            "updated_day",
            SqlType::Int,
            "The day this version was recorded.",
        ),
    ],
};

pub const PRODUCTS: Table = Table {
    domain: "factory",
    schema: Schema::Raw,
    name: "factory_products",
    kind: Kind::Static,
    description: "What the plant makes: iron ore is smelted into iron plates; two plates make a gear wheel.",
    columns: &[
        col("product_id", SqlType::Int, "Product id, 601–603."),
        col(
            "canonical_name",
            SqlType::Text,
            "Iron Ore, Iron Plate or Gear Wheel.",
        ),
        col("tier", SqlType::Text, "raw, intermediate or final."),
        col(
            "input_ratio",
            SqlType::Int,
            "Units of the previous tier per unit.",
        ),
    ],
};

pub const BATCHES: Table = Table {
    domain: "factory",
    schema: Schema::Raw,
    name: "factory_batches",
    kind: Kind::Events,
    description: "Production batches as the shop-floor system exports them. Messy: machine and product names in several spellings, some timestamps in plant local time (`clock_source = 'plant_local'`, UTC−7), duplicates and rows arriving a day or two late. No primary key.",
    columns: &[
        col(
            "batch_id",
            SqlType::BigInt,
            "Batch id (repeated by duplicate deliveries).",
        ),
        col(
            "machine_ref",
            SqlType::Text,
            "The machine, as typed: `SMELTER-01`, `Smelter-1`, `smelter_01`, `S1`...",
        ),
        col(
            "product_name",
            SqlType::Text,
            "The product, as typed: `Iron Plate`, `iron_plate`, `IRON PLATE`...",
        ),
        col(
            "started_at",
            SqlType::Timestamp,
            "Start of the batch, in the clock named by `clock_source`.",
        ),
        col(
            "ended_at",
            SqlType::Timestamp,
            "End of the batch, same clock.",
        ),
        col(
            "clock_source",
            SqlType::Text,
            "utc, or plant_local (UTC−7).",
        ),
        col(
            "units_produced",
            SqlType::Int,
            "Units made, defective ones included.",
        ),
        col("units_defective", SqlType::Int, "Units rejected."),
        col("energy_kwh", SqlType::Double, "Energy used."),
        col("operator_id", SqlType::Int, "The operator's ux_id."),
    ],
};

pub const SENSORS: Table = Table {
    domain: "factory",
    schema: Schema::Raw,
    name: "factory_sensor_readings",
    kind: Kind::Events,
    description: "Half-hourly sensor readings per machine. Values go missing, and each device's clock drifts by a few minutes.",
    columns: &[
        col("reading_id", SqlType::BigInt, "Reading id."),
        col(
            "machine_ref",
            SqlType::Text,
            "The machine, as the device names it.",
        ),
        col(
            "read_at",
            SqlType::Timestamp,
            "When the device says it read (its clock drifts).",
        ),
        col(
            "temperature_c",
            SqlType::Double,
            "Furnace or gearbox temperature.",
        ),
        col("pressure_kpa", SqlType::Double, "Hydraulic pressure."),
        col("power_kw", SqlType::Double, "Power draw."),
        col(
            "efficiency",
            SqlType::Double,
            "The controller's efficiency estimate, 0–1.",
        ),
    ],
};

pub const OPERATOR_LOGS: Table = Table {
    domain: "factory",
    schema: Schema::Raw,
    name: "factory_operator_logs",
    kind: Kind::Events,
    description: "Free-text notes operators enter at the end of each shift and at maintenance.",
    columns: &[
        col("log_id", SqlType::BigInt, "Log id."),
        col("machine_ref", SqlType::Text, "The machine, as typed."),
        col(
            "logged_at",
            SqlType::Timestamp,
            "When the note was entered (terminal clock).",
        ),
        col("operator_id", SqlType::Int, "The operator's ux_id."),
        col("note", SqlType::Text, "The note."),
    ],
};

pub const MAINTENANCE: Table = Table {
    domain: "factory",
    schema: Schema::Raw,
    name: "factory_maintenance",
    kind: Kind::Events,
    description: "Maintenance events from the maintenance system; a service restores a machine's efficiency.",
    columns: &[
        col("event_id", SqlType::BigInt, "Event id."),
        col("machine_id", SqlType::Int, "The machine (canonical id)."),
        col("day_serial", SqlType::Int, "The day of the service."),
        col("kind", SqlType::Text, "service or firmware_update."),
        col(
            "efficiency_before",
            SqlType::Double,
            "Efficiency before the service.",
        ),
    ],
};

pub const DAILY_TRUTH: Table = Table {
    domain: "factory",
    schema: Schema::Truth,
    name: "factory_daily",
    kind: Kind::Events,
    description: "Clean daily production per machine and product (by the UTC day a batch started): what a correct pipeline over the messy batches must reproduce.",
    columns: &[
        col("day_serial", SqlType::Int, "The day."),
        col("machine_id", SqlType::Int, "The machine."),
        col("product_id", SqlType::Int, "The product made."),
        col("batches", SqlType::Int, "Batches started."),
        col("units_produced", SqlType::BigInt, "Units made."),
        col("units_defective", SqlType::BigInt, "Units rejected."),
        col("energy_kwh", SqlType::Double, "Energy used."),
        col(
            "avg_efficiency",
            SqlType::Double,
            "The machine's efficiency that day.",
        ),
    ],
};

pub const TABLES: &[&Table] = &[
    &MACHINES,
    &PRODUCTS,
    &BATCHES,
    &SENSORS,
    &OPERATOR_LOGS,
    &MAINTENANCE,
    &DAILY_TRUTH,
];

/// Plant clocks run on UTC−7.
const LOCAL_OFFSET: Instant = -7 * 3600;

/// Without automatic service, a degrading machine wears down to half its efficiency (where the
/// factory system this feed imitates bottomed out).
const WORN_OUT_PPM: i64 = 500_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub id: u32,
    /// Its row in the machines seed.
    pub spec: usize,
    pub smelter: bool,
    /// The number in its code (`SMELTER-02` is 2).
    pub number: u32,
    pub line: u32,
    /// Efficiency in millionths, an integer so a saved world reloads exactly.
    pub efficiency_ppm: i64,
    pub days_since_service: u32,
    pub firmware: u32,
}

impl Machine {
    fn code(&self) -> String {
        format!("{}-{:02}", self.kind().to_uppercase(), self.number)
    }

    fn kind(&self) -> &'static str {
        if self.smelter { "smelter" } else { "assembler" }
    }
}

/// A machine's fixed data, from the seed, in the integers the step works in.
struct Spec<'a> {
    seed: &'a FactoryMachine,
    wh_per_unit: i64,
    /// The efficiency lost a day, in millionths.
    wear_ppm: i64,
    initial_ppm: i64,
}

impl Spec<'_> {
    fn of<'a>(config: &'a SimConfig, machine: &Machine) -> Spec<'a> {
        let seed = &config.reference.factory_machines[machine.spec];
        Spec {
            seed,
            wh_per_unit: (seed.kwh_per_unit * 1000.0).round() as i64,
            wear_ppm: (seed.degradation_per_day * 1e6).round() as i64,
            initial_ppm: (seed.initial_efficiency * 1e6).round() as i64,
        }
    }

    fn base_rate(&self) -> i64 {
        i64::from(self.seed.base_rate_per_hour)
    }

    fn degrades(&self) -> bool {
        self.wear_ppm > 0
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub machines: Vec<Machine>,
    /// Good output of the previous tier waiting for an assembler, per line.
    pub plate_stock: Vec<i64>,
    next_batch: u64,
    next_reading: u64,
    next_log: u64,
    next_event: u64,
}

/// The number in a seeded machine code (`SMELTER-02` is 2).
fn code_number(code: &str) -> u32 {
    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

/// The seed's plant, repeated `factory.lines` times: each copy's machines get the next ids,
/// line numbers and numbers of their kind.
pub fn new(config: &SimConfig) -> State {
    let seeded = &config.reference.factory_machines;
    let lines_per_copy = seeded.iter().map(|m| m.production_line).max().unwrap_or(1);
    let last_id = seeded.iter().map(|m| m.machine_id).max().unwrap_or(500);
    let highest = |kind: &str| {
        seeded
            .iter()
            .filter(|m| m.machine_type == kind)
            .map(|m| code_number(&m.machine_code))
            .max()
            .unwrap_or(0)
    };
    let (smelters, assemblers) = (highest("smelter"), highest("assembler"));
    let mut machines = Vec::new();
    for copy in 0..config.factory.lines {
        for (spec, seed) in seeded.iter().enumerate() {
            let smelter = seed.machine_type == "smelter";
            let per_copy = if smelter { smelters } else { assemblers };
            machines.push(Machine {
                id: if copy == 0 {
                    seed.machine_id
                } else {
                    last_id + (copy - 1) * seeded.len() as u32 + spec as u32 + 1
                },
                spec,
                smelter,
                number: code_number(&seed.machine_code) + copy * per_copy,
                line: copy * lines_per_copy + seed.production_line,
                efficiency_ppm: (seed.initial_efficiency * 1e6).round() as i64,
                days_since_service: 0,
                firmware: 1,
            });
        }
    }
    State {
        plate_stock: vec![2_000; (config.factory.lines * lines_per_copy) as usize],
        machines,
        next_batch: 10_000_001,
        next_reading: 1,
        next_log: 1,
        next_event: 1,
    }
}

struct Batch {
    id: u64,
    start: Instant,
    end: Instant,
    units: i64,
    defective: i64,
    energy_wh: i64,
    operator: u32,
}

/// One day of the plant: maintenance in the morning, then each machine's batches (and today's
/// truth), sensor readings and shift notes, and the wear of the day.
pub fn step(
    state: &mut State,
    census: &census::State,
    config: &SimConfig,
    emit: &mut Emit,
    first_day: bool,
) {
    let day = emit.day;
    let seed = config.seed;
    if first_day {
        for product in &config.reference.factory_products {
            emit.row(&PRODUCTS, |line| {
                line.int(product.product_id)
                    .text(&product.canonical_name)
                    .text(&product.tier)
                    .int(product.input_ratio);
            });
        }
    }
    let operators = census::workers_of(census, &config.reference, "UXDM");
    let mut changed = if config.factory.auto_service {
        service(state, config, emit)
    } else {
        Vec::new()
    };
    if first_day {
        changed = (0..state.machines.len()).collect();
    }
    for index in changed {
        write_machine(emit, config, &state.machines[index], first_day);
    }
    let mut streams = Streams {
        production: Stream::new(seed, "factory", "batches", day),
        chaos: Stream::new(seed, "factory", "chaos", day),
        sensors: Stream::new(seed, "factory", "sensors", day),
    };
    let rates = config.rates("factory");
    for index in 0..state.machines.len() {
        let batches = run_batches(
            state,
            config,
            index,
            day,
            &operators,
            &mut streams.production,
        );
        let machine = &state.machines[index];
        write_truth(emit, config, machine, &batches);
        write_batches(emit, config, machine, &batches, &rates, &mut streams.chaos);
        let drift = write_sensors(state, config, index, emit, &rates, &mut streams);
        write_shift_notes(state, index, emit, &operators, drift, &rates, &mut streams);
        wear(&mut state.machines[index], config);
    }
}

/// The day's streams that run through every machine in turn.
struct Streams {
    production: Stream,
    chaos: Stream,
    sensors: Stream,
}

/// A day's wear: a degrading machine loses its share of efficiency (without automatic service,
/// down to half at most).
fn wear(machine: &mut Machine, config: &SimConfig) {
    let spec = Spec::of(config, machine);
    machine.days_since_service += 1;
    if spec.degrades() {
        let worn = machine.efficiency_ppm * (1_000_000 - spec.wear_ppm) / 1_000_000;
        machine.efficiency_ppm = if config.factory.auto_service {
            worn
        } else {
            worn.max(WORN_OUT_PPM.min(machine.efficiency_ppm))
        };
    }
}

/// Services worn machines (a degrading one below 80%) and any machine due after 90 days; a
/// fifth of services also update the firmware. Returns the machines whose row changed.
fn service(state: &mut State, config: &SimConfig, emit: &mut Emit) -> Vec<usize> {
    let day = emit.day;
    let mut maintenance = Stream::new(config.seed, "factory", "maintenance", day);
    let mut changed_machines: Vec<usize> = Vec::new();
    for (index, machine) in state.machines.iter_mut().enumerate() {
        let spec = Spec::of(config, machine);
        let worn = spec.degrades() && machine.efficiency_ppm < 800_000;
        if !(worn || machine.days_since_service >= 90) {
            continue;
        }
        let before = machine.efficiency_ppm;
        machine.efficiency_ppm = if spec.degrades() {
            spec.initial_ppm
        } else {
            machine.efficiency_ppm.max(spec.initial_ppm)
        };
        machine.days_since_service = 0;
        let firmware = maintenance.chance(0.2);
        if firmware {
            machine.firmware += 1;
            changed_machines.push(index);
        }
        let id = state.next_event;
        state.next_event += 1;
        emit.event(&MAINTENANCE, &[0], |line| {
            line.int(id)
                .int(machine.id)
                .int(day)
                .text(if firmware {
                    "firmware_update"
                } else {
                    "service"
                })
                .fixed(before as f64 / 1e6, 4);
        });
    }
    changed_machines
}

fn write_machine(emit: &mut Emit, config: &SimConfig, machine: &Machine, first_day: bool) {
    let day = emit.day;
    let spec = Spec::of(config, machine);
    let change = if first_day { "created" } else { "firmware" };
    emit.current(&MACHINES, u64::from(machine.id), change, |line| {
        line.int(machine.id)
            .text(&machine.code())
            .text(machine.kind())
            .int(machine.line)
            .int(spec.base_rate())
            .fixed(spec.wh_per_unit as f64 / 1000.0, 3)
            .text(&format!(
                "v{}.{}",
                2 + machine.firmware / 10,
                machine.firmware % 10
            ))
            .int(day);
    });
}

/// A machine's batches of the day, spread over the day's slots: output by rate, hours and
/// efficiency (an assembler limited by the input in stock), a share defective around the
/// configured rate.
fn run_batches(
    state: &mut State,
    config: &SimConfig,
    index: usize,
    day: Day,
    operators: &[u32],
    production: &mut Stream,
) -> Vec<Batch> {
    let start_of_day = calendar::start_of(day);
    let machine = &state.machines[index];
    let spec = Spec::of(config, machine);
    let input_ratio = i64::from(product_of(config, machine).input_ratio.max(1));
    let line_index = (machine.line - 1) as usize;
    let efficiency = machine.efficiency_ppm as f64 / 1e6;
    let [fewest, most] = config.factory.batches_per_day;
    let count = production.between(i64::from(fewest), i64::from(most));
    let slot = calendar::SECONDS_PER_DAY / count;
    let defect_rate = config.factory.defect_rate;
    let mut batches = Vec::new();
    for number in 0..count {
        let start = start_of_day + number * slot + production.between(0, slot / 10);
        let end = start + slot * 8 / 10 + production.between(0, slot / 20);
        let hours = (end - start) as f64 / 3600.0;
        let mut units =
            (spec.base_rate() as f64 * hours * efficiency * (0.95 + 0.1 * production.unit()))
                as i64;
        if !machine.smelter {
            units = units
                .min(state.plate_stock[line_index] / input_ratio)
                .max(0);
            state.plate_stock[line_index] -= units * input_ratio;
        }
        let share = (defect_rate + defect_rate / 2.0 * production.normal(0.0, 1.0))
            .clamp(0.0, defect_rate * 4.0);
        let defective = (units as f64 * share).round() as i64;
        if machine.smelter {
            state.plate_stock[line_index] += units - defective;
        }
        let energy_wh = (units as f64 * spec.wh_per_unit as f64 / efficiency).round() as i64;
        let operator = if operators.is_empty() {
            0
        } else {
            operators[production.index(operators.len())]
        };
        batches.push(Batch {
            id: state.next_batch,
            start,
            end,
            units,
            defective,
            energy_wh,
            operator,
        });
        state.next_batch += 1;
    }
    batches
}

/// What a machine makes.
fn product_of<'a>(config: &'a SimConfig, machine: &Machine) -> &'a FactoryProduct {
    let made = Spec::of(config, machine).seed.product_id;
    config
        .reference
        .factory_products
        .iter()
        .find(|p| p.product_id == made)
        .expect("the seeds were checked: a machine makes a listed product")
}

/// Truth: the machine's clean output of the day.
fn write_truth(emit: &mut Emit, config: &SimConfig, machine: &Machine, batches: &[Batch]) {
    let day = emit.day;
    let (units, defective, energy): (i64, i64, i64) = batches.iter().fold((0, 0, 0), |t, b| {
        (t.0 + b.units, t.1 + b.defective, t.2 + b.energy_wh)
    });
    emit.row(&DAILY_TRUTH, |line| {
        line.int(day)
            .int(machine.id)
            .int(product_of(config, machine).product_id)
            .int(batches.len())
            .int(units)
            .int(defective)
            .fixed(energy as f64 / 1000.0, 3)
            .fixed(machine.efficiency_ppm as f64 / 1e6, 4);
    });
}

/// The batches as the shop-floor system exports them: machine and product as typed, some in
/// plant local time, some late or twice.
fn write_batches(
    emit: &mut Emit,
    config: &SimConfig,
    machine: &Machine,
    batches: &[Batch],
    rates: &Rates,
    chaos_rng: &mut Stream,
) {
    let product = &product_of(config, machine).canonical_name;
    for batch in batches {
        let (machine_ref, id_changed) =
            chaos::id_variant(chaos_rng, rates.id_variants, machine.kind(), machine.number);
        let (product_name, name_changed) =
            chaos::name_variant(chaos_rng, rates.name_variants, product);
        let local = chaos_rng.chance(rates.local_time);
        if id_changed {
            chaos::ledger(emit, &BATCHES, batch.id, "id_variant", &machine_ref);
        }
        if name_changed {
            chaos::ledger(emit, &BATCHES, batch.id, "name_variant", &product_name);
        }
        if local {
            chaos::ledger(emit, &BATCHES, batch.id, "local_time", "UTC-7");
        }
        let offset = if local { LOCAL_OFFSET } else { 0 };
        let delays = chaos::deliveries(emit, chaos_rng, rates, &BATCHES, batch.id);
        emit.event(&BATCHES, &delays, |line| {
            line.int(batch.id)
                .text(&machine_ref)
                .text(&product_name)
                .timestamp(batch.start + offset)
                .timestamp(batch.end + offset)
                .text(if local { "plant_local" } else { "utc" })
                .int(batch.units)
                .int(batch.defective)
                .fixed(batch.energy_wh as f64 / 1000.0, 3)
                .int(batch.operator);
        });
    }
}

/// Sensors every half hour; each device's clock is off by its own drift today, and values go
/// missing. Returns the drift, which the shift terminal shares.
fn write_sensors(
    state: &mut State,
    config: &SimConfig,
    index: usize,
    emit: &mut Emit,
    rates: &Rates,
    streams: &mut Streams,
) -> i64 {
    let start_of_day = calendar::start_of(emit.day);
    let machine = &state.machines[index];
    let spec = Spec::of(config, machine);
    let efficiency = machine.efficiency_ppm as f64 / 1e6;
    let device_ref = machine.code().to_lowercase().replace('-', "_");
    let drift = chaos::drift_seconds(&mut streams.chaos, rates.clock_drift_minutes);
    if drift != 0 {
        chaos::ledger(
            emit,
            &SENSORS,
            u64::from(machine.id),
            "clock_drift",
            &format!("{drift} seconds"),
        );
    }
    let sensors = &mut streams.sensors;
    for slot in 0..48 {
        let id = state.next_reading;
        state.next_reading += 1;
        let running = 0.9 + 0.1 * sensors.unit();
        let base_temp = if machine.smelter { 1450.0 } else { 65.0 };
        let values = [
            base_temp * running + sensors.normal(0.0, 5.0),
            220.0 + sensors.normal(0.0, 6.0),
            spec.base_rate() as f64 * spec.wh_per_unit as f64 / 1000.0 / efficiency * running,
            efficiency + sensors.normal(0.0, 0.005),
        ];
        let observed: Vec<Option<f64>> = values
            .iter()
            .map(|value| (!streams.chaos.chance(rates.nulls)).then_some(*value))
            .collect();
        let nulls = observed.iter().filter(|v| v.is_none()).count();
        if nulls > 0 {
            chaos::ledger(emit, &SENSORS, id, "null_value", &format!("{nulls} values"));
        }
        emit.event(&SENSORS, &[0], |line| {
            line.int(id)
                .text(&device_ref)
                .timestamp(start_of_day + slot * 1800 + drift)
                .opt_fixed(observed[0], 1)
                .opt_fixed(observed[1], 1)
                .opt_fixed(observed[2], 2)
                .opt_fixed(observed[3], 4);
        });
    }
    drift
}

/// A note at the end of each eight-hour shift, typed on the terminal beside the machine (whose
/// clock it shares): the machine as the operator writes it, and how the shift went.
fn write_shift_notes(
    state: &mut State,
    index: usize,
    emit: &mut Emit,
    operators: &[u32],
    drift: i64,
    rates: &Rates,
    streams: &mut Streams,
) {
    let start_of_day = calendar::start_of(emit.day);
    let machine = &state.machines[index];
    let efficiency = machine.efficiency_ppm as f64 / 1e6;
    let (kind, number) = (machine.kind(), machine.number);
    for shift in 1..=3 {
        let id = state.next_log;
        state.next_log += 1;
        let sensors = &mut streams.sensors;
        let operator = if operators.is_empty() {
            0
        } else {
            operators[sensors.index(operators.len())]
        };
        let note = match () {
            _ if efficiency < 0.85 => "output down, needs service",
            _ if sensors.chance(0.1) => "minor jam cleared",
            _ => "shift normal",
        };
        let (machine_ref, changed) =
            chaos::id_variant(&mut streams.chaos, rates.id_variants, kind, number);
        if changed {
            chaos::ledger(emit, &OPERATOR_LOGS, id, "id_variant", &machine_ref);
        }
        emit.event(&OPERATOR_LOGS, &[0], |line| {
            line.int(id)
                .text(&machine_ref)
                .timestamp(start_of_day + shift * 8 * 3600 - 600 + drift)
                .int(operator)
                .text(note);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::domains::testing;
    use crate::sim::output::DayOutput;

    #[test]
    fn the_degrading_smelter_loses_two_percent_a_day_until_serviced() {
        let config = SimConfig {
            population: 500,
            ..SimConfig::default()
        };
        let people = census::new(&config);
        let mut state = new(&config);
        let mut seen = Vec::new();
        for day in 0..30 {
            let mut output = DayOutput::default();
            let mut pending = Vec::new();
            let mut emit = Emit::new(day, &mut output, &mut pending);
            seen.push(state.machines[1].efficiency_ppm);
            step(&mut state, &people, &config, &mut emit, day == 0);
        }
        assert_eq!(seen[1], 980_000);
        assert_eq!(seen[2], 960_400);
        // Below 0.80 after twelve days, serviced that morning: the sawtooth starts again.
        assert!(seen[11] >= 800_000 && seen[12] < 800_000, "{seen:?}");
        assert_eq!(seen[13], 980_000, "{seen:?}");
        assert!(seen.iter().all(|e| *e >= 780_000), "{seen:?}");
    }

    /// Runs the plant alone for `days` and returns each day's output and the efficiencies of
    /// the second machine (the degrading smelter) at the start of each day.
    fn run(config: &SimConfig, days: u32) -> (Vec<DayOutput>, Vec<i64>) {
        let people = census::new(config);
        let mut state = new(config);
        let (mut outputs, mut seen) = (Vec::new(), Vec::new());
        for day in 0..days {
            let mut output = DayOutput {
                day,
                ..DayOutput::default()
            };
            let mut pending = Vec::new();
            seen.push(state.machines[1].efficiency_ppm);
            step(
                &mut state,
                &people,
                config,
                &mut Emit::new(day, &mut output, &mut pending),
                day == 0,
            );
            outputs.push(output);
        }
        (outputs, seen)
    }

    /// The factory system's week, as the README gives it: one plant of three machines, about
    /// 212 batches, 1.2% of units defective.
    #[test]
    fn the_factory_systems_week_is_reproduced_by_its_settings() {
        let mut config = SimConfig {
            population: 500,
            ..SimConfig::default()
        };
        config.factory.batches_per_day = [8, 12];
        config.factory.defect_rate = 0.012;
        let (outputs, _) = run(&config, 7);
        let (mut batches, mut units, mut defective) = (0, 0, 0);
        for output in &outputs {
            for row in testing::rows(output, "truth.factory_daily") {
                batches += row[3].parse::<i64>().unwrap();
                units += row[4].parse::<i64>().unwrap();
                defective += row[5].parse::<i64>().unwrap();
            }
        }
        assert!((195..=230).contains(&batches), "{batches} batches");
        let share = defective as f64 / units as f64;
        assert!((0.010..=0.014).contains(&share), "{share} defective");
    }

    #[test]
    fn without_auto_service_the_smelter_wears_down_to_half() {
        let mut config = SimConfig {
            population: 500,
            ..SimConfig::default()
        };
        config.factory.auto_service = false;
        let (outputs, seen) = run(&config, 60);
        assert!(seen.windows(2).all(|w| w[1] <= w[0]), "{seen:?}");
        assert_eq!(seen[59], WORN_OUT_PPM, "{seen:?}");
        let services: usize = outputs
            .iter()
            .map(|o| testing::rows(o, "raw.factory_maintenance").len())
            .sum();
        assert_eq!(services, 0);
    }

    #[test]
    fn operator_logs_name_machines_in_many_forms_and_products_in_ten() {
        let config = SimConfig {
            population: 500,
            ..SimConfig::default()
        };
        let (outputs, _) = run(&config, 20);
        let refs: std::collections::BTreeSet<String> = outputs
            .iter()
            .flat_map(|o| testing::rows(o, "raw.factory_operator_logs"))
            .map(|row| row[1].to_string())
            .collect();
        assert!(refs.len() >= 12, "{refs:?}");
        assert!(refs.contains("SMELTER-01"), "{refs:?}");
        let names: std::collections::BTreeSet<String> = outputs
            .iter()
            .flat_map(|o| testing::rows(o, "raw.factory_batches"))
            .filter(|row| row[2].to_lowercase().contains("plate"))
            .map(|row| row[2].to_string())
            .collect();
        assert_eq!(names.len(), 11, "{names:?}");
    }
}
