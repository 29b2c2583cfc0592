//! UXFSI retail: a web shop and a chain of stores, a catalogue of products whose prices drift, and
//! customers drawn from the census who buy by an agent-based model. Each customer has a purchase
//! rate (Gamma-distributed), a home store, favourite categories and a web share; weekday, season,
//! holidays and weather (rain keeps shoppers home and sends them online) shape each day. Orders,
//! their lines and payments travel together through the feed's chaos; returns come back days
//! later from a schedule kept in the state. Truth: `truth.retail_daily_sales` (gross sales by the
//! day of the order, before returns).
//!
//! The purchase loop is the simulator's volume benchmark, so it allocates nothing per row.

use serde::{Deserialize, Serialize};

use crate::sim::calendar::{self, Day};
use crate::sim::config::SimConfig;
use crate::sim::domains::{census, economy, weather};
use crate::sim::output::Emit;
use crate::sim::random::Stream;
use crate::sim::reference::{Reference, RetailProduct, WEB_STORE};

mod finance;
mod inventory;
mod purchases;
mod tables;
mod web;

pub use tables::*;

const TIERS: [&str; 3] = ["bronze", "silver", "gold"];
/// Sales tax, basis points.
const TAX_BP: i64 = 2000;
/// The mean purchases per customer per day at `purchase_rate` 1 (about 1,000 lines a day at
/// 20,000 inhabitants).
const MEAN_RATE: f64 = 0.11;
const CHURN_PER_DAY: f64 = 1.0 / 1440.0;

/// A store (index = id − 701, as in the stores seed, which holds its name and format).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Store {
    pub id: u32,
    /// 0 for the web shop.
    pub district: u32,
    pub manager: u32,
    pub open_minute: u32,
    pub close_minute: u32,
}

/// A product (index as in the products seed, which holds its name and SKU) and its price today.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Product {
    pub id: u32,
    /// Index into the catalogue's categories.
    pub category: u8,
    pub price_cents: i64,
}

/// The products seed's categories, in order of first appearance.
fn categories(reference: &Reference) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for product in &reference.retail_products {
        if !names.contains(&product.category.as_str()) {
            names.push(&product.category);
        }
    }
    names
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Customer {
    pub id: u32,
    pub ux_id: u32,
    pub home_store: u32,
    /// Purchases a day at `purchase_rate` 1, in millionths.
    pub rate_ppm: u32,
    /// The share of purchases made on the web, in millionths.
    pub web_ppm: u32,
    pub favourites: [u8; 3],
    pub tier: u8,
    pub signup: i32,
    pub quarter_spend_cents: i64,
    pub first: u16,
    pub last: u16,
    pub sex: u8,
    /// The current account, and the credit card (0 for none) with its limit.
    pub account: u32,
    pub card: u32,
    pub card_limit: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScheduledReturn {
    pub due: Day,
    pub order_id: u64,
    pub line_id: u64,
    pub product_id: u32,
    pub store_id: u32,
    pub quantity: u32,
    pub refund_cents: i64,
    pub reason: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub stores: Vec<Store>,
    pub products: Vec<Product>,
    /// Live customers, sorted by id; churned and deceased ones are removed.
    pub customers: Vec<Customer>,
    pub returns: Vec<ScheduledReturn>,
    pub stock: inventory::Stock,
    pub web: web::Web,
    pub bank: finance::Bank,
    next_customer: u32,
    next_order: u64,
    next_line: u64,
    next_payment: u64,
    next_return: u64,
}

pub fn new(config: &SimConfig, census: &census::State) -> State {
    let start = config.start();
    let reference = &config.reference;
    let mut rng = Stream::new(config.seed, "retail", "founding", 0);
    let managers = census::workers_of(census, reference, "UXFSI");
    let stores: Vec<Store> = reference
        .retail_stores
        .iter()
        .map(|store| Store {
            id: store.store_id,
            district: store.district_id.unwrap_or(0),
            manager: pick_manager(&mut rng, &managers),
            open_minute: store.open_minute,
            close_minute: store.close_minute,
        })
        .collect();
    let names = categories(reference);
    let products: Vec<Product> = reference
        .retail_products
        .iter()
        .map(|product| Product {
            id: product.product_id,
            category: names
                .iter()
                .position(|name| *name == product.category)
                .expect("every category is listed") as u8,
            price_cents: product.list_price_cents,
        })
        .collect();
    let cells = stores.len() * products.len();
    let mut state = State {
        stock: inventory::Stock::new(products.len(), vec![0; cells]),
        stores,
        products,
        customers: Vec::new(),
        returns: Vec::new(),
        web: web::Web::default(),
        bank: finance::Bank::default(),
        next_customer: 4_000_001,
        next_order: 50_000_001,
        next_line: 100_000_001,
        next_payment: 60_000_001,
        next_return: 70_000_001,
    };
    let homes = home_stores(&state.stores);
    let category_count = names.len();
    for person in &census.people {
        if person.age(start) >= 16 && rng.chance(config.retail.initial_customers) {
            let signup = start as i32 - rng.between(0, 1800) as i32;
            let customer = new_customer(
                &mut state,
                &mut rng,
                census,
                person,
                &homes,
                category_count,
                signup,
                start,
            );
            state.customers.push(customer);
        }
    }
    let demand = purchases::expected_demand(&state, config);
    state.stock = inventory::Stock::new(state.products.len(), demand);
    state
}

/// A price ending in 9 cents (`3.49`), at least 0.49.
fn charm(cents: f64) -> i64 {
    ((cents / 10.0).round() as i64 * 10 - 1).max(49)
}

fn pick_manager(rng: &mut Stream, managers: &[u32]) -> u32 {
    if managers.is_empty() {
        0
    } else {
        *rng.pick(managers)
    }
}

/// The home store of each district (index = district − 301): a store in it, else the store of
/// the nearest-numbered district.
fn home_stores(stores: &[Store]) -> [u32; 20] {
    let mut homes = [WEB_STORE; 20];
    for (index, home) in homes.iter_mut().enumerate() {
        let district = 301 + index as i64;
        *home = stores
            .iter()
            .filter(|s| s.district != 0)
            .min_by_key(|s| ((i64::from(s.district) - district).abs(), s.id))
            .map_or(WEB_STORE, |s| s.id);
    }
    homes
}

#[allow(clippy::too_many_arguments)]
fn new_customer(
    state: &mut State,
    rng: &mut Stream,
    census: &census::State,
    person: &census::Person,
    homes: &[u32; 20],
    categories: usize,
    signup: i32,
    day: Day,
) -> Customer {
    let id = state.next_customer;
    state.next_customer += 1;
    let age = f64::from(person.age(day).max(16));
    let web = ((0.45 - 0.006 * (age - 25.0)).clamp(0.05, 0.7) * (0.5 + rng.unit())).min(0.95);
    let rate = rng.gamma(1.2, MEAN_RATE / 1.2);
    let mut favourites = [0u8; 3];
    for slot in &mut favourites {
        *slot = rng.index(categories) as u8;
    }
    let (account, card, card_limit) = state.bank.open(rng);
    Customer {
        id,
        ux_id: person.id,
        home_store: homes[(census.district_of(person) - 301) as usize],
        rate_ppm: (rate * 1e6).min(5e6) as u32,
        web_ppm: (web * 1e6) as u32,
        favourites,
        tier: 0,
        signup,
        quarter_spend_cents: 0,
        first: person.first,
        last: person.last,
        sex: person.sex,
        account,
        card,
        card_limit,
    }
}

fn write_store(emit: &mut Emit, reference: &Reference, store: &Store, change: &str) {
    let day = emit.day;
    let seeded = &reference.retail_stores[store_index(store.id)];
    emit.current(&STORES, u64::from(store.id), change, |line| {
        line.int(store.id)
            .text(&seeded.store_name)
            .text(&seeded.store_format)
            .opt_int((store.district != 0).then_some(store.district))
            .int(seeded.opened_day)
            .int(store.manager)
            .int(store.open_minute)
            .int(store.close_minute)
            .int(TAX_BP)
            .text("open")
            .int(day);
    });
}

fn write_product(emit: &mut Emit, seeded: &RetailProduct, product: &Product, change: &str) {
    let day = emit.day;
    emit.current(&PRODUCTS, u64::from(product.id), change, |line| {
        line.int(product.id)
            .text(&seeded.sku)
            .text(&seeded.product_name)
            .text(&seeded.category)
            .int(product.price_cents)
            .int(day);
    });
}

/// A customer's row, and their accounts' when these change with it (joining and leaving).
fn write_customer(emit: &mut Emit, customer: &Customer, status: &str, change: &str) {
    if change == "created" || status != "active" {
        let open = if status == "active" { "open" } else { "closed" };
        finance::write_accounts(emit, customer, open, change);
    }
    let day = emit.day;
    let person = census::Person {
        id: customer.ux_id,
        first: customer.first,
        last: customer.last,
        birth: 0,
        sex: customer.sex,
        household: 0,
        occupation: 0,
        employer: 0,
        mother: 0,
        partner: 0,
    };
    let email = format!(
        "{}.{}.{}@mail.ux",
        person.first_name().to_lowercase(),
        person.last_name().to_lowercase(),
        customer.id % 1000
    );
    emit.current(&CUSTOMERS, u64::from(customer.id), change, |line| {
        line.int(customer.id)
            .int(customer.ux_id)
            .text(&email)
            .int(customer.home_store)
            .text(TIERS[customer.tier as usize])
            .int(customer.signup)
            .text(status)
            .int(day);
    });
}

/// One day of the retailer, in the order its parts draw: new managers, prices that follow the
/// price level, customers lost and won, deliveries onto the shelves, purchases (and the web
/// sessions that led to them) and idle browsing, carriers, returns, lending, closing-time
/// stock counts and reorders, and the quarter's tier review.
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
    let rates = config.rates("retail");
    if first_day {
        write_reference(state, &config.reference, emit);
    }
    replace_managers(state, census, config, emit);
    reprice(state, economy, config, emit);
    turn_over_customers(state, census, config, emit);
    let (store_ids, product_ids) = ids(state);
    state.stock.receive(emit, &store_ids, &product_ids);
    let mut chaos_rng = Stream::new(config.seed, "retail", "chaos", day);
    purchases::purchase(state, census, economy, config, today, emit, &mut chaos_rng);
    purchases::browse(state, config, today, emit, &mut chaos_rng);
    state.web.write_funnel(emit);
    state.web.track(emit, &rates, &mut chaos_rng, config.seed);
    purchases::book_returns(state, config, emit, &mut chaos_rng);
    state.bank.lend(
        emit,
        config,
        census,
        economy,
        &state.customers,
        &rates,
        &mut chaos_rng,
    );
    state
        .stock
        .close(emit, config.seed, &store_ids, &product_ids);
    review_tiers(state, emit);
}

/// The ids of the stores and products, in the stock's order.
fn ids(state: &State) -> (Vec<u32>, Vec<u32>) {
    (
        state.stores.iter().map(|s| s.id).collect(),
        state.products.iter().map(|p| p.id).collect(),
    )
}

fn store_index(id: u32) -> usize {
    (id - WEB_STORE) as usize
}

/// The first day's stores, catalogue and initial customers.
fn write_reference(state: &State, reference: &Reference, emit: &mut Emit) {
    for store in &state.stores {
        write_store(emit, reference, store, "created");
    }
    for (seeded, product) in reference.retail_products.iter().zip(&state.products) {
        write_product(emit, seeded, product, "created");
    }
    for customer in &state.customers {
        write_customer(emit, customer, "active", "created");
    }
}

/// A store gets a new manager now and then, or when its manager has died.
fn replace_managers(
    state: &mut State,
    census: &census::State,
    config: &SimConfig,
    emit: &mut Emit,
) {
    let mut managing = Stream::new(config.seed, "retail", "managers", emit.day);
    let mut managers: Option<Vec<u32>> = None;
    for index in 0..state.stores.len() {
        let leaves = managing.chance(1.0 / 540.0);
        let gone = census.person(state.stores[index].manager).is_none();
        if leaves || gone {
            let pool = managers
                .get_or_insert_with(|| census::workers_of(census, &config.reference, "UXFSI"));
            let manager = pick_manager(&mut managing, pool);
            if manager != state.stores[index].manager {
                state.stores[index].manager = manager;
                write_store(
                    emit,
                    &config.reference,
                    &state.stores[index],
                    "manager_changed",
                );
            }
        }
    }
}

/// Prices: a small daily hazard of a change; a new price follows the price level from the
/// seed's list price, give or take a few percent.
fn reprice(state: &mut State, economy: &economy::State, config: &SimConfig, emit: &mut Emit) {
    let mut pricing = Stream::new(config.seed, "retail", "prices", emit.day);
    let level = economy.price_level();
    for (seeded, product) in config
        .reference
        .retail_products
        .iter()
        .zip(&mut state.products)
    {
        if pricing.chance(0.004) {
            let factor = level * (0.95 + 0.1 * pricing.unit());
            let price = charm(seeded.list_price_cents as f64 * factor);
            if price != product.price_cents {
                product.price_cents = price;
                write_product(emit, seeded, product, "repriced");
            }
        }
    }
}

/// Deaths and churn end a customer; new inhabitants sign up, balancing the losses so the
/// customer share of adults stays near its start.
fn turn_over_customers(
    state: &mut State,
    census: &census::State,
    config: &SimConfig,
    emit: &mut Emit,
) {
    let day = emit.day;
    let mut lifecycle = Stream::new(config.seed, "retail", "lifecycle", day);
    let mut ended: Vec<(Customer, &str)> = Vec::new();
    state.customers.retain(|customer| {
        let churn = lifecycle.chance(CHURN_PER_DAY);
        if census.person(customer.ux_id).is_none() {
            ended.push((customer.clone(), "deceased"));
            false
        } else if churn {
            ended.push((customer.clone(), "churned"));
            false
        } else {
            true
        }
    });
    for (customer, status) in &ended {
        write_customer(emit, customer, status, status);
    }
    let adults = census.people.iter().filter(|p| p.age(day) >= 16).count() as f64;
    let joining = lifecycle.poisson(adults * config.retail.initial_customers * CHURN_PER_DAY * 1.1);
    if joining == 0 || census.people.is_empty() {
        return;
    }
    let mut known: std::collections::BTreeSet<u32> =
        state.customers.iter().map(|c| c.ux_id).collect();
    let homes = home_stores(&state.stores);
    for _ in 0..joining {
        // Up to eight tries to find an adult who is not a customer yet.
        let Some(person) = (0..8)
            .map(|_| lifecycle.pick(&census.people))
            .find(|p| p.age(day) >= 16 && !known.contains(&p.id))
        else {
            continue;
        };
        known.insert(person.id);
        let customer = new_customer(
            state,
            &mut lifecycle,
            census,
            person,
            &homes,
            categories(&config.reference).len(),
            day as i32,
            day,
        );
        write_customer(emit, &customer, "active", "created");
        state.customers.push(customer);
    }
}

/// The catalogue as the purchase loop reads it: products per category with their Zipf
/// popularity (weight 1/(rank+1), as cumulative sums), and each name's misspellings.
fn review_tiers(state: &mut State, emit: &mut Emit) {
    if calendar::day_of_year(emit.day) % 90 != 89 {
        return;
    }
    for customer in &mut state.customers {
        let tier = match customer.quarter_spend_cents {
            60_000.. => 2,
            20_000.. => 1,
            _ => 0,
        };
        customer.quarter_spend_cents = 0;
        if tier != customer.tier {
            let change = if tier > customer.tier {
                "tier_up"
            } else {
                "tier_down"
            };
            customer.tier = tier;
            write_customer(emit, customer, "active", change);
        }
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
            |people| new(config, people),
            &mut |state, people, economy, today, emit, first| {
                step(state, people, economy, config, today, emit, first)
            },
        )
    }

    #[test]
    fn raw_equals_truth_without_chaos_and_saturdays_outsell_mondays() {
        let config = testing::without_chaos(4000);
        let outputs = run(&config, 120);
        let mut truth: BTreeMap<(String, String, String), (i64, i64, i64)> = BTreeMap::new();
        let mut raw = BTreeMap::new();
        let (mut saturday, mut monday) = (0.0, 0.0);
        for output in &outputs {
            for row in rows(output, "truth.retail_daily_sales") {
                truth.insert(
                    (row[0].clone(), row[1].clone(), row[2].clone()),
                    (
                        row[3].parse().unwrap(),
                        row[4].parse().unwrap(),
                        row[5].parse().unwrap(),
                    ),
                );
            }
            let orders: BTreeMap<String, (String, String)> = rows(output, "raw.retail_orders")
                .into_iter()
                .map(|r| (r[0].clone(), (r[5].clone(), r[2].clone())))
                .collect();
            let lines = rows(output, "raw.retail_order_lines");
            for row in &lines {
                let (day, store) = &orders[&row[1]];
                let cell = raw
                    .entry((day.to_string(), store.to_string(), row[3].to_string()))
                    .or_insert((0i64, 0i64, 0i64));
                cell.0 += 1;
                cell.1 += row[5].parse::<i64>().unwrap();
                cell.2 += row[7].parse::<i64>().unwrap();
                assert!(!row[4].starts_with(' '), "name variant with chaos off");
            }
            match calendar::weekday(output.day) {
                5 if calendar::holiday(output.day).is_none() => saturday += lines.len() as f64,
                0 if calendar::holiday(output.day).is_none() => monday += lines.len() as f64,
                _ => {}
            }
        }
        assert!(!truth.is_empty());
        assert_eq!(raw, truth);
        assert!(
            saturday > monday * 1.15,
            "saturday {saturday} monday {monday}"
        );
        let per_day = outputs
            .iter()
            .map(|o| rows(o, "raw.retail_order_lines").len())
            .sum::<usize>()
            / 120;
        assert!(
            (100..=400).contains(&per_day),
            "{per_day} lines a day at 4,000 inhabitants"
        );
    }

    #[test]
    fn chaos_renames_duplicates_and_delays_and_returns_come_back() {
        let config = SimConfig {
            population: 2000,
            ..SimConfig::default()
        };
        let outputs = run(&config, 60);
        let ledger: Vec<Vec<String>> = outputs
            .iter()
            .flat_map(|o| rows(o, "truth.chaos_ledger"))
            .collect();
        for kind in ["name_variant", "duplicate", "late"] {
            assert!(ledger.iter().any(|r| r[3] == kind), "no {kind}");
        }
        let returns: usize = outputs
            .iter()
            .map(|o| rows(o, "raw.retail_returns").len())
            .sum();
        assert!(returns > 0);
        let late = outputs
            .iter()
            .flat_map(|o| rows(o, "raw.retail_orders"))
            .filter(|r| r[5] != r[10])
            .count();
        assert!(late > 0);
    }

    #[test]
    fn the_web_funnel_truth_counts_the_raw_sessions_without_chaos() {
        let config = testing::without_chaos(3000);
        let outputs = run(&config, 30);
        for output in &outputs {
            let sessions = rows(output, "raw.retail_web_sessions");
            let events = rows(output, "raw.retail_web_events");
            let reached = |kind: &str| {
                events
                    .iter()
                    .filter(|e| e[3] == kind)
                    .map(|e| &e[1])
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
                    .to_string()
            };
            let truth = &rows(output, "truth.retail_web_daily")[0];
            assert_eq!(truth[1], sessions.len().to_string());
            assert_eq!(truth[2], reached("add_to_cart"));
            assert_eq!(truth[3], reached("checkout"));
            assert_eq!(truth[4], reached("purchase"));
            let web_orders = rows(output, "raw.retail_orders")
                .iter()
                .filter(|o| o[3] == "web")
                .count();
            assert_eq!(truth[4], web_orders.to_string());
            assert!(sessions.len() > 2 * web_orders, "most sessions buy nothing");
        }
    }

    #[test]
    fn empty_shelves_lose_sales_until_restocked() {
        let config = testing::without_chaos(3000);
        // The two most popular products of the first category: the second is the first's
        // substitute, so wanting the first gets nothing.
        let popular = 0;
        let outputs = testing::run(
            &config,
            12,
            TABLES,
            |people| {
                let mut state = new(&config, people);
                for store in 0..state.stores.len() {
                    for product in [popular, popular + 1] {
                        let cell = state.stock.cell(store, product);
                        state.stock.on_hand[cell] = 0;
                    }
                }
                state
            },
            &mut |state, people, economy, today, emit, first| {
                step(state, people, economy, &config, today, emit, first)
            },
        );
        let product = config.reference.retail_products[popular]
            .product_id
            .to_string();
        let sold = |output: &DayOutput| {
            rows(output, "raw.retail_order_lines")
                .iter()
                .filter(|l| l[3] == product)
                .count()
        };
        assert_eq!(sold(&outputs[0]), 0, "sold from empty shelves");
        let lost: u32 = rows(&outputs[0], "truth.retail_stockouts")
            .iter()
            .filter(|r| r[2] == product)
            .map(|r| r[3].parse::<u32>().unwrap())
            .sum();
        assert!(lost > 0);
        let ordered = rows(&outputs[0], "raw.retail_restocks")
            .iter()
            .any(|r| r[2] == product && r[4] == "ordered");
        assert!(ordered, "an empty shelf is reordered at closing");
        assert!(
            rows(&outputs[0], "raw.retail_web_events")
                .iter()
                .any(|e| e[4] == product && e[3] == "product_view" && e[7] == "0"),
            "web visitors see it out of stock"
        );
        assert!(
            outputs[6..].iter().map(sold).sum::<usize>() > 0,
            "restocked"
        );
    }

    #[test]
    fn the_loan_book_truth_is_what_the_raw_installments_leave_owed() {
        let config = testing::without_chaos(4000);
        let outputs = run(&config, 120);
        let mut principal: BTreeMap<String, i64> = BTreeMap::new();
        let mut balance: BTreeMap<String, i64> = BTreeMap::new();
        let mut ended: std::collections::BTreeSet<String> = Default::default();
        let mut originated = 0;
        for output in &outputs {
            for loan in rows(output, "raw.retail_loans") {
                principal.insert(loan[0].clone(), loan[2].parse().unwrap());
                if loan[7] != "active" {
                    ended.insert(loan[0].clone());
                } else {
                    originated += 1;
                }
            }
            for payment in rows(output, "raw.retail_loan_payments") {
                balance.insert(payment[1].clone(), payment[7].parse().unwrap());
            }
            let month_end = rows(output, "truth.retail_loans_monthly");
            if let Some(truth) = month_end.first() {
                let owed: i64 = principal
                    .iter()
                    .filter(|(id, _)| !ended.contains(*id))
                    .map(|(id, principal)| balance.get(id).copied().unwrap_or(*principal))
                    .sum();
                assert_eq!(truth[2], owed.to_string(), "{truth:?}");
                assert_eq!(
                    truth[1],
                    (principal.len() - ended.len()).to_string(),
                    "{truth:?}"
                );
            }
        }
        assert!(originated > 20, "{originated} loans");
    }
}

#[cfg(test)]
mod speed {
    use crate::sim::config::SimConfig;

    /// `cargo test --release --lib retail_speed -- --ignored --nocapture`: about 3M rows/s here.
    #[test]
    #[ignore]
    #[allow(clippy::print_stderr)]
    fn retail_speed() {
        use crate::sim::domains::{census, economy, retail, weather};
        use crate::sim::output::{DayOutput, Emit};
        let mut config = SimConfig::default();
        config.retail.purchase_rate = 1000.0;
        let people = census::new(&config);
        let economy = economy::new(&config, &people);
        let mut state = retail::new(&config, &people);
        let today = weather::Today::default();
        for day in 100..102 {
            let mut output = DayOutput::default();
            let mut pending = Vec::new();
            let started = std::time::Instant::now();
            retail::step(
                &mut state,
                &people,
                &economy,
                &config,
                &today,
                &mut Emit::new(day, &mut output, &mut pending),
                false,
            );
            let elapsed = started.elapsed();
            let rows = output.rows() + pending.len() as u64;
            let lines = output
                .tables
                .get(&("raw", "retail_order_lines"))
                .map_or(0, |t| t.rows);
            eprintln!(
                "day {day}: {rows} rows ({lines} lines) in {elapsed:?}: {:.0} rows/s",
                rows as f64 / elapsed.as_secs_f64()
            );
        }
    }
}
