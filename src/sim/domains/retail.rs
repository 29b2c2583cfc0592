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

use crate::sim::calendar::{self, Day, Instant};
use crate::sim::chaos;
use crate::sim::config::SimConfig;
use crate::sim::domains::{census, weather};
use crate::sim::output::Emit;
use crate::sim::random::Stream;
use crate::sim::reference::{Reference, RetailProduct, WEB_STORE};
use crate::sim::table::{Kind, Schema, SqlType, Table, col};

pub const STORES: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_stores",
    kind: Kind::Current,
    description: "UXFSI's shops as the store system lists them today: the web shop (701) and the physical stores. A new manager replaces the row.",
    columns: &[
        col(
            "store_id",
            SqlType::Int,
            "Store id, 701 upwards; 701 is the web shop.",
        ),
        col("store_name", SqlType::Text, "Store name."),
        col(
            "store_format",
            SqlType::Text,
            "online, superstore, high_street or express.",
        ),
        col(
            "district_id",
            SqlType::Int,
            "The district the store is in; null for the web shop.",
        ),
        col(
            "opened_day",
            SqlType::Int,
            "The day the store opened (negative: before 20100101).",
        ),
        col(
            "manager_ux_id",
            SqlType::Int,
            "The manager's ux_id (a UXFSI worker in the census).",
        ),
        col(
            "open_minute",
            SqlType::Int,
            "Opening time, minutes after midnight.",
        ),
        col(
            "close_minute",
            SqlType::Int,
            "Closing time, minutes after midnight.",
        ),
        col(
            "tax_rate_bp",
            SqlType::Int,
            "Sales tax in basis points (2000 = 20%).",
        ),
        col("status", SqlType::Text, "open."),
        col(
            "updated_day",
            SqlType::Int,
            "The day this version was recorded.",
        ),
    ],
};

pub const PRODUCTS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_products",
    kind: Kind::Current,
    description: "The product catalogue today; a price change replaces the row.",
    columns: &[
        col("product_id", SqlType::Int, "Product id, 801–900."),
        col("sku", SqlType::Text, "Stock keeping unit, `CAT-nnn`."),
        col("product_name", SqlType::Text, "Canonical product name."),
        col(
            "category",
            SqlType::Text,
            "One of eight categories (Groceries, Bakery, Household...).",
        ),
        col(
            "list_price_cents",
            SqlType::Int,
            "Current list price, cents, tax excluded.",
        ),
        col(
            "updated_day",
            SqlType::Int,
            "The day this price took effect.",
        ),
    ],
};

pub const CUSTOMERS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_customers",
    kind: Kind::Current,
    description: "Loyalty-programme customers today, drawn from the inhabitants. Tier reviews (each quarter), churn and deaths replace the row; churned and deceased customers keep their last row.",
    columns: &[
        col("customer_id", SqlType::Int, "Customer id, 4000001 upwards."),
        col("ux_id", SqlType::Int, "The inhabitant (census ux_id)."),
        col(
            "email",
            SqlType::Text,
            "Contact e-mail, `first.last.n@mail.ux`.",
        ),
        col(
            "home_store_id",
            SqlType::Int,
            "The physical store the customer mostly visits.",
        ),
        col(
            "loyalty_tier",
            SqlType::Text,
            "bronze, silver or gold, reviewed on the last day of each quarter from that quarter's spend.",
        ),
        col(
            "signup_day",
            SqlType::Int,
            "The day the customer joined (negative: before 20100101).",
        ),
        col("status", SqlType::Text, "active, churned or deceased."),
        col(
            "updated_day",
            SqlType::Int,
            "The day this version was recorded.",
        ),
    ],
};

pub const ORDERS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_orders",
    kind: Kind::Events,
    description: "Orders from the tills and the web shop. Some arrive one or two days late, some twice (deduplicate on order_id); an order's lines and payment arrive with it.",
    columns: &[
        col("order_id", SqlType::BigInt, "Order id, 50000001 upwards."),
        col("customer_id", SqlType::Int, "The customer."),
        col("store_id", SqlType::Int, "The store (701 for web orders)."),
        col("channel", SqlType::Text, "store or web."),
        col(
            "ordered_at",
            SqlType::Timestamp,
            "When the order was placed (UTC, proxy timeline).",
        ),
        col(
            "day_serial",
            SqlType::Int,
            "The simulated day of the order.",
        ),
        col("line_count", SqlType::Int, "Number of order lines."),
        col(
            "subtotal_cents",
            SqlType::BigInt,
            "Sum of the line totals, tax excluded.",
        ),
        col("tax_cents", SqlType::BigInt, "Sales tax."),
        col(
            "total_cents",
            SqlType::BigInt,
            "subtotal_cents + tax_cents.",
        ),
    ],
};

pub const ORDER_LINES: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_order_lines",
    kind: Kind::Events,
    description: "Order lines, delivered with their order (late and duplicated with it). The product name is as the till or web shop typed it: spelling and casing vary.",
    columns: &[
        col(
            "order_line_id",
            SqlType::BigInt,
            "Order line id, 100000001 upwards.",
        ),
        col("order_id", SqlType::BigInt, "The order."),
        col("line_no", SqlType::Int, "Position in the order, from 1."),
        col("product_id", SqlType::Int, "The product."),
        col(
            "product_name",
            SqlType::Text,
            "The product name as typed: `Oat Milk`, `oat_milk`, `OAT MILK`...",
        ),
        col("quantity", SqlType::Int, "Units bought."),
        col(
            "unit_price_cents",
            SqlType::Int,
            "List price on the order day, cents, tax excluded.",
        ),
        col(
            "line_total_cents",
            SqlType::BigInt,
            "quantity × unit_price_cents.",
        ),
    ],
};

pub const PAYMENTS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_payments",
    kind: Kind::Events,
    description: "One payment per order, delivered with it.",
    columns: &[
        col(
            "payment_id",
            SqlType::BigInt,
            "Payment id, 60000001 upwards.",
        ),
        col("order_id", SqlType::BigInt, "The order paid."),
        col(
            "payment_method",
            SqlType::Text,
            "card, cash, gift_card, mobile or paypal.",
        ),
        col(
            "amount_cents",
            SqlType::BigInt,
            "Amount paid (the order total).",
        ),
        col("paid_at", SqlType::Timestamp, "When the payment cleared."),
    ],
};

pub const RETURNS: Table = Table {
    domain: "retail",
    schema: Schema::Raw,
    name: "retail_returns",
    kind: Kind::Events,
    description: "Returned items, 2–30 days after the order; clothing and electronics come back most. Late and duplicated like orders.",
    columns: &[
        col("return_id", SqlType::BigInt, "Return id, 70000001 upwards."),
        col("order_id", SqlType::BigInt, "The original order."),
        col("order_line_id", SqlType::BigInt, "The returned line."),
        col("product_id", SqlType::Int, "The product."),
        col(
            "store_id",
            SqlType::Int,
            "Where it was returned (701: by post to the web shop).",
        ),
        col("quantity", SqlType::Int, "Units returned."),
        col("refund_cents", SqlType::BigInt, "Refund, tax excluded."),
        col(
            "returned_at",
            SqlType::Timestamp,
            "When the return was booked.",
        ),
        col(
            "day_serial",
            SqlType::Int,
            "The simulated day of the return.",
        ),
        col(
            "reason",
            SqlType::Text,
            "damaged, wrong_size, not_as_described or changed_mind.",
        ),
    ],
};

pub const DAILY_SALES: Table = Table {
    domain: "retail",
    schema: Schema::Truth,
    name: "retail_daily_sales",
    kind: Kind::Events,
    description: "Clean gross sales per day, store and product (by the day of the order, returns not deducted): what a correct pipeline over the raw orders and lines must reproduce.",
    columns: &[
        col("day_serial", SqlType::Int, "The day of the orders."),
        col("store_id", SqlType::Int, "The store (701 = web shop)."),
        col("product_id", SqlType::Int, "The product."),
        col(
            "orders",
            SqlType::Int,
            "Orders with a line of the product (a product appears once per order).",
        ),
        col("quantity", SqlType::BigInt, "Units sold."),
        col(
            "revenue_cents",
            SqlType::BigInt,
            "Sum of line totals, tax excluded.",
        ),
    ],
};

pub const TABLES: &[&Table] = &[
    &STORES,
    &PRODUCTS,
    &CUSTOMERS,
    &ORDERS,
    &ORDER_LINES,
    &PAYMENTS,
    &RETURNS,
    &DAILY_SALES,
];

const TIERS: [&str; 3] = ["bronze", "silver", "gold"];
const REASONS: [&str; 4] = ["damaged", "wrong_size", "not_as_described", "changed_mind"];
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
    let stores = reference
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
    let products = reference
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
    let mut state = State {
        stores,
        products,
        customers: Vec::new(),
        returns: Vec::new(),
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

fn write_customer(emit: &mut Emit, customer: &Customer, status: &str, change: &str) {
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

/// The store-visit factor of a day: weekday, season, holidays (stores close) and weather.
fn store_factor(day: Day, today: &weather::Today, district: u32) -> f64 {
    if calendar::holiday(day).is_some() {
        return 0.0;
    }
    let weekday = [0.85, 0.85, 0.9, 0.95, 1.1, 1.45, 0.9][calendar::weekday(day) as usize];
    let rain = if today.rainy() { 0.8 } else { 1.0 };
    let cold = if today.temp_c < 0.0 { 0.9 } else { 1.0 };
    let storm = if today.storm[(district - 301) as usize] {
        0.3
    } else {
        1.0
    };
    weekday * season_factor(day) * rain * cold * storm
}

fn web_factor(day: Day, today: &weather::Today) -> f64 {
    let weekday = [1.1, 1.05, 1.0, 1.0, 0.95, 0.85, 1.1][calendar::weekday(day) as usize];
    let holiday = if calendar::holiday(day).is_some() {
        1.2
    } else {
        1.0
    };
    let rain = if today.rainy() { 1.25 } else { 1.0 };
    weekday * season_factor(day) * holiday * rain
}

/// Midwinter shopping before the 25th of month 12, a January lull, a little summer lift.
fn season_factor(day: Day) -> f64 {
    match (calendar::month(day), calendar::day_of_month(day)) {
        (12, ..=24) => 1.45,
        (1, _) => 0.85,
        (7 | 8, _) => 1.05,
        _ => 1.0,
    }
}

struct Basket {
    product: usize,
    quantity: u32,
}

/// One day of the retailer, in the order its parts draw: new managers, new prices, customers
/// lost and won, purchases (and today's truth), returns due, and the quarter's tier review.
pub fn step(
    state: &mut State,
    census: &census::State,
    config: &SimConfig,
    today: &weather::Today,
    emit: &mut Emit,
    first_day: bool,
) {
    if first_day {
        write_reference(state, &config.reference, emit);
    }
    replace_managers(state, census, config, emit);
    reprice(state, config, emit);
    turn_over_customers(state, census, config, emit);
    let mut chaos_rng = Stream::new(config.seed, "retail", "chaos", emit.day);
    purchase(state, config, today, emit, &mut chaos_rng);
    book_returns(state, config, emit, &mut chaos_rng);
    review_tiers(state, emit);
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

/// Prices: a small daily hazard of a change, drifting upwards.
fn reprice(state: &mut State, config: &SimConfig, emit: &mut Emit) {
    let mut pricing = Stream::new(config.seed, "retail", "prices", emit.day);
    for (seeded, product) in config
        .reference
        .retail_products
        .iter()
        .zip(&mut state.products)
    {
        if pricing.chance(0.004) {
            let factor = 0.93 + 0.2 * pricing.unit();
            let price = charm(product.price_cents as f64 * factor);
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
struct Shelf {
    category_products: Vec<Vec<usize>>,
    cumulative: Vec<Vec<f64>>,
    names: Vec<[String; chaos::SPELLINGS]>,
}

impl Shelf {
    fn new(products: &[Product], reference: &Reference) -> Shelf {
        let mut category_products: Vec<Vec<usize>> = vec![Vec::new(); categories(reference).len()];
        for (index, product) in products.iter().enumerate() {
            category_products[product.category as usize].push(index);
        }
        let cumulative = category_products
            .iter()
            .map(|members| {
                let mut total = 0.0;
                members
                    .iter()
                    .enumerate()
                    .map(|(rank, _)| {
                        total += 1.0 / (rank as f64 + 1.0);
                        total
                    })
                    .collect()
            })
            .collect();
        let names = reference
            .retail_products
            .iter()
            .map(|p| chaos::spellings(&p.product_name))
            .collect();
        Shelf {
            category_products,
            cumulative,
            names,
        }
    }

    /// A product of `category` by popularity.
    fn pick(&self, rng: &mut Stream, category: usize) -> usize {
        let sums = &self.cumulative[category];
        let target = rng.unit() * sums[sums.len() - 1];
        let rank = sums
            .iter()
            .position(|s| target < *s)
            .unwrap_or(sums.len() - 1);
        self.category_products[category][rank]
    }
}

/// Every customer's visits and web orders today, their lines and payments, the returns they
/// will bring back, and today's truth: gross sales per store and product.
fn purchase(
    state: &mut State,
    config: &SimConfig,
    today: &weather::Today,
    emit: &mut Emit,
    chaos_rng: &mut Stream,
) {
    let day = emit.day;
    let seed = config.seed;
    let rates = config.rates("retail");
    let purchase_rate = config.retail.purchase_rate;
    let store_factors: Vec<f64> = state
        .stores
        .iter()
        .map(|s| {
            if s.district == 0 {
                0.0
            } else {
                store_factor(day, today, s.district)
            }
        })
        .collect();
    let web = web_factor(day, today);
    let product_count = state.products.len();
    let shelf = Shelf::new(&state.products, &config.reference);
    let mut sales = vec![[0i64; 3]; state.stores.len() * product_count];
    let mut orders_rng = Stream::new(seed, "retail", "orders", day);
    let mut baskets_rng = Stream::new(seed, "retail", "baskets", day);
    let mut returns_rng = Stream::new(seed, "retail", "returns", day);
    let mut names_rng = Stream::new(seed, "retail", "name_chaos", day);
    let start_of_day = calendar::start_of(day);
    let mut basket: Vec<Basket> = Vec::with_capacity(16);
    for customer in &mut state.customers {
        let rate = f64::from(customer.rate_ppm) / 1e6 * purchase_rate;
        let web_share = f64::from(customer.web_ppm) / 1e6;
        let home = store_index(customer.home_store);
        let in_store = orders_rng.poisson(rate * (1.0 - web_share) * store_factors[home]);
        let online = orders_rng.poisson(rate * web_share * web);
        for visit in 0..in_store + online {
            let is_web = visit >= in_store;
            let store_idx = if is_web { 0 } else { home };
            let store = &state.stores[store_idx];
            let ordered_at = order_time(&mut baskets_rng, store, is_web, start_of_day);
            let lines = 1 + baskets_rng.poisson(if is_web { 0.9 } else { 1.3 }) as usize;
            basket.clear();
            for _ in 0..lines {
                let category = if baskets_rng.chance(0.6) {
                    customer.favourites[baskets_rng.weighted(&[0.5, 0.3, 0.2])] as usize
                } else {
                    baskets_rng.index(shelf.category_products.len())
                };
                let product = shelf.pick(&mut baskets_rng, category);
                let quantity = quantity(&mut baskets_rng);
                match basket.iter_mut().find(|b| b.product == product) {
                    Some(existing) => existing.quantity += quantity,
                    None => basket.push(Basket { product, quantity }),
                }
            }
            let order_id = state.next_order;
            state.next_order += 1;
            let subtotal: i64 = basket
                .iter()
                .map(|b| i64::from(b.quantity) * state.products[b.product].price_cents)
                .sum();
            let tax = (subtotal * TAX_BP + 5000) / 10_000;
            customer.quarter_spend_cents += subtotal;
            let delays = chaos::deliveries(emit, chaos_rng, &rates, &ORDERS, order_id);
            let channel = if is_web { "web" } else { "store" };
            emit.event(&ORDERS, &delays, |line| {
                line.int(order_id)
                    .int(customer.id)
                    .int(store.id)
                    .text(channel)
                    .timestamp(ordered_at)
                    .int(day)
                    .int(basket.len())
                    .int(subtotal)
                    .int(tax)
                    .int(subtotal + tax);
            });
            for (position, item) in basket.iter().enumerate() {
                let product = &state.products[item.product];
                let line_id = state.next_line;
                state.next_line += 1;
                let total = i64::from(item.quantity) * product.price_cents;
                let cell = &mut sales[store_idx * product_count + item.product];
                cell[0] += 1;
                cell[1] += i64::from(item.quantity);
                cell[2] += total;
                let form = chaos::spelling(&mut names_rng, rates.name_variants);
                let seeded = &config.reference.retail_products[item.product];
                let name = form.map_or(seeded.product_name.as_str(), |form| {
                    &shelf.names[item.product][form]
                });
                if form.is_some() {
                    chaos::ledger(emit, &ORDER_LINES, line_id, "name_variant", name);
                }
                emit.event(&ORDER_LINES, &delays, |line| {
                    line.int(line_id)
                        .int(order_id)
                        .int(position + 1)
                        .int(product.id)
                        .text(name)
                        .int(item.quantity)
                        .int(product.price_cents)
                        .int(total);
                });
                if returns_rng.chance(seeded.return_rate) {
                    let quantity = returns_rng.between(1, i64::from(item.quantity)) as u32;
                    state.returns.push(ScheduledReturn {
                        due: day + returns_rng.between(2, 30) as u32,
                        order_id,
                        line_id,
                        product_id: product.id,
                        store_id: store.id,
                        quantity,
                        refund_cents: i64::from(quantity) * product.price_cents,
                        reason: returns_rng.index(REASONS.len()) as u8,
                    });
                }
            }
            let payment_id = state.next_payment;
            state.next_payment += 1;
            let method = if is_web {
                ["card", "card", "card", "paypal", "gift_card"][baskets_rng.index(5)]
            } else {
                ["card", "card", "card", "cash", "mobile", "gift_card"][baskets_rng.index(6)]
            };
            let paid_at = ordered_at + baskets_rng.between(0, if is_web { 300 } else { 60 });
            emit.event(&PAYMENTS, &delays, |line| {
                line.int(payment_id)
                    .int(order_id)
                    .text(method)
                    .int(subtotal + tax)
                    .timestamp(paid_at);
            });
        }
    }
    for (cell_index, cell) in sales.iter().enumerate() {
        if cell[0] == 0 {
            continue;
        }
        let store = &state.stores[cell_index / product_count];
        let product = &state.products[cell_index % product_count];
        emit.row(&DAILY_SALES, |line| {
            line.int(day)
                .int(store.id)
                .int(product.id)
                .int(cell[0])
                .int(cell[1])
                .int(cell[2]);
        });
    }
}

fn store_index(id: u32) -> usize {
    (id - WEB_STORE) as usize
}

/// When an order is placed: web orders from 08:00 over sixteen hours, store visits within
/// opening hours, both peaking mid-span.
fn order_time(rng: &mut Stream, store: &Store, is_web: bool, start_of_day: Instant) -> Instant {
    let ordered_at: Instant = if is_web {
        let spread = (rng.unit() + rng.unit()) / 2.0;
        start_of_day + 8 * 3600 + (spread * 16.0 * 3600.0) as i64 - 1
    } else {
        let hours = i64::from(store.close_minute - store.open_minute) * 60;
        let spread = (rng.unit() + rng.unit()) / 2.0;
        start_of_day + i64::from(store.open_minute) * 60 + (spread * hours as f64) as i64
    };
    ordered_at.min(start_of_day + calendar::SECONDS_PER_DAY - 1)
}

/// Units of one line: mostly one.
fn quantity(rng: &mut Stream) -> u32 {
    let draw = rng.unit();
    if draw < 0.75 {
        1
    } else if draw < 0.93 {
        2
    } else {
        3
    }
}

/// Returns due today, booked during opening hours (web returns arrive by post).
fn book_returns(state: &mut State, config: &SimConfig, emit: &mut Emit, chaos_rng: &mut Stream) {
    let day = emit.day;
    let rates = config.rates("retail");
    let start_of_day = calendar::start_of(day);
    let mut returning = Stream::new(config.seed, "retail", "returned_at", day);
    let (due, later): (Vec<ScheduledReturn>, Vec<ScheduledReturn>) =
        std::mem::take(&mut state.returns)
            .into_iter()
            .partition(|r| r.due <= day);
    state.returns = later;
    for item in due {
        let store = &state.stores[store_index(item.store_id)];
        let (open, close) = if store.district == 0 {
            (540, 1020)
        } else {
            (store.open_minute, store.close_minute)
        };
        let returned_at =
            start_of_day + returning.between(i64::from(open) * 60, i64::from(close) * 60 - 1);
        let return_id = state.next_return;
        state.next_return += 1;
        let delays = chaos::deliveries(emit, chaos_rng, &rates, &RETURNS, return_id);
        emit.event(&RETURNS, &delays, |line| {
            line.int(return_id)
                .int(item.order_id)
                .int(item.line_id)
                .int(item.product_id)
                .int(item.store_id)
                .int(item.quantity)
                .int(item.refund_cents)
                .timestamp(returned_at)
                .int(day)
                .text(REASONS[item.reason as usize]);
        });
    }
}

/// Loyalty tiers are reviewed on the last day of each quarter, from that quarter's spend.
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
            &mut |state, people, today, emit, first| {
                step(state, people, config, today, emit, first)
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
                    (row[0].into(), row[1].into(), row[2].into()),
                    (
                        row[3].parse().unwrap(),
                        row[4].parse().unwrap(),
                        row[5].parse().unwrap(),
                    ),
                );
            }
            let orders: BTreeMap<&str, (&str, &str)> = rows(output, "raw.retail_orders")
                .into_iter()
                .map(|r| (r[0], (r[5], r[2])))
                .collect();
            let lines = rows(output, "raw.retail_order_lines");
            for row in &lines {
                let (day, store) = orders[row[1]];
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
        let ledger: Vec<Vec<&str>> = outputs
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
}

#[cfg(test)]
mod speed {
    use crate::sim::config::SimConfig;

    /// `cargo test --release --lib retail_speed -- --ignored --nocapture`: about 3M rows/s here.
    #[test]
    #[ignore]
    #[allow(clippy::print_stderr)]
    fn retail_speed() {
        use crate::sim::domains::{census, retail, weather};
        use crate::sim::output::{DayOutput, Emit};
        let mut config = SimConfig::default();
        config.retail.purchase_rate = 1000.0;
        let people = census::new(&config);
        let mut state = retail::new(&config, &people);
        let today = weather::Today::default();
        for day in 100..102 {
            let mut output = DayOutput::default();
            let mut pending = Vec::new();
            let started = std::time::Instant::now();
            retail::step(
                &mut state,
                &people,
                &config,
                &today,
                &mut Emit::new(day, &mut output, &mut pending),
                false,
            );
            let elapsed = started.elapsed();
            let rows = output.rows() + pending.len() as u64;
            let lines = output
                .tables
                .get("raw.retail_order_lines")
                .map_or(0, |t| t.rows);
            eprintln!(
                "day {day}: {rows} rows ({lines} lines) in {elapsed:?}: {:.0} rows/s",
                rows as f64 / elapsed.as_secs_f64()
            );
        }
    }
}
