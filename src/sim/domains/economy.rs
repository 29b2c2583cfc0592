//! The economy: employers (the occupations seed), a price level that drifts with autocorrelated
//! monthly inflation, monthly pay for every worker (which, with pensions and benefits, makes each
//! household's income), the statistics office's monthly indicators, and the share prices of the
//! town's listed companies. Retail prices and health premiums follow the price level, and
//! households spend by their income. Truth: `truth.economy_monthly` (workers and payroll per
//! employer and month).

use serde::{Deserialize, Serialize};

use crate::sim::calendar::{self, Day};
use crate::sim::chaos;
use crate::sim::config::SimConfig;
use crate::sim::domains::census;
use crate::sim::output::Emit;
use crate::sim::random::Stream;
use crate::sim::table::{Kind, Schema, SqlType, Table, col};

pub const EMPLOYERS: Table = Table {
    domain: "economy",
    schema: Schema::Raw,
    name: "economy_employers",
    kind: Kind::Static,
    description: "The town's employers and the job each offers, from the occupations seed.",
    columns: &[
        col("occupation_id", SqlType::Int, "Occupation id."),
        col(
            "employer_code",
            SqlType::Text,
            "The employer as the census writes it (`UXDM`...).",
        ),
        col("employer_name", SqlType::Text, "The employer's name."),
        col(
            "occupation_name",
            SqlType::Text,
            "The job the employer offers.",
        ),
        col(
            "sector",
            SqlType::Text,
            "industry, finance, transport, health, education, public or private.",
        ),
        col(
            "workplace_district_id",
            SqlType::Int,
            "Where the work is; null for work at home or on the road.",
        ),
        col(
            "listed_ticker",
            SqlType::Text,
            "Its ticker on the Uxcestershire exchange; null when not listed.",
        ),
    ],
};

pub const INDICATORS: Table = Table {
    domain: "economy",
    schema: Schema::Raw,
    name: "economy_indicators",
    kind: Kind::Events,
    description: "The statistics office's monthly release, published on the month's last day: the consumer price index, inflation, unemployment and the mean wage.",
    columns: &[
        col("ux_month", SqlType::Int, "The month, `yyyymm`."),
        col(
            "cpi",
            SqlType::Double,
            "Consumer price index, 100 on the first simulated day.",
        ),
        col(
            "inflation_pct",
            SqlType::Double,
            "Price change over the month, percent.",
        ),
        col(
            "unemployment_pct",
            SqlType::Double,
            "Adults of working age without work, percent of the labour force.",
        ),
        col(
            "mean_wage_cents",
            SqlType::BigInt,
            "Mean gross monthly pay of the month's payslips.",
        ),
        col(
            "published_day",
            SqlType::Int,
            "The day the release came out.",
        ),
    ],
};

pub const PAYROLL: Table = Table {
    domain: "economy",
    schema: Schema::Raw,
    name: "economy_payroll",
    kind: Kind::Events,
    description: "Payslips, from the banks' salary files: every worker is paid on the 25th. Some files arrive late, some twice (deduplicate on payslip_id).",
    columns: &[
        col("payslip_id", SqlType::BigInt, "Payslip id."),
        col("ux_id", SqlType::Int, "The worker (census ux_id)."),
        col("employer_code", SqlType::Text, "The employer."),
        col("ux_month", SqlType::Int, "The month paid, `yyyymm`."),
        col("paid_day", SqlType::Int, "The day of payment."),
        col("gross_cents", SqlType::BigInt, "Gross pay."),
        col("tax_cents", SqlType::BigInt, "Income tax withheld."),
        col("net_cents", SqlType::BigInt, "Pay received."),
    ],
};

pub const STOCK_PRICES: Table = Table {
    domain: "economy",
    schema: Schema::Raw,
    name: "economy_stock_prices",
    kind: Kind::Events,
    description: "Daily prices of the listed companies and the `UXX` index on the Uxcestershire exchange, on business days. Calm and turbulent spells alternate.",
    columns: &[
        col("day_serial", SqlType::Int, "The trading day."),
        col(
            "ticker",
            SqlType::Text,
            "The company, or UXX for the index.",
        ),
        col("open", SqlType::Double, "Opening price."),
        col("high", SqlType::Double, "Highest price."),
        col("low", SqlType::Double, "Lowest price."),
        col("close", SqlType::Double, "Closing price."),
        col("volume", SqlType::BigInt, "Shares traded."),
    ],
};

pub const MONTHLY: Table = Table {
    domain: "economy",
    schema: Schema::Truth,
    name: "economy_monthly",
    kind: Kind::Events,
    description: "Workers and gross payroll per employer and month, written on payday: what a correct pipeline over the payroll feed must reproduce.",
    columns: &[
        col("ux_month", SqlType::Int, "The month, `yyyymm`."),
        col("employer_code", SqlType::Text, "The employer."),
        col("workers", SqlType::Int, "Workers paid."),
        col("gross_cents", SqlType::BigInt, "Their gross pay."),
    ],
};

pub const TABLES: &[&Table] = &[&EMPLOYERS, &INDICATORS, &PAYROLL, &STOCK_PRICES, &MONTHLY];

/// Employers of these sectors are not listed on the exchange.
const UNLISTED: [&str; 2] = ["public", "private"];
/// The day of the month pay arrives (the 25th).
const PAYDAY: u32 = 25;
/// Income tax: a fifth of gross pay above the allowance.
const TAX_FREE_CENTS: i64 = 100_000;

/// One listed company's share price (or the index), in hundredths of a cent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Quote {
    pub ticker: String,
    pub close: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// The price level in millionths of the first day's (so the CPI is this / 10,000).
    pub price_level_ppm: i64,
    /// The price level on the first day of the month, of the year and of the year before.
    pub month_start_ppm: i64,
    pub year_start_ppm: i64,
    pub last_year_start_ppm: i64,
    /// This month's inflation, in billionths a day.
    pub daily_inflation_ppb: i64,
    /// Wages follow prices once a year (at the new year), in millionths.
    pub wage_index_ppm: i64,
    /// Each household's net monthly income (cents), sorted by household, as of the last payday.
    pub income: Vec<(u32, i64)>,
    pub mean_income: i64,
    /// The mean gross pay of the last payday.
    pub mean_wage_cents: i64,
    pub quotes: Vec<Quote>,
    /// Whether the exchange is in a turbulent spell.
    pub turbulent: bool,
    next_payslip: u64,
}

impl State {
    /// How a household's income compares with the town's mean (1 = average).
    pub fn relative_income(&self, household: u32) -> f64 {
        if self.mean_income <= 0 {
            return 1.0;
        }
        match self.income.binary_search_by_key(&household, |(h, _)| *h) {
            Ok(index) => self.income[index].1 as f64 / self.mean_income as f64,
            Err(_) => 0.0,
        }
    }

    /// The price level as a factor of the first day's.
    pub fn price_level(&self) -> f64 {
        self.price_level_ppm as f64 / 1e6
    }

    /// Last year's inflation: prices at the start of this year over those a year before.
    pub fn last_years_inflation(&self) -> f64 {
        self.year_start_ppm as f64 / self.last_year_start_ppm as f64
    }
}

pub fn new(config: &SimConfig, census: &census::State) -> State {
    let quotes = tickers(config)
        .into_iter()
        .map(|ticker| Quote {
            close: 1_000_000 + 250_000 * i64::from(ticker.len() as u8 % 4),
            ticker,
        })
        .collect();
    let mut state = State {
        price_level_ppm: 1_000_000,
        month_start_ppm: 1_000_000,
        year_start_ppm: 1_000_000,
        last_year_start_ppm: 1_000_000,
        daily_inflation_ppb: 66_000,
        wage_index_ppm: 1_000_000,
        income: Vec::new(),
        mean_income: 0,
        mean_wage_cents: 0,
        quotes,
        turbulent: false,
        next_payslip: 80_000_001,
    };
    let (income, mean) = incomes(&state, census, config, config.start());
    state.income = income;
    state.mean_income = mean;
    state
}

/// The listed companies' tickers, and `UXX` for the index.
fn tickers(config: &SimConfig) -> Vec<String> {
    let mut tickers: Vec<String> = config
        .reference
        .occupations
        .iter()
        .filter(|o| !UNLISTED.contains(&o.sector.as_str()))
        .map(|o| o.employer_code.to_uppercase())
        .collect();
    tickers.dedup();
    tickers.push("UXX".into());
    tickers
}

/// A worker's gross monthly pay: the job's wage, indexed, times a personal factor that stays
/// with the person.
fn gross_pay(state: &State, config: &SimConfig, person: &census::Person) -> i64 {
    let occupation = &config.reference.occupations[person.employer as usize - 1];
    let personal = Stream::new(config.seed, "economy", "pay_grade", 0)
        .entity(u64::from(person.id))
        .log_normal(0.0, 0.2);
    (occupation.monthly_wage_cents as f64 * personal * state.wage_index_ppm as f64 / 1e6).round()
        as i64
}

fn tax(gross: i64) -> i64 {
    (gross - TAX_FREE_CENTS).max(0) / 5
}

/// Every household's net monthly income: pay, pensions (retirees) and benefits (adults not
/// working), as the mean wage indexes them; and the mean over households.
fn incomes(
    state: &State,
    census: &census::State,
    config: &SimConfig,
    day: Day,
) -> (Vec<(u32, i64)>, i64) {
    let mean_wage = config
        .reference
        .occupations
        .iter()
        .map(|o| o.monthly_wage_cents as f64 * o.share_of_workers)
        .sum::<f64>()
        / config
            .reference
            .occupations
            .iter()
            .map(|o| o.share_of_workers)
            .sum::<f64>()
            .max(1e-9)
        * state.wage_index_ppm as f64
        / 1e6;
    let mut income: Vec<(u32, i64)> = census.households.iter().map(|h| (h.id, 0)).collect();
    for person in &census.people {
        let amount = match person.occupation {
            census::WORKER if person.employer > 0 => {
                let gross = gross_pay(state, config, person);
                gross - tax(gross)
            }
            census::RETIRED => (mean_wage * 0.45) as i64,
            census::NOT_WORKING if person.age(day) >= 18 => (mean_wage * 0.15) as i64,
            _ => 0,
        };
        if let Ok(index) = income.binary_search_by_key(&person.household, |(h, _)| *h) {
            income[index].1 += amount;
        }
    }
    let mean = if income.is_empty() {
        0
    } else {
        income.iter().map(|(_, amount)| amount).sum::<i64>() / income.len() as i64
    };
    (income, mean)
}

/// One day of the economy: prices move, and on its days the payroll, the month's indicators
/// and the exchange's prices are written.
pub fn step(
    state: &mut State,
    census: &census::State,
    config: &SimConfig,
    emit: &mut Emit,
    first_day: bool,
) {
    let day = emit.day;
    if first_day {
        write_employers(config, emit);
    }
    inflate(state, config, day);
    if calendar::day_of_month(day) == PAYDAY {
        pay(state, census, config, emit);
    }
    if calendar::is_business_day(day) {
        trade(state, config, emit);
    }
    if calendar::day_of_month(day) == calendar::DAYS_PER_MONTH {
        publish(state, census, emit);
    }
}

fn write_employers(config: &SimConfig, emit: &mut Emit) {
    let listed = tickers(config);
    for occupation in &config.reference.occupations {
        let ticker = occupation.employer_code.to_uppercase();
        emit.row(&EMPLOYERS, |line| {
            line.int(occupation.occupation_id)
                .text(&occupation.employer_code)
                .text(&occupation.employer_name)
                .text(&occupation.occupation_name)
                .text(&occupation.sector)
                .opt_int(occupation.workplace_district_id)
                .opt_text(listed.contains(&ticker).then_some(ticker.as_str()));
        });
    }
}

/// Prices rise a little each day at this month's rate; a month's rate is autocorrelated around
/// 2.4% a year. A new year indexes wages to last year's prices.
fn inflate(state: &mut State, config: &SimConfig, day: Day) {
    if calendar::day_of_month(day) == 1 {
        let mut rng = Stream::new(config.seed, "economy", "inflation", day);
        let mean = 0.002;
        let monthly = state.daily_inflation_ppb as f64 * 30.0 / 1e9;
        let next = mean + 0.7 * (monthly - mean) + rng.normal(0.0, 0.0015);
        state.daily_inflation_ppb = (next / 30.0 * 1e9).round() as i64;
        state.month_start_ppm = state.price_level_ppm;
        if calendar::day_of_year(day) == 0 {
            state.wage_index_ppm =
                state.wage_index_ppm * state.price_level_ppm / state.year_start_ppm;
            state.last_year_start_ppm = state.year_start_ppm;
            state.year_start_ppm = state.price_level_ppm;
        }
    }
    state.price_level_ppm += state.price_level_ppm * state.daily_inflation_ppb / 1_000_000_000;
}

/// Payday: a payslip for every worker, the truth of the month's payroll, and the households'
/// incomes for the month ahead.
fn pay(state: &mut State, census: &census::State, config: &SimConfig, emit: &mut Emit) {
    let day = emit.day;
    let month = calendar::ux_month(day);
    let rates = config.rates("economy");
    let mut chaos_rng = Stream::new(config.seed, "economy", "chaos", day);
    let mut totals = vec![(0u32, 0i64); config.reference.occupations.len()];
    for person in &census.people {
        if person.occupation != census::WORKER || person.employer == 0 {
            continue;
        }
        let gross = gross_pay(state, config, person);
        let tax = tax(gross);
        let slot = &mut totals[person.employer as usize - 1];
        slot.0 += 1;
        slot.1 += gross;
        let id = state.next_payslip;
        state.next_payslip += 1;
        let employer = census::employer_code(&config.reference, person.employer);
        let delays = chaos::deliveries(emit, &mut chaos_rng, &rates, &PAYROLL, id);
        emit.event(&PAYROLL, &delays, |line| {
            line.int(id)
                .int(person.id)
                .text(employer)
                .int(month)
                .int(day)
                .int(gross)
                .int(tax)
                .int(gross - tax);
        });
    }
    for (occupation, (workers, gross)) in config.reference.occupations.iter().zip(&totals) {
        emit.row(&MONTHLY, |line| {
            line.int(month)
                .text(&occupation.employer_code)
                .int(*workers)
                .int(*gross);
        });
    }
    let (income, mean) = incomes(state, census, config, day);
    state.income = income;
    state.mean_income = mean;
    let (workers, gross) = totals
        .iter()
        .fold((0i64, 0i64), |(w, g), (workers, gross)| {
            (w + i64::from(*workers), g + gross)
        });
    state.mean_wage_cents = if workers > 0 { gross / workers } else { 0 };
}

/// A trading day: each company's price moves by a random walk with drift, wilder in turbulent
/// spells; the index is their mean.
fn trade(state: &mut State, config: &SimConfig, emit: &mut Emit) {
    let day = emit.day;
    let mut rng = Stream::new(config.seed, "economy", "exchange", day);
    state.turbulent = if state.turbulent {
        !rng.chance(1.0 / 40.0)
    } else {
        rng.chance(1.0 / 250.0)
    };
    let volatility = if state.turbulent { 0.028 } else { 0.012 };
    let market = rng.normal(0.0003, volatility * 0.6);
    let companies = state.quotes.len() - 1;
    let mut index = 0.0;
    for (position, quote) in state.quotes.iter_mut().enumerate() {
        let previous = quote.close as f64;
        let close = if position < companies {
            previous * (market + rng.normal(0.0, volatility * 0.8)).exp()
        } else {
            index / companies.max(1) as f64
        };
        let open = previous * (1.0 + rng.normal(0.0, volatility / 3.0));
        let high = open.max(close) * (1.0 + rng.unit() * volatility / 2.0);
        let low = open.min(close) * (1.0 - rng.unit() * volatility / 2.0);
        let volume = (rng.log_normal(11.0, 0.5) * if state.turbulent { 1.8 } else { 1.0 }) as i64;
        quote.close = (close.round() as i64).max(100);
        index += quote.close as f64;
        let cents = |value: f64| value / 10_000.0;
        emit.event(&STOCK_PRICES, &[0], |line| {
            line.int(day)
                .text(&quote.ticker)
                .fixed(cents(open), 2)
                .fixed(cents(high), 2)
                .fixed(cents(low), 2)
                .fixed(cents(quote.close as f64), 2)
                .int(volume);
        });
    }
}

/// The statistics office's release for the month now ending.
fn publish(state: &State, census: &census::State, emit: &mut Emit) {
    let day = emit.day;
    let (mut employed, mut unemployed) = (0u32, 0u32);
    for person in &census.people {
        match person.occupation {
            census::WORKER => employed += 1,
            census::NOT_WORKING if (18..67).contains(&person.age(day)) => unemployed += 1,
            _ => {}
        }
    }
    let force = f64::from(employed + unemployed).max(1.0);
    let inflation = (state.price_level_ppm as f64 / state.month_start_ppm as f64 - 1.0) * 100.0;
    emit.event(&INDICATORS, &[0], |line| {
        line.int(calendar::ux_month(day))
            .fixed(state.price_level_ppm as f64 / 10_000.0, 2)
            .fixed(inflation, 3)
            .fixed(f64::from(unemployed) / force * 100.0, 2)
            .int(state.mean_wage_cents)
            .int(day);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::domains::testing::{self, rows};
    use crate::sim::output::DayOutput;
    use std::collections::BTreeMap;

    #[test]
    fn payroll_equals_truth_without_chaos_prices_rise_and_some_are_out_of_work() {
        let config = testing::without_chaos(2000);
        let mut people = census::new(&config);
        let mut state = new(&config, &people);
        let mut outputs = Vec::new();
        for day in 0..360 {
            let mut output = DayOutput {
                day,
                ..DayOutput::default()
            };
            let mut pending = Vec::new();
            let mut emit = Emit::new(day, &mut output, &mut pending);
            emit.writing = false;
            census::step(&mut people, &config, &mut emit, day == 0);
            emit.writing = true;
            step(&mut state, &people, &config, &mut emit, day == 0);
            outputs.push(output);
        }
        let mut raw: BTreeMap<(String, String), (u32, i64)> = BTreeMap::new();
        let mut truth = BTreeMap::new();
        for output in &outputs {
            for row in rows(output, "raw.economy_payroll") {
                let cell = raw.entry((row[3].clone(), row[2].clone())).or_default();
                cell.0 += 1;
                cell.1 += row[5].parse::<i64>().unwrap();
            }
            for row in rows(output, "truth.economy_monthly") {
                truth.insert(
                    (row[0].to_string(), row[1].to_string()),
                    (row[2].parse().unwrap(), row[3].parse().unwrap()),
                );
            }
        }
        assert_eq!(truth.len(), 12 * 7);
        truth.retain(|_, (workers, _)| *workers > 0);
        assert_eq!(raw, truth);
        let level = state.price_level();
        assert!((1.0..1.07).contains(&level), "price level {level}");
        let releases: Vec<Vec<String>> = outputs
            .iter()
            .flat_map(|o| rows(o, "raw.economy_indicators"))
            .collect();
        assert_eq!(releases.len(), 12);
        for release in releases {
            let unemployment: f64 = release[3].parse().unwrap();
            assert!((3.0..18.0).contains(&unemployment), "{release:?}");
        }
        let trading_days = outputs
            .iter()
            .filter(|o| !rows(o, "raw.economy_stock_prices").is_empty())
            .count();
        assert!((230..260).contains(&trading_days), "{trading_days}");
    }
}
