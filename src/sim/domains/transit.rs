//! TUX transit: seven radial bus lines from the outer districts to Old Town and one crosstown
//! line through the six urban districts, with trips on a fixed timetable (denser at the peaks of
//! business days) delayed by rain, wind and storms. Boardings come from the census: workers and
//! students ride to their employer's district in the morning and back in the evening on business
//! days (students not in the summer months), changing at Old Town Interchange when no line serves
//! both ends; rain tempts more of them onto the bus; a few inhabitants ride for leisure. Each rider
//! holds one card. Validators' clocks drift. Truth: `truth.transit_daily_boardings`.

use serde::{Deserialize, Serialize};

use crate::sim::calendar::{self, Day, Instant};
use crate::sim::chaos;
use crate::sim::config::SimConfig;
use crate::sim::domains::{census, weather};
use crate::sim::output::Emit;
use crate::sim::random::Stream;
use crate::sim::reference::Reference;
use crate::sim::table::{Kind, Schema, SqlType, Table, col};

pub const LINES: Table = Table {
    domain: "transit",
    schema: Schema::Raw,
    name: "transit_lines",
    kind: Kind::Static,
    description: "TUX bus lines: seven radials (R1–R7) from the outer districts to Old Town, one crosstown (C1) through the urban districts.",
    columns: &[
        col("line_id", SqlType::Int, "Line id, 951–958."),
        col("line_code", SqlType::Text, "R1–R7 or C1."),
        col(
            "line_name",
            SqlType::Text,
            "First and last district of the route.",
        ),
        col("line_kind", SqlType::Text, "radial or crosstown."),
        col("adult_fare_cents", SqlType::Int, "The adult single fare."),
    ],
};

pub const STOPS: Table = Table {
    domain: "transit",
    schema: Schema::Raw,
    name: "transit_stops",
    kind: Kind::Static,
    description: "Bus stops, four per district.",
    columns: &[
        col(
            "stop_id",
            SqlType::Int,
            "Stop id, 9601–9680 (9601 is Old Town Interchange).",
        ),
        col("stop_name", SqlType::Text, "Stop name."),
        col("district_id", SqlType::Int, "The district of the stop."),
    ],
};

pub const LINE_STOPS: Table = Table {
    domain: "transit",
    schema: Schema::Raw,
    name: "transit_line_stops",
    kind: Kind::Static,
    description: "The stops of each line in the order a forward trip serves them, three minutes apart.",
    columns: &[
        col("line_id", SqlType::Int, "The line."),
        col(
            "stop_seq",
            SqlType::Int,
            "Position on a forward trip, from 1.",
        ),
        col("stop_id", SqlType::Int, "The stop."),
    ],
};

pub const VEHICLES: Table = Table {
    domain: "transit",
    schema: Schema::Raw,
    name: "transit_vehicles",
    kind: Kind::Static,
    description: "The bus fleet; each bus works one line.",
    columns: &[
        col(
            "vehicle_id",
            SqlType::Int,
            "Vehicle id, 9801 upwards (twelve per line, six each way).",
        ),
        col(
            "fleet_number",
            SqlType::Text,
            "Fleet number painted on the bus, `TUX-nnn`.",
        ),
        col("line_id", SqlType::Int, "The line it works."),
        col("model", SqlType::Text, "Bus model."),
        col("capacity", SqlType::Int, "Passengers, seated and standing."),
    ],
};

pub const CARDS: Table = Table {
    domain: "transit",
    schema: Schema::Raw,
    name: "transit_cards",
    kind: Kind::Current,
    description: "Fare cards, one per rider, issued on the first ride. The holder is not in the feed (see `truth.transit_card_holders`). A birthday that changes the fare class, or the holder's death, replaces the row.",
    columns: &[
        col("card_id", SqlType::Int, "Card id, 7000001 upwards."),
        col(
            "card_type",
            SqlType::Text,
            "child, student, adult or senior.",
        ),
        col("issued_day", SqlType::Int, "The day the card was issued."),
        col("status", SqlType::Text, "active or cancelled."),
        col(
            "updated_day",
            SqlType::Int,
            "The day this version was recorded.",
        ),
    ],
};

pub const TRIPS: Table = Table {
    domain: "transit",
    schema: Schema::Raw,
    name: "transit_trips",
    kind: Kind::Events,
    description: "Every bus trip run, from the vehicle location system: scheduled and actual times at the first and last stop. Some arrive late or twice.",
    columns: &[
        col("trip_id", SqlType::BigInt, "Trip id, 20000001 upwards."),
        col("line_id", SqlType::Int, "The line."),
        col("vehicle_id", SqlType::Int, "The bus."),
        col(
            "direction",
            SqlType::Text,
            "forward (stop order of transit_line_stops) or reverse.",
        ),
        col("day_serial", SqlType::Int, "The simulated day."),
        col(
            "scheduled_departure",
            SqlType::Timestamp,
            "Timetabled departure from the first stop.",
        ),
        col("actual_departure", SqlType::Timestamp, "Actual departure."),
        col(
            "scheduled_arrival",
            SqlType::Timestamp,
            "Timetabled arrival at the last stop.",
        ),
        col("actual_arrival", SqlType::Timestamp, "Actual arrival."),
        col(
            "delay_cause",
            SqlType::Text,
            "traffic, rain, wind or storm: the main cause of delay.",
        ),
    ],
};

pub const BOARDINGS: Table = Table {
    domain: "transit",
    schema: Schema::Raw,
    name: "transit_boardings",
    kind: Kind::Events,
    description: "Card taps at boarding. The validator's clock drifts by up to a few minutes per bus and day; some taps arrive late or twice (deduplicate on boarding_id).",
    columns: &[
        col(
            "boarding_id",
            SqlType::BigInt,
            "Boarding id, 30000001 upwards.",
        ),
        col("trip_id", SqlType::BigInt, "The trip boarded."),
        col("line_id", SqlType::Int, "The line."),
        col("stop_id", SqlType::Int, "The stop boarded at."),
        col("card_id", SqlType::Int, "The card tapped."),
        col(
            "boarded_at",
            SqlType::Timestamp,
            "The tap time by the validator's clock (drifts).",
        ),
        col(
            "day_serial",
            SqlType::Int,
            "The simulated day of the boarding.",
        ),
        col(
            "fare_cents",
            SqlType::Int,
            "Fare charged; 0 for a change within the hour.",
        ),
    ],
};

pub const DAILY_BOARDINGS: Table = Table {
    domain: "transit",
    schema: Schema::Truth,
    name: "transit_daily_boardings",
    kind: Kind::Events,
    description: "Clean boardings per day and line.",
    columns: &[
        col("day_serial", SqlType::Int, "The day."),
        col("line_id", SqlType::Int, "The line."),
        col("boardings", SqlType::Int, "Boardings (each tap once)."),
    ],
};

pub const CARD_HOLDERS: Table = Table {
    domain: "transit",
    schema: Schema::Truth,
    name: "transit_card_holders",
    kind: Kind::Events,
    description: "Who holds each fare card, written when the card is issued.",
    columns: &[
        col("card_id", SqlType::Int, "The card."),
        col("ux_id", SqlType::Int, "The inhabitant holding it."),
    ],
};

pub const TABLES: &[&Table] = &[
    &LINES,
    &STOPS,
    &LINE_STOPS,
    &VEHICLES,
    &CARDS,
    &TRIPS,
    &BOARDINGS,
    &DAILY_BOARDINGS,
    &CARD_HOLDERS,
];

const STOP_WORDS: [&str; 4] = ["Interchange", "Library", "Green", "Cross"];
const CARD_TYPES: [&str; 4] = ["child", "student", "adult", "senior"];
const FARES: [i64; 4] = [100, 150, 250, 100];
const STOP_SECONDS: i64 = 180;
const BUSES_PER_LINE: u32 = 12;

/// The bus of a line that runs departure `k` in a direction: each direction has its own half of
/// the fleet, taken in turn, so a bus is back at its terminus before its next departure (six
/// buses at a ten-minute headway give an hour's round).
fn bus_slot(forward: bool, k: usize) -> u32 {
    let half = BUSES_PER_LINE / 2;
    (if forward { 0 } else { half }) + k as u32 % half
}
const HUB: u32 = 301;
const INTERCHANGE: u32 = 9601;

struct Line {
    id: u32,
    code: String,
    stops: Vec<u32>,
    districts: Vec<u32>,
}

fn stop_of(district: u32, slot: u32) -> u32 {
    9601 + (district - 301) * 4 + slot
}

fn network() -> Vec<Line> {
    let mut lines = Vec::new();
    for k in 0..7u32 {
        let districts = vec![307 + 2 * k, 308 + 2 * k, 302 + k % 5, HUB];
        lines.push((format!("R{}", k + 1), districts));
    }
    lines.push(("C1".to_string(), (301..=306).collect()));
    lines
        .into_iter()
        .enumerate()
        .map(|(index, (code, districts))| Line {
            id: 951 + index as u32,
            code,
            stops: districts
                .iter()
                .flat_map(|d| (0..4).map(move |s| stop_of(*d, s)))
                .collect(),
            districts,
        })
        .collect()
}

/// Departure minutes of the timetable: every 10 minutes at the peaks of business days, every 20
/// otherwise, every 30 at weekends and on holidays; 05:30 to 23:30.
fn timetable(day: Day) -> Vec<i64> {
    let business = calendar::is_business_day(day);
    let mut minutes = Vec::new();
    let mut minute = 330;
    while minute <= 1410 {
        minutes.push(minute * 60);
        let peak = (390..570).contains(&minute) || (930..1110).contains(&minute);
        minute += match () {
            _ if !business => 30,
            _ if peak => 10,
            _ => 20,
        };
    }
    minutes
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Card {
    pub id: u32,
    pub ux_id: u32,
    pub card_type: u8,
    pub issued: Day,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// Live cards, sorted by holder (ux_id); cancelled cards are removed.
    pub cards: Vec<Card>,
    next_card: u32,
    next_trip: u64,
    next_boarding: u64,
}

pub fn new(_config: &SimConfig) -> State {
    State {
        cards: Vec::new(),
        next_card: 7_000_001,
        next_trip: 20_000_001,
        next_boarding: 30_000_001,
    }
}

fn card_type(person: &census::Person, day: Day) -> u8 {
    match person.age(day) {
        ..=15 => 0,
        _ if person.occupation == 1 => 1,
        67.. => 3,
        _ => 2,
    }
}

fn write_card(emit: &mut Emit, card: &Card, status: &str, change: &str) {
    let day = emit.day;
    emit.current(&CARDS, u64::from(card.id), change, |line| {
        line.int(card.id)
            .text(CARD_TYPES[card.card_type as usize])
            .int(card.issued)
            .text(status)
            .int(day);
    });
}

fn write_reference(emit: &mut Emit, reference: &Reference, lines: &[Line]) {
    for line_def in lines {
        let first = &reference.district(line_def.districts[0]).district_name;
        let last = &reference
            .district(line_def.districts[line_def.districts.len() - 1])
            .district_name;
        let name = format!("{first} – {last}");
        let kind = if line_def.code.starts_with('R') {
            "radial"
        } else {
            "crosstown"
        };
        emit.row(&LINES, |line| {
            line.int(line_def.id)
                .text(&line_def.code)
                .text(&name)
                .text(kind)
                .int(FARES[2]);
        });
        for (seq, stop) in line_def.stops.iter().enumerate() {
            emit.row(&LINE_STOPS, |line| {
                line.int(line_def.id).int(seq + 1).int(*stop);
            });
        }
    }
    for district in &reference.districts {
        for slot in 0..4 {
            let name = format!("{} {}", district.district_name, STOP_WORDS[slot as usize]);
            emit.row(&STOPS, |line| {
                line.int(stop_of(district.district_id, slot))
                    .text(&name)
                    .int(district.district_id);
            });
        }
    }
    for (index, line_def) in lines.iter().enumerate() {
        for bus in 0..BUSES_PER_LINE {
            let id = 9801 + index as u32 * BUSES_PER_LINE + bus;
            let (model, capacity) = if bus % 4 == 3 {
                ("Uxe Double Deck", 90)
            } else {
                ("Uxe City 12", 70)
            };
            emit.row(&VEHICLES, |line| {
                line.int(id)
                    .text(&format!("TUX-{}", id - 9700))
                    .int(line_def.id)
                    .text(model)
                    .int(capacity);
            });
        }
    }
}

/// The delays of one trip: at departure, and gained over the whole run, in seconds.
#[derive(Clone, Copy)]
struct Delay {
    depart: i64,
    run: i64,
}

/// One leg of a journey: the line, the direction and the stop positions boarded and left.
struct Leg {
    line: usize,
    forward: bool,
    board: usize,
    alight: usize,
}

fn leg(lines: &[Line], line: usize, from: u32, to: u32) -> Option<Leg> {
    let stops = &lines[line].stops;
    let board = stops.iter().position(|s| *s == from)?;
    let alight = stops.iter().position(|s| *s == to)?;
    (board != alight).then_some(Leg {
        line,
        forward: board < alight,
        board,
        alight,
    })
}

/// A journey between two stops: one line serving both, else a change at Old Town Interchange.
fn journey(lines: &[Line], from: u32, to: u32) -> Vec<Leg> {
    if let Some(direct) = (0..lines.len()).find_map(|l| leg(lines, l, from, to)) {
        return vec![direct];
    }
    let first = (0..lines.len()).find_map(|l| leg(lines, l, from, INTERCHANGE));
    let second = (0..lines.len()).find_map(|l| leg(lines, l, INTERCHANGE, to));
    match (first, second) {
        (Some(a), Some(b)) => vec![a, b],
        _ => Vec::new(),
    }
}

struct Ride {
    leg_trip: u64,
    line: usize,
    stop: u32,
    vehicle: usize,
    at: Instant,
    fare: i64,
}

/// One day of the buses: cards follow their holders, the timetable runs with today's delays,
/// riders board, and the taps (and the truth of boardings per line) are written.
pub fn step(
    state: &mut State,
    census: &census::State,
    config: &SimConfig,
    today: &weather::Today,
    emit: &mut Emit,
    first_day: bool,
) {
    let day = emit.day;
    let lines = network();
    if first_day {
        write_reference(emit, &config.reference, &lines);
    }
    update_cards(state, census, emit);
    let mut chaos_rng = Stream::new(config.seed, "transit", "chaos", day);
    let service = run_trips(state, &lines, config, today, emit, &mut chaos_rng);
    let rides = ride(&service, census, config, today, day);
    write_boardings(
        state,
        &service,
        census,
        config,
        emit,
        &rides,
        &mut chaos_rng,
    );
}

/// Cards are cancelled when the holder dies, re-typed on birthdays that change the fare class.
fn update_cards(state: &mut State, census: &census::State, emit: &mut Emit) {
    let day = emit.day;
    // In one pass, keeping the order: removing each cancelled card moved the rest of the list.
    state
        .cards
        .retain_mut(|card| match census.person(card.ux_id) {
            None => {
                write_card(emit, card, "cancelled", "cancelled");
                false
            }
            Some(person) => {
                let kind = card_type(person, day);
                if kind != card.card_type {
                    card.card_type = kind;
                    write_card(emit, card, "active", "type_changed");
                }
                true
            }
        });
}

/// The day's service as run: every line's timetable in both directions with its delays.
struct Service<'a> {
    lines: &'a [Line],
    times: Vec<i64>,
    delays: Vec<Delay>,
    start_of_day: Instant,
    first_trip: u64,
}

impl Service<'_> {
    fn trip_index(&self, line: usize, forward: bool, k: usize) -> usize {
        (line * 2 + usize::from(!forward)) * self.times.len() + k
    }

    fn trip_id(&self, line: usize, forward: bool, k: usize) -> u64 {
        self.first_trip + self.trip_index(line, forward, k) as u64
    }

    /// How many stops a trip has passed at a stop position.
    fn along(&self, line: usize, forward: bool, position: usize) -> i64 {
        let stops = self.lines[line].stops.len();
        (if forward {
            position
        } else {
            stops - 1 - position
        }) as i64
    }

    /// When trip `k` of a line and direction reaches a stop position.
    fn at_stop(&self, line: usize, forward: bool, k: usize, position: usize) -> Instant {
        let stops = self.lines[line].stops.len() as i64;
        let along = self.along(line, forward, position);
        let delay = self.delays[self.trip_index(line, forward, k)];
        self.start_of_day
            + self.times[k]
            + along * STOP_SECONDS
            + delay.depart
            + delay.run * along / (stops - 1)
    }

    /// The trip of a leg that a rider ready at `ready` takes: the first scheduled after it.
    fn catch(&self, leg: &Leg, ready: Instant) -> Option<usize> {
        let along = self.along(leg.line, leg.forward, leg.board);
        let k = self
            .times
            .partition_point(|t| self.start_of_day + t + along * STOP_SECONDS < ready);
        (k < self.times.len()).then_some(k)
    }
}

/// Trips: the timetable for every line and direction, delayed by traffic, peaks, rain, wind
/// and storms.
fn run_trips<'a>(
    state: &mut State,
    lines: &'a [Line],
    config: &SimConfig,
    today: &weather::Today,
    emit: &mut Emit,
    chaos_rng: &mut Stream,
) -> Service<'a> {
    let day = emit.day;
    let rates = config.rates("transit");
    let mut service = Service {
        lines,
        times: timetable(day),
        delays: Vec::new(),
        start_of_day: calendar::start_of(day),
        first_trip: state.next_trip,
    };
    let mut delays_rng = Stream::new(config.seed, "transit", "delays", day);
    for (line_index, line_def) in lines.iter().enumerate() {
        let stormy = line_def
            .districts
            .iter()
            .any(|d| today.storm[(*d - 301) as usize]);
        for forward in [true, false] {
            for (k, depart) in service.times.iter().enumerate() {
                let peak = calendar::is_business_day(day)
                    && ((7 * 3600..9 * 3600).contains(depart)
                        || (16 * 3600..18 * 3600).contains(depart));
                let mut depart_delay = (25.0 * delays_rng.log_normal(0.0, 0.9)) as i64;
                let mut run = (delays_rng.unit() * 90.0) as i64 + if peak { 120 } else { 0 };
                let mut cause = "traffic";
                if today.precip_mm > 1.0 {
                    run += (today.precip_mm * 25.0) as i64;
                    cause = "rain";
                }
                if today.wind_kph > 40.0 {
                    run += 150;
                    cause = "wind";
                }
                if stormy {
                    depart_delay += 240;
                    run += 420;
                    cause = "storm";
                }
                service.delays.push(Delay {
                    depart: depart_delay,
                    run,
                });
                let id = service.trip_id(line_index, forward, k);
                let vehicle = 9801 + line_index as u32 * BUSES_PER_LINE + bus_slot(forward, k);
                let scheduled = service.start_of_day + depart;
                let length = (line_def.stops.len() as i64 - 1) * STOP_SECONDS;
                let delivery = chaos::deliveries(emit, chaos_rng, &rates, &TRIPS, id);
                emit.event(&TRIPS, &delivery, |line| {
                    line.int(id)
                        .int(line_def.id)
                        .int(vehicle)
                        .text(if forward { "forward" } else { "reverse" })
                        .int(day)
                        .timestamp(scheduled)
                        .timestamp(scheduled + depart_delay)
                        .timestamp(scheduled + length)
                        .timestamp(scheduled + length + depart_delay + run)
                        .text(cause);
                });
            }
        }
    }
    state.next_trip += service.delays.len() as u64;
    service
}

/// Riders: commuters on business days (students not in summer), more of them when it rains,
/// and a few leisure trips into Old Town; each journey boards the first trip after the rider
/// is ready, changing at the interchange where needed.
fn ride(
    service: &Service,
    census: &census::State,
    config: &SimConfig,
    today: &weather::Today,
    day: Day,
) -> Vec<(u32, Ride)> {
    let lines = service.lines;
    let start_of_day = service.start_of_day;
    let business = calendar::is_business_day(day);
    let summer = matches!(calendar::month(day), 6..=8);
    let rainy = today.rainy();
    let mut riding = Stream::new(config.seed, "transit", "riders", day);
    let propensity = Stream::new(config.seed, "transit", "propensity", 0);
    let mut rides: Vec<(u32, Ride)> = Vec::new();
    let mut journeys: Vec<(u32, u32, Instant)> = Vec::new();
    // Where each employer's work is (index = `Person::employer`), and the university's, where
    // students go; 0 = no commute.
    let reference = &config.reference;
    let workplaces: Vec<u32> = std::iter::once(0)
        .chain(
            reference
                .occupations
                .iter()
                .map(|o| o.workplace_district_id.unwrap_or(0)),
        )
        .collect();
    let university = reference
        .employer("UXU")
        .map_or(0, |employer| workplaces[employer as usize]);
    let districts = census.districts();
    for person in &census.people {
        let home = districts.of(person);
        let slot = person.id % 4;
        let work = match person.occupation {
            census::WORKER => workplaces[person.employer as usize],
            1 => university,
            _ => 0,
        };
        let leaning = propensity.entity(u64::from(person.id)).unit();
        let zone_share = match reference.district(home).zone.as_str() {
            "urban" => 0.45,
            "suburban" => 0.35,
            _ => 0.25,
        };
        let share = if work == home {
            0.15
        } else {
            zone_share + if person.occupation == 1 { 0.2 } else { 0.0 }
        };
        let commuting_day = business && work != 0 && !(person.occupation == 1 && summer);
        let goes = riding.chance(0.92);
        let leisure = riding.chance(if business { 0.006 } else { 0.015 });
        let morning = riding
            .normal(7.0 * 3600.0 + 50.0 * 60.0, 35.0 * 60.0)
            .clamp(5.75 * 3600.0, 11.0 * 3600.0);
        let evening = riding
            .normal(17.0 * 3600.0 + 5.0 * 60.0, 45.0 * 60.0)
            .clamp(12.0 * 3600.0, 22.5 * 3600.0);
        let midday = riding.between(10 * 3600, 15 * 3600);
        let rain_share = if rainy { 0.12 } else { 0.0 };
        journeys.clear();
        if commuting_day && goes && leaning < share + rain_share {
            let (home_stop, work_stop) = (stop_of(home, slot), stop_of(work, (person.id / 4) % 4));
            journeys.push((home_stop, work_stop, start_of_day + morning as i64));
            journeys.push((work_stop, home_stop, start_of_day + evening as i64));
        } else if leisure && person.age(day) >= 8 && home != HUB {
            let (home_stop, town) = (stop_of(home, slot), stop_of(HUB, 1 + slot % 3));
            journeys.push((home_stop, town, start_of_day + midday));
            journeys.push((town, home_stop, start_of_day + midday + 3 * 3600));
        }
        let fare = FARES[card_type(person, day) as usize];
        for (from, to, ready) in journeys.iter().copied() {
            let mut ready = ready;
            let mut charged = false;
            for leg in journey(lines, from, to) {
                let Some(k) = service.catch(&leg, ready) else {
                    break;
                };
                let boarded = service.at_stop(leg.line, leg.forward, k, leg.board);
                rides.push((
                    person.id,
                    Ride {
                        leg_trip: service.trip_id(leg.line, leg.forward, k),
                        line: leg.line,
                        stop: lines[leg.line].stops[leg.board],
                        vehicle: leg.line * BUSES_PER_LINE as usize
                            + bus_slot(leg.forward, k) as usize,
                        at: boarded + riding.between(-40, 0),
                        fare: if charged { 0 } else { fare },
                    },
                ));
                charged = true;
                ready = service.at_stop(leg.line, leg.forward, k, leg.alight) + 120;
            }
        }
    }
    rides
}

/// Cards for new riders, then the taps (each validator's clock drifts by its own amount), and
/// the truth: boardings per line.
fn write_boardings(
    state: &mut State,
    service: &Service,
    census: &census::State,
    config: &SimConfig,
    emit: &mut Emit,
    rides: &[(u32, Ride)],
    chaos_rng: &mut Stream,
) {
    let day = emit.day;
    let lines = service.lines;
    let rates = config.rates("transit");
    let mut drifts = vec![0i64; lines.len() * BUSES_PER_LINE as usize];
    for (vehicle, drift) in drifts.iter_mut().enumerate() {
        *drift = chaos::drift_seconds(chaos_rng, rates.clock_drift_minutes);
        if *drift != 0 {
            let detail = format!("{drift} seconds");
            chaos::ledger(
                emit,
                &BOARDINGS,
                9801 + vehicle as u64,
                "clock_drift",
                &detail,
            );
        }
    }
    let mut per_line = vec![0u32; lines.len()];
    for (ux_id, ride) in rides {
        let card_id = match state.cards.binary_search_by_key(ux_id, |c| c.ux_id) {
            Ok(found) => state.cards[found].id,
            Err(position) => {
                let person = census.person(*ux_id).expect("riders are alive");
                let card = Card {
                    id: state.next_card,
                    ux_id: *ux_id,
                    card_type: card_type(person, day),
                    issued: day,
                };
                state.next_card += 1;
                write_card(emit, &card, "active", "created");
                emit.row(&CARD_HOLDERS, |line| {
                    line.int(card.id).int(card.ux_id);
                });
                let id = card.id;
                state.cards.insert(position, card);
                id
            }
        };
        let boarding_id = state.next_boarding;
        state.next_boarding += 1;
        per_line[ride.line] += 1;
        let delivery = chaos::deliveries(emit, chaos_rng, &rates, &BOARDINGS, boarding_id);
        emit.event(&BOARDINGS, &delivery, |line| {
            line.int(boarding_id)
                .int(ride.leg_trip)
                .int(lines[ride.line].id)
                .int(ride.stop)
                .int(card_id)
                .timestamp(ride.at + drifts[ride.vehicle])
                .int(day)
                .int(ride.fare);
        });
    }
    for (index, count) in per_line.iter().enumerate() {
        emit.row(&DAILY_BOARDINGS, |line| {
            line.int(day).int(lines[index].id).int(*count);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::domains::testing::{self, rows};
    use crate::sim::output::DayOutput;
    use std::collections::BTreeMap;

    fn run(config: &SimConfig, days: u32) -> Vec<DayOutput> {
        testing::run(
            config,
            days,
            TABLES,
            |_| new(config),
            &mut |state, people, _, today, emit, first| {
                step(state, people, config, today, emit, first)
            },
        )
    }

    #[test]
    fn commuters_make_peaks_on_business_days_and_raw_equals_truth_without_chaos() {
        let config = testing::without_chaos(3000);
        let outputs = run(&config, 14);
        let (mut business, mut weekend) = (Vec::new(), Vec::new());
        let mut hours = [0u32; 24];
        for output in &outputs {
            let boardings = rows(output, "raw.transit_boardings");
            let mut raw: BTreeMap<&str, u32> = BTreeMap::new();
            for row in &boardings {
                *raw.entry(row[2].as_str()).or_default() += 1;
                assert_eq!(row[8], output.day.to_string(), "delivered on its day");
                if calendar::is_business_day(output.day) {
                    hours[row[5][11..13].parse::<usize>().unwrap()] += 1;
                }
            }
            for row in rows(output, "truth.transit_daily_boardings") {
                assert_eq!(
                    raw.get(row[1].as_str()).copied().unwrap_or(0).to_string(),
                    row[2]
                );
            }
            if calendar::is_business_day(output.day) {
                business.push(boardings.len());
            } else {
                weekend.push(boardings.len());
            }
        }
        let mean = |v: &[usize]| v.iter().sum::<usize>() as f64 / v.len() as f64;
        assert!(
            mean(&business) > 4.0 * mean(&weekend),
            "{business:?} vs {weekend:?}"
        );
        assert!(
            hours[7] + hours[8] > 4 * (hours[11] + hours[12]),
            "{hours:?}"
        );
        assert!(hours[17] > 4 * hours[13], "{hours:?}");
    }

    #[test]
    fn validator_clocks_drift_with_chaos() {
        let config = SimConfig {
            population: 1000,
            ..SimConfig::default()
        };
        let outputs = run(&config, 3);
        let ledger: Vec<Vec<String>> = outputs
            .iter()
            .flat_map(|o| rows(o, "truth.chaos_ledger"))
            .collect();
        assert!(ledger.iter().any(|r| r[3] == "clock_drift"));
    }
}
