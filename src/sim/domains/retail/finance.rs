//! UXFSI's financial services: every loyalty customer banks with it (a current account with a
//! debit card, some a credit card too), card payments at its tills and web shop are settled
//! through it, and it lends. A loan is repaid in monthly installments; a borrower who is out of
//! work or poor misses installments more often, and three misses in a row are a default. The
//! loan book's monthly truth is `truth.retail_loans_monthly`.

use serde::{Deserialize, Serialize};

use super::Customer;
use super::tables::{ACCOUNTS, CARD_PAYMENTS, LOAN_PAYMENTS, LOANS, LOANS_MONTHLY};
use crate::sim::calendar::{self, Day, Instant};
use crate::sim::chaos;
use crate::sim::config::{Rates, SimConfig};
use crate::sim::domains::{census, economy};
use crate::sim::output::Emit;
use crate::sim::random::Stream;

/// Days between installments.
const INSTALLMENT_DAYS: Day = 30;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Loan {
    pub id: u32,
    pub customer: u32,
    pub ux_id: u32,
    pub principal: i64,
    pub rate_bp: i64,
    pub term: u32,
    pub payment: i64,
    pub start: Day,
    pub balance: i64,
    pub next_due: Day,
    /// Installments missed in a row.
    pub missed: u32,
}

/// This month's movements of the loan book.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Month {
    pub originated: u32,
    pub repaid: u32,
    pub defaulted: u32,
    pub defaulted_cents: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bank {
    /// Live loans, in the order they were made.
    pub loans: Vec<Loan>,
    pub month: Month,
    next_account: u32,
    next_card_payment: u64,
    next_loan: u32,
    next_installment: u64,
}

impl Default for Bank {
    fn default() -> Self {
        Bank {
            loans: Vec::new(),
            month: Month::default(),
            next_account: 5_000_001,
            next_card_payment: 65_000_001,
            next_loan: 5_500_001,
            next_installment: 75_000_001,
        }
    }
}

impl Bank {
    /// A new customer's accounts: a current account, and a credit card for some; their ids.
    pub fn open(&mut self, rng: &mut Stream) -> (u32, u32, i64) {
        let current = self.next_account;
        self.next_account += 1;
        let card = if rng.chance(0.35) {
            self.next_account += 1;
            current + 1
        } else {
            0
        };
        let limit = rng.between(5, 40) * 10_000;
        (current, card, limit)
    }

    /// Charges a card payment to one of the customer's accounts; it is settled (and reaches the
    /// feed) the next business day.
    #[allow(clippy::too_many_arguments)]
    pub fn charge(
        &mut self,
        emit: &mut Emit,
        rates: &Rates,
        chaos_rng: &mut Stream,
        customer: &Customer,
        on_credit: bool,
        payment_id: u64,
        store_id: u32,
        amount: i64,
        at: Instant,
    ) {
        let day = emit.day;
        let id = self.next_card_payment;
        self.next_card_payment += 1;
        let account = if on_credit && customer.card != 0 {
            customer.card
        } else {
            customer.account
        };
        let mut settled = day + 1;
        while !calendar::is_business_day(settled) {
            settled += 1;
        }
        let delays: Vec<u32> = chaos::deliveries(emit, chaos_rng, rates, &CARD_PAYMENTS, id)
            .iter()
            .map(|delay| delay + settled - day)
            .collect();
        emit.event(&CARD_PAYMENTS, &delays, |line| {
            line.int(id)
                .int(account)
                .int(payment_id)
                .int(store_id)
                .int(amount)
                .timestamp(at)
                .int(settled);
        });
    }

    /// The day's lending: new loans to customers, installments due, defaults, and on the
    /// month's last day the book's truth.
    #[allow(clippy::too_many_arguments)]
    pub fn lend(
        &mut self,
        emit: &mut Emit,
        config: &SimConfig,
        census: &census::State,
        economy: &economy::State,
        customers: &[Customer],
        rates: &Rates,
        chaos_rng: &mut Stream,
    ) {
        let day = emit.day;
        let mut lending = Stream::new(config.seed, "retail", "lending", day);
        let borrowing: std::collections::BTreeSet<u32> =
            self.loans.iter().map(|loan| loan.customer).collect();
        for customer in customers {
            let Some(person) = census.person(customer.ux_id) else {
                continue;
            };
            let income = economy.relative_income(person.household);
            let hazard = if income < 0.7 { 0.45 } else { 0.3 } / 360.0;
            if !lending.chance(hazard) || borrowing.contains(&customer.id) {
                continue;
            }
            let monthly = (economy.mean_income as f64 * income.max(0.2)).max(50_000.0);
            let principal =
                (monthly * (1.0 + 3.0 * lending.unit()) / 10_000.0).round() as i64 * 10_000;
            let term = [12, 24, 36][lending.index(3)];
            let rate_bp = (600.0
                + 900.0 * (1.0 - income.min(1.5) / 1.5)
                + lending.between(0, 150) as f64) as i64;
            let loan = Loan {
                id: self.next_loan,
                customer: customer.id,
                ux_id: customer.ux_id,
                principal,
                rate_bp,
                term,
                payment: installment(principal, rate_bp, term),
                start: day,
                balance: principal,
                next_due: day + INSTALLMENT_DAYS,
                missed: 0,
            };
            self.next_loan += 1;
            self.month.originated += 1;
            write_loan(emit, &loan, "active", "created");
            self.loans.push(loan);
        }
        self.collect(emit, config, census, economy, rates, chaos_rng);
        if calendar::day_of_month(day) == calendar::DAYS_PER_MONTH {
            let month = std::mem::take(&mut self.month);
            let balance: i64 = self.loans.iter().map(|loan| loan.balance).sum();
            emit.row(&LOANS_MONTHLY, |line| {
                line.int(calendar::ux_month(day))
                    .int(self.loans.len())
                    .int(balance)
                    .int(month.originated)
                    .int(month.repaid)
                    .int(month.defaulted)
                    .int(month.defaulted_cents);
            });
        }
    }

    /// Installments due today: paid, or missed (a borrower out of work or poor misses more
    /// often); the third miss in a row is a default, a borrower's death a write-off.
    fn collect(
        &mut self,
        emit: &mut Emit,
        config: &SimConfig,
        census: &census::State,
        economy: &economy::State,
        rates: &Rates,
        chaos_rng: &mut Stream,
    ) {
        let day = emit.day;
        let mut paying = Stream::new(config.seed, "retail", "installments", day);
        let mut ended: Vec<(usize, &str)> = Vec::new();
        for (index, loan) in self.loans.iter_mut().enumerate() {
            let Some(person) = census.person(loan.ux_id) else {
                ended.push((index, "written_off"));
                continue;
            };
            if loan.next_due != day {
                continue;
            }
            loan.next_due += INSTALLMENT_DAYS;
            let out_of_work = person.occupation == census::NOT_WORKING;
            let poor = economy.relative_income(person.household) < 0.5;
            let risk = 0.01 + if out_of_work { 0.15 } else { 0.0 } + if poor { 0.05 } else { 0.0 };
            let missed = paying.chance(risk);
            let interest = loan.balance * loan.rate_bp / 120_000;
            let (amount, principal) = if missed {
                loan.missed += 1;
                (0, 0)
            } else {
                loan.missed = 0;
                let amount = loan.payment.min(loan.balance + interest);
                (amount, amount - interest)
            };
            loan.balance -= principal;
            let id = self.next_installment;
            self.next_installment += 1;
            let delays = chaos::deliveries(emit, chaos_rng, rates, &LOAN_PAYMENTS, id);
            emit.event(&LOAN_PAYMENTS, &delays, |line| {
                line.int(id)
                    .int(loan.id)
                    .int(day)
                    .text(if missed { "missed" } else { "paid" })
                    .int(amount)
                    .int(if missed { 0 } else { interest })
                    .int(principal)
                    .int(loan.balance);
            });
            if loan.balance <= 0 {
                ended.push((index, "repaid"));
            } else if loan.missed >= 3 {
                ended.push((index, "defaulted"));
            }
        }
        for (index, status) in ended.into_iter().rev() {
            let loan = self.loans.remove(index);
            match status {
                "repaid" => self.month.repaid += 1,
                _ => {
                    self.month.defaulted += 1;
                    self.month.defaulted_cents += loan.balance;
                }
            }
            write_loan(emit, &loan, status, status);
        }
    }
}

/// The annuity installment repaying `principal` over `term` months.
fn installment(principal: i64, rate_bp: i64, term: u32) -> i64 {
    let rate = rate_bp as f64 / 10_000.0 / 12.0;
    let factor = 1.0 - (1.0 + rate).powi(-(term as i32));
    (principal as f64 * rate / factor).ceil() as i64
}

pub fn write_accounts(emit: &mut Emit, customer: &Customer, status: &str, change: &str) {
    let day = emit.day;
    let accounts = [
        (customer.account, "current"),
        (customer.card, "credit_card"),
    ];
    for (account, kind) in accounts {
        if account == 0 {
            continue;
        }
        emit.current(&ACCOUNTS, u64::from(account), change, |line| {
            line.int(account)
                .int(customer.id)
                .text(kind)
                .int(customer.signup)
                .opt_int((kind == "credit_card").then_some(customer.card_limit))
                .text(status)
                .int(day);
        });
    }
}

fn write_loan(emit: &mut Emit, loan: &Loan, status: &str, change: &str) {
    let day = emit.day;
    emit.current(&LOANS, u64::from(loan.id), change, |line| {
        line.int(loan.id)
            .int(loan.customer)
            .int(loan.principal)
            .int(loan.rate_bp)
            .int(loan.term)
            .int(loan.payment)
            .int(loan.start)
            .text(status)
            .int(day);
    });
}
