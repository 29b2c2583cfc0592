//! Census: districts, streets, addresses, households and inhabitants, and how they change —
//! births, deaths, moves, job changes and name changes. The population is the world every other
//! domain draws from (customers, commuters, meters, insured members).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::sim::calendar::{self, Day};
use crate::sim::chaos;
use crate::sim::config::SimConfig;
use crate::sim::domains::names;
use crate::sim::output::Emit;
use crate::sim::random::Stream;
use crate::sim::reference::{FIRST_DISTRICT, Reference};
use crate::sim::sorted::{self, IdFlags};
use crate::sim::table::{Kind, Schema, SqlType, Table, col};

pub const DISTRICTS: Table = Table {
    domain: "census",
    schema: Schema::Raw,
    name: "census_districts",
    kind: Kind::Static,
    description: "The twenty districts of Uxcestershire.",
    columns: &[
        col("district_id", SqlType::Int, "District id, 301–320."),
        col("name", SqlType::Text, "District name."),
        col("zone", SqlType::Text, "urban, suburban or rural."),
        col(
            "postal_prefix",
            SqlType::Text,
            "The first part of the district's postal codes.",
        ),
    ],
};

pub const STREETS: Table = Table {
    domain: "census",
    schema: Schema::Raw,
    name: "census_streets",
    kind: Kind::Static,
    description: "Streets, each in one district.",
    columns: &[
        col("street_id", SqlType::Int, "Street id, 5001 upwards."),
        col(
            "street_name",
            SqlType::Text,
            "Name without the type (`Maple`).",
        ),
        col(
            "street_type",
            SqlType::Text,
            "Avenue, Boulevard, Crescent, Drive, Edge, Flight, Glen, Street or Way.",
        ),
        col(
            "district_id",
            SqlType::Int,
            "The district the street is in.",
        ),
    ],
};

pub const ADDRESSES: Table = Table {
    domain: "census",
    schema: Schema::Raw,
    name: "census_addresses",
    kind: Kind::Static,
    description: "Every dwelling: unit, number, street, postal code and district.",
    columns: &[
        col("address_id", SqlType::Int, "Address id, 3000001 upwards."),
        col(
            "unit_num",
            SqlType::Text,
            "Flat number `ffuu` (floor, unit), null for houses.",
        ),
        col("street_num", SqlType::Int, "House number, 100–1100."),
        col("street_id", SqlType::Int, "The street."),
        col("postal_code", SqlType::Text, "Postal code, `UXdd nLL`."),
        col("district_id", SqlType::Int, "The district."),
    ],
};

pub const HOUSEHOLDS: Table = Table {
    domain: "census",
    schema: Schema::Raw,
    name: "census_households",
    kind: Kind::Current,
    description: "Households as the registry holds them today: where each lives. A move replaces the row.",
    columns: &[
        col(
            "household_id",
            SqlType::Int,
            "Household id, 2000001 upwards.",
        ),
        col("address_id", SqlType::Int, "Where the household lives now."),
        col(
            "formed_day",
            SqlType::Int,
            "The day the household was formed (negative: before 20100101).",
        ),
        col("status", SqlType::Text, "active or dissolved."),
        col(
            "updated_day",
            SqlType::Int,
            "The day this version was registered.",
        ),
    ],
};

pub const INHABITANTS: Table = Table {
    domain: "census",
    schema: Schema::Raw,
    name: "census_inhabitants",
    kind: Kind::Current,
    description: "The population register today, one row per person ever registered. Names, addresses and occupations change in place; the dead stay with status `deceased`. Names may arrive with casing or spacing defects.",
    columns: &[
        col("ux_id", SqlType::Int, "Person id, 1000001 upwards."),
        col("first_name", SqlType::Text, "Given name."),
        col(
            "last_name",
            SqlType::Text,
            "Family name (changes on marriage).",
        ),
        col("sex", SqlType::Text, "F or M."),
        col(
            "birth_day_serial",
            SqlType::Int,
            "Day of birth as a serial (negative before 20100101).",
        ),
        col(
            "birth_ux_date",
            SqlType::Text,
            "Day of birth, `yyyymmdd` in the Uxcestershire calendar.",
        ),
        col(
            "household_id",
            SqlType::Int,
            "The household the person belongs to.",
        ),
        col("address_id", SqlType::Int, "Where the person lives."),
        col("district_id", SqlType::Int, "The district of the address."),
        col(
            "occupation",
            SqlType::Text,
            "child, student, worker, retired or not working.",
        ),
        col(
            "employer",
            SqlType::Text,
            "UXDM, UXFSI, TUX, UXH, UXU, Council or Self-employed; null when not working.",
        ),
        col(
            "mother_id",
            SqlType::Int,
            "The mother's ux_id, when registered.",
        ),
        col(
            "partner_id",
            SqlType::Int,
            "The partner's ux_id, when registered.",
        ),
        col("status", SqlType::Text, "alive or deceased."),
        col(
            "updated_day",
            SqlType::Int,
            "The day this version was registered.",
        ),
    ],
};

pub const EVENTS: Table = Table {
    domain: "census",
    schema: Schema::Raw,
    name: "census_events",
    kind: Kind::Events,
    description: "Registry events: births, deaths, moves, job changes and name changes.",
    columns: &[
        col("event_id", SqlType::BigInt, "Event id."),
        col(
            "ux_id",
            SqlType::Int,
            "The person (for moves, the head of the household).",
        ),
        col(
            "event_type",
            SqlType::Text,
            "birth, death, move, job_change or name_change.",
        ),
        col("day_serial", SqlType::Int, "The day it happened."),
        col("ux_date", SqlType::Text, "The day, `yyyymmdd`."),
        col(
            "detail",
            SqlType::Text,
            "The new value: address id, employer, name.",
        ),
    ],
};

pub const POPULATION: Table = Table {
    domain: "census",
    schema: Schema::Truth,
    name: "census_population",
    kind: Kind::Events,
    description: "Living inhabitants and households per district at the end of each day.",
    columns: &[
        col("day_serial", SqlType::Int, "The day."),
        col("district_id", SqlType::Int, "The district."),
        col(
            "inhabitants",
            SqlType::Int,
            "People alive and living there.",
        ),
        col("households", SqlType::Int, "Households living there."),
    ],
};

pub const TABLES: &[&Table] = &[
    &DISTRICTS,
    &STREETS,
    &ADDRESSES,
    &HOUSEHOLDS,
    &INHABITANTS,
    &EVENTS,
    &POPULATION,
];

pub const OCCUPATIONS: [&str; 5] = ["child", "student", "worker", "retired", "not working"];
pub const STUDENT: u8 = 1;
pub const WORKER: u8 = 2;
pub const RETIRED: u8 = 3;
pub const NOT_WORKING: u8 = 4;

/// The district of each household by its place among the ids issued (0 for none): what
/// [`State::district_of`] finds, in one step instead of two searches.
pub struct Districts(Vec<u32>);

impl Districts {
    pub fn of(&self, person: &Person) -> u32 {
        household_index(person.household)
            .and_then(|index| self.0.get(index))
            .copied()
            .filter(|district| *district != 0)
            .unwrap_or(301)
    }
}

/// The first ids handed out to households and addresses; both are issued consecutively.
const FIRST_HOUSEHOLD: u32 = 2_000_001;
const FIRST_ADDRESS: u32 = 3_000_001;

/// Where a household id falls among the ids issued (`None` for no household).
fn household_index(id: u32) -> Option<usize> {
    id.checked_sub(FIRST_HOUSEHOLD).map(|index| index as usize)
}

/// The weight of each employer (index = `Person::employer`, 0 = none) among workers, from the
/// occupations seed.
pub fn employer_weights(reference: &Reference) -> Vec<f64> {
    std::iter::once(0.0)
        .chain(reference.occupations.iter().map(|o| o.share_of_workers))
        .collect()
}

/// The code of a person's employer (`UXDM`...), empty for none.
pub fn employer_code(reference: &Reference, employer: u8) -> &str {
    match employer {
        0 => "",
        index => &reference.occupations[index as usize - 1].employer_code,
    }
}

/// The workers of one employer (by code), in id order.
pub fn workers_of(state: &State, reference: &Reference, code: &str) -> Vec<u32> {
    let Some(employer) = reference.employer(code) else {
        return Vec::new();
    };
    state
        .people
        .iter()
        .filter(|p| p.occupation == WORKER && p.employer == employer)
        .map(|p| p.id)
        .collect()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Person {
    pub id: u32,
    pub first: u16,
    pub last: u16,
    pub birth: i32,
    /// 0 female, 1 male.
    pub sex: u8,
    pub household: u32,
    pub occupation: u8,
    pub employer: u8,
    pub mother: u32,
    pub partner: u32,
}

impl Person {
    pub fn age(&self, day: Day) -> i32 {
        (day as i32 - self.birth).div_euclid(calendar::DAYS_PER_YEAR as i32)
    }

    pub fn first_name(&self) -> &'static str {
        let list = if self.sex == 0 {
            names::FEMALE
        } else {
            names::MALE
        };
        list[self.first as usize % list.len()]
    }

    pub fn last_name(&self) -> &'static str {
        names::LAST[self.last as usize % names::LAST.len()]
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Address {
    pub id: u32,
    pub district: u32,
    pub street: u32,
    pub number: u32,
    pub unit: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Household {
    pub id: u32,
    pub address: u32,
    pub formed: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Street {
    pub id: u32,
    pub name: u16,
    pub kind: u16,
    pub district: u32,
}

/// The live population. Addresses and streets never change; people and households come and go.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub streets: Vec<Street>,
    pub addresses: Vec<Address>,
    /// Sorted by id; the dead are removed.
    pub people: Vec<Person>,
    /// Sorted by id; dissolved households are removed.
    pub households: Vec<Household>,
    next_person: u32,
    next_household: u32,
    next_event: u64,
}

impl State {
    pub fn address(&self, id: u32) -> &Address {
        &self.addresses[(id - FIRST_ADDRESS) as usize]
    }

    pub fn household(&self, id: u32) -> Option<&Household> {
        sorted::position(&self.households, id, |h| h.id).map(|index| &self.households[index])
    }

    /// The district a person lives in.
    pub fn district_of(&self, person: &Person) -> u32 {
        self.household(person.household)
            .map_or(301, |h| self.address(h.address).district)
    }

    /// The district of every household, for a pass over the whole town.
    pub fn districts(&self) -> Districts {
        let mut by_household = vec![0; (self.next_household - FIRST_HOUSEHOLD) as usize];
        for household in &self.households {
            if let Some(slot) = household_index(household.id).and_then(|i| by_household.get_mut(i))
            {
                *slot = self.address(household.address).district;
            }
        }
        Districts(by_household)
    }

    pub fn person(&self, id: u32) -> Option<&Person> {
        sorted::position(&self.people, id, |p| p.id).map(|index| &self.people[index])
    }
}

/// Builds the town: streets, dwellings for about 1.15 households per dwelling slot, and a
/// population of households of realistic shapes.
pub fn new(config: &SimConfig) -> State {
    let start = config.start();
    let mut rng = Stream::new(config.seed, "census", "founding", 0);
    let households_wanted = (config.population as f64 / 2.3).ceil() as u32;
    let dwellings = (f64::from(households_wanted) * 1.15) as u32 + 20;
    let street_count = (dwellings / 40).max(20);
    let streets: Vec<Street> = (0..street_count)
        .map(|index| Street {
            id: 5001 + index,
            name: rng.index(names::STREETS.len()) as u16,
            kind: rng.index(names::STREET_TYPES.len()) as u16,
            district: 301 + index % 20,
        })
        .collect();
    // Dwellings are spread over the districts by their share, then over a district's streets.
    let reference = &config.reference;
    let shares: Vec<f64> = reference.districts.iter().map(|d| d.target_share).collect();
    let mut by_district: Vec<Vec<usize>> = vec![Vec::new(); shares.len()];
    for (index, street) in streets.iter().enumerate() {
        by_district[(street.district - FIRST_DISTRICT) as usize].push(index);
    }
    let addresses: Vec<Address> = (0..dwellings)
        .map(|index| {
            let district = rng.weighted(&shares);
            let street = &streets[*rng.pick(&by_district[district])];
            let flat = reference.district(street.district).zone == "urban" && rng.chance(0.6);
            Address {
                id: FIRST_ADDRESS + index,
                district: street.district,
                street: street.id,
                number: rng.between(100, 1100) as u32,
                unit: if flat {
                    rng.between(1, 12) as u32 * 100 + rng.between(1, 8) as u32
                } else {
                    0
                },
            }
        })
        .collect();
    let mut state = State {
        streets,
        addresses,
        people: Vec::new(),
        households: Vec::new(),
        next_person: 1_000_001,
        next_household: FIRST_HOUSEHOLD,
        next_event: 1,
    };
    let day_of_age = |rng: &mut Stream, low: i64, high: i64| {
        start as i32 - (rng.between(low * 360, high * 360 + 359)) as i32
    };
    let weights = employer_weights(reference);
    let mut address_order: Vec<u32> = (0..dwellings).map(|i| FIRST_ADDRESS + i).collect();
    for index in (1..address_order.len()).rev() {
        let other = rng.index(index + 1);
        address_order.swap(index, other);
    }
    while state.people.len() < config.population as usize {
        let address = address_order[state.households.len()];
        let household = state.next_household;
        state.next_household += 1;
        let shape = rng.weighted(&[0.3, 0.25, 0.3, 0.1, 0.05]);
        let last = rng.index(names::LAST.len()) as u16;
        let mut members = Vec::new();
        let adult_age = match shape {
            4 => (68, 95),
            2 | 3 => (25, 50),
            _ => (19, 80),
        };
        let adults = if matches!(shape, 1 | 2 | 4) { 2 } else { 1 };
        for adult in 0..adults {
            let sex = if adults == 2 {
                adult as u8
            } else {
                rng.between(0, 1) as u8
            };
            let birth = day_of_age(&mut rng, adult_age.0, adult_age.1);
            members.push(founding_person(
                &mut state, &mut rng, &weights, sex, last, birth, household, start,
            ));
        }
        if adults == 2 {
            let (a, b) = (members[0].id, members[1].id);
            members[0].partner = b;
            members[1].partner = a;
        }
        if matches!(shape, 2 | 3) {
            let mother = members.iter().find(|p| p.sex == 0).map_or(0, |p| p.id);
            for _ in 0..rng.between(1, 3) {
                let sex = rng.between(0, 1) as u8;
                let birth = day_of_age(&mut rng, 0, 17);
                let mut child = founding_person(
                    &mut state, &mut rng, &weights, sex, last, birth, household, start,
                );
                child.mother = mother;
                members.push(child);
            }
        }
        state.households.push(Household {
            id: household,
            address,
            formed: members
                .iter()
                .map(|p| p.birth)
                .max()
                .unwrap_or(0)
                .max(start as i32 - 3600),
        });
        state.people.extend(members);
    }
    state
}

#[allow(clippy::too_many_arguments)]
fn founding_person(
    state: &mut State,
    rng: &mut Stream,
    employers: &[f64],
    sex: u8,
    last: u16,
    birth: i32,
    household: u32,
    day: Day,
) -> Person {
    let id = state.next_person;
    state.next_person += 1;
    let mut person = Person {
        id,
        first: rng.index(40) as u16,
        last,
        birth,
        sex,
        household,
        occupation: 0,
        employer: 0,
        mother: 0,
        partner: 0,
    };
    set_occupation(&mut person, rng, employers, day);
    person
}

/// The occupation that fits a person's age (children, students, workers, retirees).
fn set_occupation(person: &mut Person, rng: &mut Stream, employers: &[f64], day: Day) {
    let age = person.age(day);
    let (occupation, employer) = match age {
        ..=17 => (0, 0),
        18..=21 if rng.chance(0.45) => (STUDENT, 0),
        67.. => (RETIRED, 0),
        _ if rng.chance(0.08) => (NOT_WORKING, 0),
        _ => (WORKER, rng.weighted(employers) as u8),
    };
    person.occupation = occupation;
    person.employer = employer;
}

/// What a day changed in the register: the people and households whose rows are replaced,
/// the dead (written once more, as deceased), and the events of the day.
#[derive(Default)]
struct Changes {
    people: BTreeSet<u32>,
    households: BTreeSet<u32>,
    dead: Vec<Person>,
    events: Vec<(u32, &'static str, String)>,
}

/// One day of the register: deaths, births, moves, jobs and names change the population, then
/// the changed rows, the day's events and the population truth are written.
pub fn step(state: &mut State, config: &SimConfig, emit: &mut Emit, first_day: bool) {
    let day = emit.day;
    let seed = config.seed;
    let mut changes = Changes::default();
    die(
        state,
        &mut Stream::new(seed, "census", "deaths", day),
        day,
        &mut changes,
    );
    give_birth(
        state,
        &mut Stream::new(seed, "census", "births", day),
        day,
        &mut changes,
    );
    move_house(
        state,
        &mut Stream::new(seed, "census", "moves", day),
        &mut changes,
    );
    let employers = employer_weights(&config.reference);
    change_jobs(
        state,
        &mut Stream::new(seed, "census", "jobs", day),
        &employers,
        &config.reference,
        day,
        &mut changes,
    );
    marry_names(
        state,
        &mut Stream::new(seed, "census", "names", day),
        &mut changes,
    );
    if first_day {
        write_reference(state, &config.reference, emit);
        changes.people = state.people.iter().map(|p| p.id).collect();
        changes.households = state.households.iter().map(|h| h.id).collect();
    }
    write_changes(state, config, emit, &changes, first_day);
    write_events(state, emit, changes.events);
    write_population(state, emit);
}

/// Deaths by a Gompertz hazard of age; a widowed partner's row changes, and a household with
/// no one left is dissolved.
fn die(state: &mut State, deaths: &mut Stream, day: Day, changes: &mut Changes) {
    let mut dead: Vec<Person> = Vec::new();
    state.people.retain(|person| {
        let age = f64::from(person.age(day).max(0));
        let hazard = 0.000_05 * (0.085 * age).exp() / 360.0;
        if deaths.chance(hazard) {
            dead.push(person.clone());
            false
        } else {
            true
        }
    });
    for person in &dead {
        changes.events.push((person.id, "death", String::new()));
        if person.partner == 0 {
            continue;
        }
        if let Some(index) = sorted::position(&state.people, person.partner, |p| p.id) {
            state.people[index].partner = 0;
            changes.people.insert(person.partner);
        }
    }
    changes.dead = dead;
    // A flag per household id: a set of them, built every day, was a tenth of the census's time.
    let mut living = IdFlags::new(FIRST_HOUSEHOLD, state.next_household);
    for person in &state.people {
        living.insert(person.household);
    }
    state
        .households
        .retain(|h| living.contains(h.id) || dissolved(h, &mut changes.households));
}

/// Births: about 11 a year per 1000, to mothers of 18–44, into the mother's household.
fn give_birth(state: &mut State, births: &mut Stream, day: Day, changes: &mut Changes) {
    let expected = state.people.len() as f64 * 0.011 / 360.0;
    let births_today = births.poisson(expected);
    if births_today == 0 {
        return;
    }
    // The same for every birth of the day: a newborn is no mother, and the newborn is pushed
    // after everyone listed.
    let mothers: Vec<usize> = (0..state.people.len())
        .filter(|&i| {
            let p = &state.people[i];
            p.sex == 0 && (18..45).contains(&p.age(day))
        })
        .collect();
    if mothers.is_empty() {
        return;
    }
    for _ in 0..births_today {
        let mother = state.people[mothers[births.index(mothers.len())]].clone();
        let id = state.next_person;
        state.next_person += 1;
        state.people.push(Person {
            id,
            first: births.index(40) as u16,
            last: mother.last,
            birth: day as i32,
            sex: births.between(0, 1) as u8,
            household: mother.household,
            occupation: 0,
            employer: 0,
            mother: mother.id,
            partner: 0,
        });
        changes.people.insert(id);
        changes.events.push((id, "birth", mother.id.to_string()));
    }
}

/// Moves: about 9% of households a year, to a free dwelling anywhere in town.
fn move_house(state: &mut State, moves: &mut Stream, changes: &mut Changes) {
    let moving: Vec<usize> = (0..state.households.len())
        .filter(|_| moves.chance(0.09 / 360.0))
        .collect();
    if moving.is_empty() {
        return;
    }
    let mut occupied = IdFlags::new(FIRST_ADDRESS, FIRST_ADDRESS + state.addresses.len() as u32);
    for household in &state.households {
        occupied.insert(household.address);
    }
    let mut free: Vec<u32> = state
        .addresses
        .iter()
        .map(|a| a.id)
        .filter(|id| !occupied.contains(*id))
        .collect();
    for index in moving {
        if free.is_empty() {
            break;
        }
        let target = free.swap_remove(moves.index(free.len()));
        let household = &mut state.households[index];
        household.address = target;
        changes.households.insert(household.id);
        let head = state
            .people
            .iter()
            .find(|p| p.household == household.id)
            .map_or(0, |p| p.id);
        changes.events.push((head, "move", target.to_string()));
    }
    for person in &state.people {
        if changes.households.contains(&person.household) {
            changes.people.insert(person.id);
        }
    }
}

/// Job changes through the year (a move to another employer, the loss of a job, a job found),
/// and the school year's turn on day 240 (1 September). About one in ten of the labour force is
/// out of work at any time.
fn change_jobs(
    state: &mut State,
    jobs: &mut Stream,
    employers: &[f64],
    reference: &Reference,
    day: Day,
    changes: &mut Changes,
) {
    let new_school_year = calendar::day_of_year(day) == 240;
    for person in &mut state.people {
        let before = (person.occupation, person.employer);
        let age = person.age(day);
        let leaves_stage = match person.occupation {
            0 => age >= 18,
            STUDENT => age >= 22,
            RETIRED => false,
            _ => age >= 67,
        };
        if new_school_year && leaves_stage {
            set_occupation(person, jobs, employers, day);
        } else if person.occupation == WORKER {
            let (moves, loses) = (jobs.chance(0.1 / 360.0), jobs.chance(0.015 / 360.0));
            if loses {
                (person.occupation, person.employer) = (NOT_WORKING, 0);
            } else if moves {
                person.employer = jobs.weighted(employers) as u8;
            }
        } else if person.occupation == NOT_WORKING
            && (18..67).contains(&person.age(day))
            && jobs.chance(0.14 / 360.0)
        {
            (person.occupation, person.employer) = (WORKER, jobs.weighted(employers) as u8);
        }
        if before != (person.occupation, person.employer) {
            changes.people.insert(person.id);
            changes.events.push((
                person.id,
                "job_change",
                employer_code(reference, person.employer).to_string(),
            ));
        }
    }
}

/// Name changes: marriages of registered partners, a few a year.
fn marry_names(state: &mut State, renames: &mut Stream, changes: &mut Changes) {
    for index in 0..state.people.len() {
        let person = &state.people[index];
        if person.sex != 0 || person.partner == 0 || !renames.chance(0.02 / 360.0) {
            continue;
        }
        let Some(partner_last) = state.person(person.partner).map(|p| p.last) else {
            continue;
        };
        if partner_last != person.last {
            state.people[index].last = partner_last;
            let id = state.people[index].id;
            changes.people.insert(id);
            changes.events.push((
                id,
                "name_change",
                state.people[index].last_name().to_string(),
            ));
        }
    }
}

/// The changed households and inhabitants (the dead once more, as deceased), with the
/// registry's casing defects in names.
fn write_changes(
    state: &State,
    config: &SimConfig,
    emit: &mut Emit,
    changes: &Changes,
    first_day: bool,
) {
    let day = emit.day;
    let rates = config.rates("census");
    let change = if first_day { "created" } else { "changed" };
    for id in &changes.households {
        let household = state.household(*id).cloned();
        emit.current(&HOUSEHOLDS, u64::from(*id), change, |line| {
            match &household {
                Some(h) => line.int(h.id).int(h.address).int(h.formed).text("active"),
                None => line.int(*id).null().null().text("dissolved"),
            }
            .int(day);
        });
    }
    let mut chaos_rng = Stream::new(config.seed, "census", "chaos", day);
    let versions = changes.dead.iter().map(|person| (person, false)).chain(
        changes
            .people
            .iter()
            .filter_map(|id| state.person(*id))
            .map(|p| (p, true)),
    );
    for (person, alive) in versions {
        let (first, first_changed) = chaos::name_variant(
            &mut chaos_rng,
            rates.name_variants / 2.0,
            person.first_name(),
        );
        let (last, last_changed) = chaos::name_variant(
            &mut chaos_rng,
            rates.name_variants / 2.0,
            person.last_name(),
        );
        let first = casing_only(first, person.first_name(), first_changed);
        let last = casing_only(last, person.last_name(), last_changed);
        for (variant, clean) in [(&first, person.first_name()), (&last, person.last_name())] {
            if variant != clean {
                chaos::ledger(
                    emit,
                    &INHABITANTS,
                    u64::from(person.id),
                    "name_variant",
                    variant,
                );
            }
        }
        let address = state.household(person.household).map(|h| h.address);
        let district = address.map(|a| state.address(a).district);
        let employer = employer_code(&config.reference, person.employer);
        let version = if first_day {
            "created"
        } else if alive {
            "changed"
        } else {
            "died"
        };
        emit.current(&INHABITANTS, u64::from(person.id), version, |line| {
            line.int(person.id)
                .text(&first)
                .text(&last)
                .text(if person.sex == 0 { "F" } else { "M" })
                .int(person.birth)
                .text(&calendar::ux_date_signed(person.birth).to_string())
                .int(person.household)
                .opt_int(address)
                .opt_int(district)
                .text(OCCUPATIONS[person.occupation as usize])
                .opt_text((!employer.is_empty()).then_some(employer))
                .opt_int((person.mother != 0).then_some(person.mother))
                .opt_int((person.partner != 0).then_some(person.partner))
                .text(if alive { "alive" } else { "deceased" })
                .int(day);
        });
    }
}

fn write_events(state: &mut State, emit: &mut Emit, events: Vec<(u32, &'static str, String)>) {
    let day = emit.day;
    let ux_date = calendar::ux_date(day).to_string();
    for (ux_id, kind, detail) in events {
        let id = state.next_event;
        state.next_event += 1;
        emit.event(&EVENTS, &[0], |line| {
            line.int(id)
                .int(ux_id)
                .text(kind)
                .int(day)
                .text(&ux_date)
                .text(&detail);
        });
    }
}

/// Truth: the population per district at the end of the day.
fn write_population(state: &State, emit: &mut Emit) {
    let day = emit.day;
    let mut inhabitants = [0u32; 20];
    let mut households = [0u32; 20];
    for household in &state.households {
        households[(state.address(household.address).district - 301) as usize] += 1;
    }
    let districts = state.districts();
    for person in &state.people {
        inhabitants[(districts.of(person) - 301) as usize] += 1;
    }
    for index in 0..20 {
        emit.row(&POPULATION, |line| {
            line.int(day)
                .int(301 + index as u32)
                .int(inhabitants[index])
                .int(households[index]);
        });
    }
}

/// A household with no one left is dissolved; its row is replaced once more to say so.
fn dissolved(household: &Household, changed: &mut BTreeSet<u32>) -> bool {
    changed.insert(household.id);
    false
}

/// The registry's defects are limited to casing and stray spaces: the name stays recoverable.
fn casing_only(variant: String, clean: &str, changed: bool) -> String {
    if !changed {
        return variant;
    }
    if variant.trim().eq_ignore_ascii_case(clean) {
        variant
    } else {
        clean.to_uppercase()
    }
}

fn write_reference(state: &State, reference: &Reference, emit: &mut Emit) {
    for district in &reference.districts {
        emit.row(&DISTRICTS, |line| {
            line.int(district.district_id)
                .text(&district.district_name)
                .text(&district.zone)
                .text(&district.postal_prefix);
        });
    }
    for street in &state.streets {
        emit.row(&STREETS, |line| {
            line.int(street.id)
                .text(names::STREETS[street.name as usize])
                .text(names::STREET_TYPES[street.kind as usize])
                .int(street.district);
        });
    }
    for address in &state.addresses {
        let letters = [
            b'A' + (address.id % 26) as u8,
            b'A' + (address.id / 26 % 26) as u8,
        ];
        let postal = format!(
            "{} {}{}",
            reference.district(address.district).postal_prefix,
            address.street % 10,
            std::str::from_utf8(&letters).expect("ASCII letters")
        );
        let unit = (address.unit != 0).then(|| format!("{:04}", address.unit));
        emit.row(&ADDRESSES, |line| {
            line.int(address.id)
                .opt_text(unit.as_deref())
                .int(address.number)
                .int(address.street)
                .text(&postal)
                .int(address.district);
        });
    }
}
