//! Health insurance (UXH): four metal-tier plans repriced each plan year, a network of providers,
//! members enrolled by household from the census (a subscriber and dependants), enrollments that
//! start and end (open enrollment in month 11 for the next plan year, births, deaths, new cover and
//! lapses), and claims. Utilisation depends on age, season (a winter respiratory peak) and cold
//! days; amounts follow the plan's deductible, coinsurance and out-of-pocket maximum with
//! accumulators reset each plan year. A claim reaches the insurer after a heavy-tailed lag and is
//! delivered on its received day. Truth: `truth.health_claims_monthly`, written on the last day of
//! each service month.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::sim::calendar::{self, Day, Instant};
use crate::sim::chaos;
use crate::sim::config::{Rates, SimConfig};
use crate::sim::domains::{census, economy, names, weather};
use crate::sim::output::Emit;
use crate::sim::random::Stream;
use crate::sim::reference::{FIRST_PLAN, Reference};
use crate::sim::sorted::{self, IdFlags};
use crate::sim::table::{Kind, Schema, SqlType, Table, col};

pub const PLANS: Table = Table {
    domain: "health",
    schema: Schema::Raw,
    name: "health_plans",
    kind: Kind::Current,
    description: "The insurer's plans; each plan year (from month 1) reprices them, replacing the row.",
    columns: &[
        col("plan_id", SqlType::Int, "Plan id, 901–904."),
        col("plan_name", SqlType::Text, "Plan name, `UXH Bronze`..."),
        col(
            "metal_tier",
            SqlType::Text,
            "bronze, silver, gold or platinum.",
        ),
        col(
            "plan_year",
            SqlType::Int,
            "The plan year these terms apply to.",
        ),
        col(
            "monthly_premium_cents",
            SqlType::Int,
            "Monthly premium per adult member.",
        ),
        col(
            "deductible_cents",
            SqlType::Int,
            "What a member pays in a plan year before coinsurance starts.",
        ),
        col(
            "oop_max_cents",
            SqlType::Int,
            "A member's out-of-pocket maximum per plan year.",
        ),
        col(
            "coinsurance_bp",
            SqlType::Int,
            "The member's share after the deductible, basis points.",
        ),
        col(
            "updated_day",
            SqlType::Int,
            "The day this version took effect.",
        ),
    ],
};

pub const PROVIDERS: Table = Table {
    domain: "health",
    schema: Schema::Raw,
    name: "health_providers",
    kind: Kind::Static,
    description: "In-network providers: the general hospital, clinics and doctors.",
    columns: &[
        col(
            "provider_id",
            SqlType::Int,
            "Provider id, 9501 upwards (9501 is the general hospital).",
        ),
        col("npi", SqlType::Text, "Ten-digit national provider number."),
        col(
            "provider_name",
            SqlType::Text,
            "Name of the doctor or facility.",
        ),
        col(
            "specialty",
            SqlType::Text,
            "hospital, general_practice, pediatrics, cardiology, orthopedics, respiratory, dermatology, mental_health or emergency.",
        ),
        col("district_id", SqlType::Int, "Where the provider practises."),
    ],
};

pub const MEMBERS: Table = Table {
    domain: "health",
    schema: Schema::Raw,
    name: "health_members",
    kind: Kind::Current,
    description: "Insured members today, one per covered inhabitant: a subscriber and dependants per household. A plan change, a new subscriber or the end of cover replaces the row.",
    columns: &[
        col("member_id", SqlType::Int, "Member id, 8000001 upwards."),
        col("ux_id", SqlType::Int, "The inhabitant (census ux_id)."),
        col(
            "subscriber_member_id",
            SqlType::Int,
            "The member holding the family's policy (self for subscribers).",
        ),
        col(
            "relationship",
            SqlType::Text,
            "self, spouse, child or other.",
        ),
        col("plan_id", SqlType::Int, "The plan covering the member."),
        col("status", SqlType::Text, "active or terminated."),
        col(
            "updated_day",
            SqlType::Int,
            "The day this version was recorded.",
        ),
    ],
};

pub const ENROLLMENTS: Table = Table {
    domain: "health",
    schema: Schema::Raw,
    name: "health_enrollments",
    kind: Kind::Events,
    description: "Coverage periods: a `start` row when cover begins (end_day null) and an `end` row with the same enrollment_id when it ends. Some rows arrive twice.",
    columns: &[
        col(
            "enrollment_id",
            SqlType::Int,
            "Enrollment id, 8500001 upwards.",
        ),
        col("member_id", SqlType::Int, "The member."),
        col("plan_id", SqlType::Int, "The plan."),
        col("event_type", SqlType::Text, "start or end."),
        col("start_day", SqlType::Int, "First covered day."),
        col(
            "end_day",
            SqlType::Int,
            "Last covered day; null on start rows.",
        ),
        col(
            "reason",
            SqlType::Text,
            "initial, new_coverage, birth, household_change, open_enrollment, death or lapse.",
        ),
        col(
            "recorded_at",
            SqlType::Timestamp,
            "When the insurer recorded the event.",
        ),
    ],
};

pub const CLAIMS: Table = Table {
    domain: "health",
    schema: Schema::Raw,
    name: "health_claims",
    kind: Kind::Events,
    description: "Claims as received: each is delivered on its received day, days to months after the service (so recent months are incomplete). Diagnosis codes arrive in casing and punctuation variants; a few claims are re-adjudicated: the first version comes back with status REPLACED beside a corrected next version (keep the latest version per claim_id); some rows arrive twice.",
    columns: &[
        col("claim_id", SqlType::BigInt, "Claim id, 90000001 upwards."),
        col(
            "claim_version",
            SqlType::Int,
            "1, or 2 for a re-adjudicated claim.",
        ),
        col("member_id", SqlType::Int, "The patient."),
        col("plan_id", SqlType::Int, "The plan on the service day."),
        col("provider_id", SqlType::Int, "The provider."),
        col("service_day", SqlType::Int, "The day of the service."),
        col(
            "received_day",
            SqlType::Int,
            "The day the insurer received this version.",
        ),
        col(
            "service_at",
            SqlType::Timestamp,
            "When the service took place.",
        ),
        col(
            "diagnosis_code",
            SqlType::Text,
            "ICD-10 code as submitted: `J11.1`, `j11.1`, `J111`...",
        ),
        col(
            "status",
            SqlType::Text,
            "PAID, DENIED, or REPLACED for a superseded version.",
        ),
        col("billed_cents", SqlType::BigInt, "What the provider billed."),
        col(
            "allowed_cents",
            SqlType::BigInt,
            "The negotiated amount the plan recognises.",
        ),
        col("paid_cents", SqlType::BigInt, "What the plan paid."),
        col(
            "member_resp_cents",
            SqlType::BigInt,
            "What the member owes (deductible and coinsurance).",
        ),
    ],
};

pub const CLAIMS_MONTHLY: Table = Table {
    domain: "health",
    schema: Schema::Truth,
    name: "health_claims_monthly",
    kind: Kind::Events,
    description: "Claims incurred per service month and plan, written once on the last day (30th) of each month: the final version of every claim, however late it is received.",
    columns: &[
        col("ux_month", SqlType::Int, "The service month, `yyyymm`."),
        col("plan_id", SqlType::Int, "The plan."),
        col(
            "claims",
            SqlType::Int,
            "Claims with a service day in the month (denied included).",
        ),
        col(
            "incurred_cents",
            SqlType::BigInt,
            "Sum of paid_cents of their final versions.",
        ),
    ],
};

pub const TABLES: &[&Table] = &[
    &PLANS,
    &PROVIDERS,
    &MEMBERS,
    &ENROLLMENTS,
    &CLAIMS,
    &CLAIMS_MONTHLY,
];

const RELATIONSHIPS: [&str; 4] = ["self", "spouse", "child", "other"];
const SPECIALTIES: [&str; 9] = [
    "hospital",
    "general_practice",
    "pediatrics",
    "cardiology",
    "orthopedics",
    "respiratory",
    "dermatology",
    "mental_health",
    "emergency",
];
const GP: u8 = 1;
const PEDIATRICS: u8 = 2;
/// Provider mix after the hospital: mostly general practice.
const SPECIALTY_WEIGHTS: [f64; 9] = [0.0, 0.45, 0.12, 0.08, 0.08, 0.07, 0.06, 0.08, 0.06];

/// Diagnoses: code, specialty, lowest and highest billed cents, base weight, winter weight.
const DIAGNOSES: [(&str, u8, i64, i64, f64, f64); 13] = [
    ("Z00.00", 1, 12_000, 20_000, 3.0, 1.0),
    ("J06.9", 1, 9_000, 16_000, 2.0, 3.0),
    ("J11.1", 1, 11_000, 25_000, 0.5, 6.0),
    ("J45.909", 5, 15_000, 40_000, 0.8, 1.5),
    ("I10", 3, 15_000, 35_000, 1.0, 1.0),
    ("E11.9", 1, 14_000, 30_000, 0.8, 1.0),
    ("M54.5", 4, 15_000, 60_000, 1.2, 1.0),
    ("S93.401A", 8, 40_000, 150_000, 0.6, 0.8),
    ("F41.1", 7, 12_000, 25_000, 0.8, 1.0),
    ("L20.9", 6, 10_000, 20_000, 0.6, 0.8),
    ("K21.9", 1, 12_000, 25_000, 0.6, 1.0),
    ("N39.0", 1, 9_000, 18_000, 0.6, 1.0),
    ("I21.9", 0, 1_500_000, 6_000_000, 0.05, 1.2),
];
const RESPIRATORY: [usize; 3] = [1, 2, 3];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub id: u32,
    pub year: u32,
    pub premium_cents: i64,
    pub deductible_cents: i64,
    pub oop_max_cents: i64,
    pub coinsurance_bp: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Provider {
    pub id: u32,
    pub specialty: u8,
    pub district: u32,
    pub npi: u64,
    pub first: u16,
    pub last: u16,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    pub id: u32,
    pub ux_id: u32,
    pub household: u32,
    pub subscriber: u32,
    pub relationship: u8,
    pub plan: u32,
    pub enrollment: u32,
    pub enrolled: Day,
    /// Deductible and out-of-pocket spend so far this plan year.
    pub deductible_met: i64,
    pub oop_met: i64,
    /// The plan chosen at open enrollment for next year (subscribers only; 0 = stay).
    pub switch_to: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub plans: Vec<Plan>,
    pub providers: Vec<Provider>,
    /// Live members, sorted by id; terminated members are removed.
    pub members: Vec<Member>,
    /// This month's truth so far per plan (index = plan − 901): claims and incurred cents.
    pub month_claims: Vec<(u32, i64)>,
    next_member: u32,
    next_enrollment: u32,
    next_claim: u64,
}

pub fn new(config: &SimConfig, census: &census::State) -> State {
    let start = config.start();
    let mut rng = Stream::new(config.seed, "health", "founding", 0);
    let plans: Vec<Plan> = config
        .reference
        .health_plans
        .iter()
        .map(|plan| Plan {
            id: plan.plan_id,
            year: calendar::year(start),
            premium_cents: plan.monthly_premium_cents,
            deductible_cents: plan.deductible_cents,
            oop_max_cents: plan.oop_max_cents,
            coinsurance_bp: plan.coinsurance_bp,
        })
        .collect();
    let count = (config.population / 400).max(10);
    let providers = (0..count)
        .map(|index| Provider {
            id: 9501 + index,
            specialty: if index == 0 {
                0
            } else {
                rng.weighted(&SPECIALTY_WEIGHTS) as u8
            },
            district: if index == 0 {
                305
            } else {
                301 + rng.between(0, 19) as u32
            },
            npi: 1_000_000_000 + rng.between(0, 999_999_999) as u64,
            first: rng.index(names::FEMALE.len()) as u16,
            last: rng.index(names::LAST.len()) as u16,
        })
        .collect();
    let mut state = State {
        plans,
        providers,
        members: Vec::new(),
        month_claims: vec![(0, 0); config.reference.health_plans.len()],
        next_member: 8_000_001,
        next_enrollment: 8_500_001,
        next_claim: 90_000_001,
    };
    let families = households(census);
    for (household, people) in &families {
        if rng.chance(0.6) {
            let plan = choose_plan(config, &mut rng);
            cover(&mut state, census, *household, people, plan, start);
        }
    }
    state
}

/// The living inhabitants of one household, in id order.
fn family(census: &census::State, household: u32) -> Vec<u32> {
    census
        .people
        .iter()
        .filter(|person| person.household == household)
        .map(|person| person.id)
        .collect()
}

/// The living inhabitants of each household, in id order.
fn households(census: &census::State) -> BTreeMap<u32, Vec<u32>> {
    let mut families: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for person in &census.people {
        families
            .entry(person.household)
            .or_default()
            .push(person.id);
    }
    families
}

/// A new member with a new enrollment, nothing spent yet this plan year. Returns its index.
fn enroll(
    state: &mut State,
    ux_id: u32,
    household: u32,
    subscriber: u32,
    relationship: u8,
    plan: u32,
    day: Day,
) -> usize {
    state.members.push(Member {
        id: state.next_member,
        ux_id,
        household,
        subscriber,
        relationship,
        plan,
        enrollment: state.next_enrollment,
        enrolled: day,
        deductible_met: 0,
        oop_met: 0,
        switch_to: 0,
    });
    state.next_member += 1;
    state.next_enrollment += 1;
    state.members.len() - 1
}

/// Enrolls a household: the oldest member subscribes, the others are dependants. Returns the
/// indices of the new members.
fn cover(
    state: &mut State,
    census: &census::State,
    household: u32,
    people: &[u32],
    plan: u32,
    day: Day,
) -> std::ops::Range<usize> {
    let first = state.members.len();
    let Some(head) = people
        .iter()
        .filter_map(|id| census.person(*id))
        .min_by_key(|p| (p.birth, p.id))
    else {
        return first..first;
    };
    let subscriber = state.next_member;
    let mut ordered = vec![head.id];
    ordered.extend(people.iter().copied().filter(|id| *id != head.id));
    for ux_id in ordered {
        let Some(person) = census.person(ux_id) else {
            continue;
        };
        let relationship = relationship(head, person, day);
        enroll(state, ux_id, household, subscriber, relationship, plan, day);
    }
    first..state.members.len()
}

fn relationship(head: &census::Person, person: &census::Person, day: Day) -> u8 {
    match () {
        _ if person.id == head.id => 0,
        _ if head.partner == person.id => 1,
        _ if person.age(day) < 26 => 2,
        _ => 3,
    }
}

fn write_member(emit: &mut Emit, member: &Member, active: bool, change: &str) {
    let day = emit.day;
    emit.current(&MEMBERS, u64::from(member.id), change, |line| {
        line.int(member.id)
            .int(member.ux_id)
            .int(member.subscriber)
            .text(RELATIONSHIPS[member.relationship as usize])
            .int(member.plan)
            .text(if active { "active" } else { "terminated" })
            .int(day);
    });
}

/// A plan for a new policy or a switch, by the plans' enrollment shares.
fn choose_plan(config: &SimConfig, rng: &mut Stream) -> u32 {
    let shares: Vec<f64> = config
        .reference
        .health_plans
        .iter()
        .map(|p| p.enrollment_share)
        .collect();
    FIRST_PLAN + rng.weighted(&shares) as u32
}

fn plan_index(plan: u32) -> usize {
    (plan - FIRST_PLAN) as usize
}

fn write_plan(emit: &mut Emit, reference: &Reference, plan: &Plan, change: &str) {
    let day = emit.day;
    let seeded = &reference.health_plans[plan_index(plan.id)];
    emit.current(&PLANS, u64::from(plan.id), change, |line| {
        line.int(plan.id)
            .text(&seeded.plan_name)
            .text(&seeded.metal_tier)
            .int(plan.year)
            .int(plan.premium_cents)
            .int(plan.deductible_cents)
            .int(plan.oop_max_cents)
            .int(plan.coinsurance_bp)
            .int(day);
    });
}

/// The enrollment office's day: when it records an event, and the feed's chaos. Every
/// enrollment event of the day goes through it, in order.
struct Office {
    admin: Stream,
    chaos: Stream,
    rates: Rates,
    start_of_day: Instant,
}

impl Office {
    fn new(config: &SimConfig, day: Day) -> Office {
        Office {
            admin: Stream::new(config.seed, "health", "admin", day),
            chaos: Stream::new(config.seed, "health", "chaos", day),
            rates: config.rates("health"),
            start_of_day: calendar::start_of(day),
        }
    }

    /// A time during office hours.
    fn time(&mut self) -> Instant {
        self.start_of_day + self.admin.between(8 * 3600, 18 * 3600)
    }

    /// Records one enrollment event (a start, or an end with its last covered day), now.
    fn record(&mut self, emit: &mut Emit, member: &Member, end_day: Option<Day>, reason: &str) {
        let recorded_at = self.time();
        self.record_at(emit, member, end_day, reason, recorded_at);
    }

    fn record_at(
        &mut self,
        emit: &mut Emit,
        member: &Member,
        end_day: Option<Day>,
        reason: &str,
        recorded_at: Instant,
    ) {
        let delays = chaos::deliveries(
            emit,
            &mut self.chaos,
            &self.rates,
            &ENROLLMENTS,
            u64::from(member.enrollment),
        );
        emit.event(&ENROLLMENTS, &delays, |line| {
            line.int(member.enrollment)
                .int(member.id)
                .int(member.plan)
                .text(if end_day.is_some() { "end" } else { "start" })
                .int(member.enrolled)
                .opt_int(end_day)
                .text(reason)
                .timestamp(recorded_at);
        });
    }
}

/// A diagnosis code as a claims clearinghouse may write it.
fn code_variant(code: &str, form: usize) -> String {
    match form {
        0 => code.to_lowercase(),
        1 => code.replace('.', ""),
        2 => code.to_lowercase().replace('.', ""),
        _ => format!("{code} "),
    }
}

/// One day of the insurer: a new plan year on its first day, cover ending (deaths, lapses) and
/// starting (newborns, newcomers, new policies), open-enrollment choices, the day's claims,
/// and on a month's last day the month's truth.
pub fn step(
    state: &mut State,
    census: &census::State,
    economy: &economy::State,
    config: &SimConfig,
    today: &weather::Today,
    emit: &mut Emit,
    first_day: bool,
) {
    let day = emit.day;
    let mut office = Office::new(config, day);
    if first_day {
        write_reference(state, &config.reference, emit, &mut office);
    }
    if calendar::day_of_year(day) == 0 && !first_day {
        start_plan_year(state, economy, config, emit, &mut office);
    }
    end_cover(state, census, config, emit, &mut office);
    start_cover(state, census, config, emit, &mut office);
    if calendar::month(day) == 11 {
        choose_plans(state, config, day);
    }
    claim(state, census, config, today, emit, &mut office.chaos);
    if calendar::day_of_month(day) == calendar::DAYS_PER_MONTH {
        write_month(state, emit);
    }
}

/// The first day's plans, providers and initial members.
fn write_reference(state: &State, reference: &Reference, emit: &mut Emit, office: &mut Office) {
    for plan in &state.plans {
        write_plan(emit, reference, plan, "created");
    }
    for provider in &state.providers {
        let name = if provider.specialty == 0 {
            "Uxcestershire General Hospital".to_string()
        } else if provider.id % 3 == 0 {
            format!(
                "{} Medical Centre",
                reference.district(provider.district).district_name
            )
        } else {
            format!(
                "Dr {} {}",
                names::FEMALE[provider.first as usize],
                names::LAST[provider.last as usize]
            )
        };
        emit.row(&PROVIDERS, |line| {
            line.int(provider.id)
                .text(&provider.npi.to_string())
                .text(&name)
                .text(SPECIALTIES[provider.specialty as usize])
                .int(provider.district);
        });
    }
    for member in &state.members {
        write_member(emit, member, true, "created");
        office.record(emit, member, None, "initial");
    }
}

/// A new plan year: repricing (last year's inflation and a loading for rising claims),
/// accumulators reset, and the plans chosen at open enrollment take effect (ending the old
/// enrollment the day before).
fn start_plan_year(
    state: &mut State,
    economy: &economy::State,
    config: &SimConfig,
    emit: &mut Emit,
    office: &mut Office,
) {
    let day = emit.day;
    let mut pricing = Stream::new(config.seed, "health", "pricing", day);
    for plan in &mut state.plans {
        plan.year = calendar::year(day);
        let rise = economy.last_years_inflation() * (1.01 + 0.04 * pricing.unit());
        plan.premium_cents = (plan.premium_cents as f64 * rise / 100.0).round() as i64 * 100;
        let deductible = 1.0 + 0.05 * pricing.unit();
        plan.deductible_cents =
            (plan.deductible_cents as f64 * deductible / 1000.0).round() as i64 * 1000;
        write_plan(emit, &config.reference, plan, "repriced");
    }
    let switches: BTreeMap<u32, u32> = state
        .members
        .iter()
        .filter(|m| m.switch_to != 0)
        .map(|m| (m.id, m.switch_to))
        .collect();
    for index in 0..state.members.len() {
        let member = &mut state.members[index];
        member.deductible_met = 0;
        member.oop_met = 0;
        member.switch_to = 0;
        let Some(plan) = switches.get(&member.subscriber).copied() else {
            continue;
        };
        if plan == member.plan {
            continue;
        }
        let old = member.clone();
        // One visit to the office ends the old enrollment and starts the new one.
        let at = office.time();
        office.record_at(emit, &old, Some(day - 1), "open_enrollment", at);
        let member = &mut state.members[index];
        member.plan = plan;
        member.enrollment = state.next_enrollment;
        state.next_enrollment += 1;
        member.enrolled = day;
        let member = member.clone();
        write_member(emit, &member, true, "plan_changed");
        office.record_at(emit, &member, None, "open_enrollment", at);
    }
}

/// Ends of cover: deaths, and lapses of whole households. A family whose subscriber died: the
/// oldest surviving member takes the policy over.
fn end_cover(
    state: &mut State,
    census: &census::State,
    config: &SimConfig,
    emit: &mut Emit,
    office: &mut Office,
) {
    let day = emit.day;
    let mut lapsing = Stream::new(config.seed, "health", "lapses", day);
    let mut lapsed: BTreeSet<u32> = BTreeSet::new();
    for member in &state.members {
        if member.relationship == 0 && lapsing.chance(0.05 / 360.0) {
            lapsed.insert(member.subscriber);
        }
    }
    let mut ended: Vec<(Member, &str)> = Vec::new();
    state.members.retain(|member| {
        if census.person(member.ux_id).is_none() {
            ended.push((member.clone(), "death"));
            false
        } else if lapsed.contains(&member.subscriber) {
            ended.push((member.clone(), "lapse"));
            false
        } else {
            true
        }
    });
    for (member, reason) in &ended {
        office.record(emit, member, Some(day), reason);
        write_member(emit, member, false, reason);
    }
    let orphaned: BTreeSet<u32> = ended
        .iter()
        .filter(|(m, reason)| m.relationship == 0 && *reason == "death")
        .map(|(m, _)| m.id)
        .collect();
    for old in &orphaned {
        let family: Vec<usize> = (0..state.members.len())
            .filter(|i| state.members[*i].subscriber == *old)
            .collect();
        let Some(&head_index) = family.iter().min_by_key(|i| {
            let m = &state.members[**i];
            (census.person(m.ux_id).map_or(0, |p| p.birth), m.id)
        }) else {
            continue;
        };
        let head_id = state.members[head_index].id;
        for index in family {
            let member = &mut state.members[index];
            member.subscriber = head_id;
            if index == head_index {
                member.relationship = 0;
            }
            let member = member.clone();
            write_member(emit, &member, true, "new_subscriber");
        }
    }
}

/// New cover: newborns and newcomers in covered households, and uninsured households buying
/// a policy.
fn start_cover(
    state: &mut State,
    census: &census::State,
    config: &SimConfig,
    emit: &mut Emit,
    office: &mut Office,
) {
    let day = emit.day;
    let mut joining = Stream::new(config.seed, "health", "joining", day);
    let insured = insured(census, &state.members);
    let covered: BTreeMap<u32, (u32, u32)> = state
        .members
        .iter()
        .filter(|m| m.relationship == 0)
        .map(|m| (m.household, (m.id, m.plan)))
        .collect();
    let buying = joining.poisson(census.households.len() as f64 * 0.06 / 360.0);
    let mut new_members: Vec<usize> = Vec::new();
    for person in &census.people {
        if insured.contains(person.id) {
            continue;
        }
        let Some(&(subscriber, plan)) = covered.get(&person.household) else {
            continue;
        };
        let head = sorted::position(&state.members, subscriber, |m| m.id)
            .and_then(|i| census.person(state.members[i].ux_id));
        let relationship = head.map_or(2, |h| relationship(h, person, day));
        let member = enroll(
            state,
            person.id,
            person.household,
            subscriber,
            relationship,
            plan,
            day,
        );
        new_members.push(member);
    }
    let newcomers = new_members.len();
    if buying > 0 && !census.households.is_empty() {
        let mut bought: BTreeSet<u32> = BTreeSet::new();
        for _ in 0..buying {
            let household = joining.pick(&census.households).id;
            if covered.contains_key(&household) || !bought.insert(household) {
                continue;
            }
            // A few households buy a day: each is found by a pass over the town, not by sorting
            // the whole town into households every day.
            let people = family(census, household);
            if people.is_empty() || people.iter().any(|id| insured.contains(*id)) {
                continue;
            }
            let plan = choose_plan(config, &mut joining);
            new_members.extend(cover(state, census, household, &people, plan, day));
        }
    }
    for (position, index) in new_members.iter().enumerate() {
        let member = state.members[*index].clone();
        let reason = if position >= newcomers {
            "new_coverage"
        } else if census
            .person(member.ux_id)
            .is_some_and(|p| p.birth == day as i32)
        {
            "birth"
        } else {
            "household_change"
        };
        write_member(emit, &member, true, "created");
        office.record(emit, &member, None, reason);
    }
}

/// Which inhabitants are members, by person id from the first living person's: built once a
/// day in a pass over the members.
fn insured(census: &census::State, members: &[Member]) -> IdFlags {
    let first = census.people.first().map_or(0, |p| p.id);
    let end = census.people.last().map_or(0, |p| p.id + 1);
    let mut insured = IdFlags::new(first, end);
    for member in members {
        insured.insert(member.ux_id);
    }
    insured
}

/// Open enrollment in month 11: some subscribers choose another plan for next year.
fn choose_plans(state: &mut State, config: &SimConfig, day: Day) {
    let mut choosing = Stream::new(config.seed, "health", "open_enrollment", day);
    for member in &mut state.members {
        if member.relationship == 0 && member.switch_to == 0 && choosing.chance(0.2 / 30.0) {
            member.switch_to = choose_plan(config, &mut choosing);
        }
    }
}

/// The day's claims: visits by age, season and cold, a diagnosis and a provider (local mostly),
/// amounts by the plan's cost sharing, received after a heavy-tailed lag; a few re-adjudicated.
fn claim(
    state: &mut State,
    census: &census::State,
    config: &SimConfig,
    today: &weather::Today,
    emit: &mut Emit,
    chaos_rng: &mut Stream,
) {
    let day = emit.day;
    let seed = config.seed;
    let rates = config.rates("health");
    let start_of_day = calendar::start_of(day);
    let winter = matches!(calendar::month(day), 12 | 1 | 2);
    let cold = today.temp_c < 3.0;
    let season = if winter { 1.35 } else { 1.0 } * if cold { 1.15 } else { 1.0 };
    let weights: Vec<f64> = DIAGNOSES
        .iter()
        .map(|d| d.4 * if winter || cold { d.5 } else { 1.0 })
        .collect();
    let respiratory_share: f64 =
        RESPIRATORY.iter().map(|i| weights[*i]).sum::<f64>() / weights.iter().sum::<f64>();
    let mut by_specialty: Vec<Vec<usize>> = vec![Vec::new(); SPECIALTIES.len()];
    for (index, provider) in state.providers.iter().enumerate() {
        by_specialty[provider.specialty as usize].push(index);
    }
    let resubmit_rate = if config.chaos.enabled { 0.015 } else { 0.0 };
    let mut visits = Stream::new(seed, "health", "claims", day);
    let mut codes_rng = Stream::new(seed, "health", "code_chaos", day);
    for member in &mut state.members {
        let Some(person) = census.person(member.ux_id) else {
            continue;
        };
        let age = person.age(day);
        let yearly = match age {
            ..=4 => 6.0,
            5..=17 => 3.0,
            18..=44 => 3.0,
            45..=64 => 5.0,
            _ => 9.0,
        };
        // The winter lift falls on respiratory diagnoses, so scale the rate by their share.
        let rate = yearly / 360.0 * (1.0 + (season - 1.0) * (0.5 + respiratory_share));
        if !visits.chance(rate) {
            continue;
        }
        let mut diagnosis = visits.weighted(&weights);
        if DIAGNOSES[diagnosis].1 == 0 && age < 40 {
            diagnosis = 0;
        }
        let (code, specialty, low, high, ..) = DIAGNOSES[diagnosis];
        let specialty = if specialty == GP && age < 16 {
            PEDIATRICS
        } else {
            specialty
        };
        let pool = if by_specialty[specialty as usize].is_empty() {
            &by_specialty[GP as usize]
        } else {
            &by_specialty[specialty as usize]
        };
        let local: Vec<usize> = pool
            .iter()
            .copied()
            .filter(|i| state.providers[*i].district == census.district_of(person))
            .collect();
        let provider = if pool.is_empty() {
            &state.providers[0]
        } else if !local.is_empty() && visits.chance(0.7) {
            &state.providers[*visits.pick(&local)]
        } else {
            &state.providers[*visits.pick(pool)]
        };
        let billed = visits.between(low, high);
        let denied = visits.chance(0.03);
        let allowed = if denied {
            0
        } else {
            (billed as f64 * (0.55 + 0.25 * visits.unit())) as i64
        };
        let plan = &state.plans[plan_index(member.plan)];
        let deductible = allowed.min((plan.deductible_cents - member.deductible_met).max(0));
        let coinsurance = (allowed - deductible) * plan.coinsurance_bp / 10_000;
        let owed = (deductible + coinsurance).min((plan.oop_max_cents - member.oop_met).max(0));
        member.deductible_met += deductible;
        member.oop_met += owed;
        let paid = allowed - owed;
        let lag = visits.log_normal(6f64.ln(), 0.8).round().clamp(1.0, 120.0) as u32;
        let service_at = start_of_day + visits.between(8 * 3600, 19 * 3600);
        let claim_id = state.next_claim;
        state.next_claim += 1;
        let slot = &mut state.month_claims[plan_index(member.plan)];
        slot.0 += 1;
        slot.1 += paid;

        let variant = codes_rng.chance(rates.name_variants);
        let form = codes_rng.index(4);
        let submitted = if variant {
            code_variant(code, form)
        } else {
            code.to_string()
        };
        if variant {
            chaos::ledger(emit, &CLAIMS, claim_id, "name_variant", &submitted);
        }
        let resubmitted = !denied && codes_rng.chance(resubmit_rate);
        let redo_after = codes_rng.between(5, 30) as u32;
        let status = if denied { "DENIED" } else { "PAID" };
        let versions: Vec<(u32, u32, &str, i64, i64, i64)> = if resubmitted {
            chaos::ledger(
                emit,
                &CLAIMS,
                claim_id,
                "resubmission",
                &format!("corrected after {redo_after} days"),
            );
            let wrong_allowed = allowed * 6 / 5;
            let wrong_paid = paid + wrong_allowed - allowed;
            vec![
                (1, lag, "PAID", wrong_allowed, wrong_paid, owed),
                (
                    1,
                    lag + redo_after,
                    "REPLACED",
                    wrong_allowed,
                    wrong_paid,
                    owed,
                ),
                (2, lag + redo_after, "PAID", allowed, paid, owed),
            ]
        } else {
            vec![(1, lag, status, allowed, paid, owed)]
        };
        let delivery = chaos::deliveries(emit, chaos_rng, &rates, &CLAIMS, claim_id);
        for (version, received, status, allowed, paid, owed) in versions {
            let delays: Vec<u32> = delivery.iter().map(|d| d + received).collect();
            emit.event(&CLAIMS, &delays, |line| {
                line.int(claim_id)
                    .int(version)
                    .int(member.id)
                    .int(member.plan)
                    .int(provider.id)
                    .int(day)
                    .int(day + received)
                    .timestamp(service_at)
                    .text(&submitted)
                    .text(status)
                    .int(billed)
                    .int(allowed)
                    .int(paid)
                    .int(owed);
            });
        }
    }
}

/// Truth: the month's claims, on its last day.
fn write_month(state: &mut State, emit: &mut Emit) {
    let month = calendar::ux_month(emit.day);
    for (index, (claims, incurred)) in state.month_claims.iter_mut().enumerate() {
        emit.row(&CLAIMS_MONTHLY, |line| {
            line.int(month)
                .int(FIRST_PLAN + index as u32)
                .int(*claims)
                .int(*incurred);
        });
        *claims = 0;
        *incurred = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::domains::testing::{self, rows};
    use crate::sim::output::DayOutput;

    fn run(config: &SimConfig, days: u32) -> Vec<DayOutput> {
        testing::run(
            config,
            days,
            TABLES,
            |people| new(config, people),
            &mut |state, people, economy, today, emit, first| {
                step(state, people, economy, config, today, emit, first)
            },
        )
    }

    #[test]
    fn winter_claims_peak_and_settled_months_equal_truth_without_chaos() {
        let config = testing::without_chaos(3000);
        let outputs = run(&config, 360);
        let mut truth: BTreeMap<(u32, u32), (u32, i64)> = BTreeMap::new();
        let mut raw: BTreeMap<(u32, u32), (u32, i64)> = BTreeMap::new();
        for output in &outputs {
            for row in rows(output, "truth.health_claims_monthly") {
                truth.insert(
                    (row[0].parse().unwrap(), row[1].parse().unwrap()),
                    (row[2].parse().unwrap(), row[3].parse().unwrap()),
                );
            }
            for row in rows(output, "raw.health_claims") {
                assert_eq!(row[6], row[14], "delivered on the received day");
                let month = calendar::ux_month(row[5].parse().unwrap());
                let cell = raw.entry((month, row[3].parse().unwrap())).or_default();
                cell.0 += 1;
                cell.1 += row[12].parse::<i64>().unwrap();
            }
        }
        // Months whose claims have all been received (lag ≤ 120 days).
        for month in 201001..=201007 {
            for plan in 901..=904 {
                assert_eq!(
                    raw.get(&(month, plan)).copied().unwrap_or_default(),
                    truth[&(month, plan)],
                    "{month} {plan}"
                );
            }
        }
        let claims = |months: &[u32]| -> u32 {
            months
                .iter()
                .map(|m| (901..=904).map(|p| truth[&(*m, p)].0).sum::<u32>())
                .sum()
        };
        let (winter, summer) = (
            claims(&[201001, 201002, 201012]),
            claims(&[201006, 201007, 201008]),
        );
        assert!(
            winter as f64 > summer as f64 * 1.2,
            "winter {winter} summer {summer}"
        );
    }

    #[test]
    fn chaos_varies_codes_and_resubmits() {
        let config = SimConfig {
            population: 3000,
            ..SimConfig::default()
        };
        let outputs = run(&config, 90);
        let claims: Vec<Vec<String>> = outputs
            .iter()
            .flat_map(|o| rows(o, "raw.health_claims"))
            .collect();
        assert!(claims.iter().any(|r| r[9] == "REPLACED"));
        assert!(
            claims
                .iter()
                .any(|r| r[8].chars().any(|c| c.is_ascii_lowercase()))
        );
        let enrollments: Vec<Vec<String>> = outputs
            .iter()
            .flat_map(|o| rows(o, "raw.health_enrollments"))
            .collect();
        assert!(enrollments.iter().any(|r| r[6] == "initial"));
        assert!(enrollments.iter().any(|r| r[3] == "end"));
    }
}
