//! The purchase model: who shops where today (weekday, season, holidays, weather, household
//! income), what goes into a basket (and what the shelves still hold), the orders, lines,
//! payments and card payments the tills and the web shop export, the web sessions behind web
//! orders and the many that buy nothing, the returns that come back later, and today's truth of
//! gross sales.
//!
//! The purchase loop is the simulator's volume benchmark, so it allocates nothing per row.

use super::web::{Action, Session};
use super::*;
use crate::sim::calendar::Instant;
use crate::sim::chaos;

const REASONS: [&str; 4] = ["damaged", "wrong_size", "not_as_described", "changed_mind"];
/// Mean lines wanted per visit, beyond the first, in a store and on the web.
const EXTRA_LINES: [f64; 2] = [1.3, 0.9];
/// Web sessions that buy nothing, per session that buys.
const BROWSING_PER_ORDER: f64 = 2.5;
/// Anonymous web sessions a day, per customer.
const ANONYMOUS_PER_CUSTOMER: f64 = 0.03;

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

/// How a household's income moves its members' spending (1 at the town's mean).
fn income_factor(economy: &economy::State, census: &census::State, ux_id: u32) -> f64 {
    census.person(ux_id).map_or(1.0, |person| {
        economy
            .relative_income(person.household)
            .max(0.0)
            .powf(0.4)
            .clamp(0.5, 2.0)
    })
}

struct Basket {
    product: usize,
    quantity: u32,
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

    /// A category: mostly one of the customer's favourites.
    fn category(&self, rng: &mut Stream, customer: &Customer) -> usize {
        if rng.chance(0.6) {
            customer.favourites[rng.weighted(&[0.5, 0.3, 0.2])] as usize
        } else {
            rng.index(self.category_products.len())
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

    /// The product a customer takes instead of one out of stock: the next in its category.
    fn substitute(&self, product: usize, category: usize) -> Option<usize> {
        let members = &self.category_products[category];
        let rank = members.iter().position(|p| *p == product)?;
        (members.len() > 1).then(|| members[(rank + 1) % members.len()])
    }
}

/// The units a day each store (701: the web shop) can expect to sell of each product, in
/// thousandths, from its customers' rates, channels and tastes: what the shelves start with.
pub fn expected_demand(state: &State, config: &SimConfig) -> Vec<i64> {
    let shelf = Shelf::new(&state.products, &config.reference);
    let categories = shelf.category_products.len();
    let products = state.products.len();
    let mut demand = vec![0.0f64; state.stores.len() * products];
    let mean_quantity = 0.75 + 2.0 * 0.18 + 3.0 * 0.07;
    for customer in &state.customers {
        let rate = f64::from(customer.rate_ppm) / 1e6 * config.retail.purchase_rate;
        let web = f64::from(customer.web_ppm) / 1e6;
        let visits = [
            (store_index(customer.home_store), rate * (1.0 - web), 0),
            (0, rate * web, 1),
        ];
        for (store, visits, channel) in visits {
            let units = visits * (1.0 + EXTRA_LINES[channel]) * mean_quantity;
            for category in 0..categories {
                let mut share = 0.4 / categories as f64;
                for (slot, weight) in [0.5, 0.3, 0.2].iter().enumerate() {
                    if customer.favourites[slot] as usize == category {
                        share += 0.6 * weight;
                    }
                }
                let sums = &shelf.cumulative[category];
                let total = sums[sums.len() - 1];
                for (rank, product) in shelf.category_products[category].iter().enumerate() {
                    let popularity = 1.0 / (rank as f64 + 1.0) / total;
                    demand[store * products + product] += units * share * popularity;
                }
            }
        }
    }
    demand
        .into_iter()
        .map(|units| (units * 1000.0) as i64)
        .collect()
}

/// Every customer's store visits and web orders today: baskets from what the shelves hold,
/// orders, lines, payments and card payments, the web session behind each web order and the
/// carrier that will take it, the returns to come, and today's truth of gross sales.
pub fn purchase(
    state: &mut State,
    census: &census::State,
    economy: &economy::State,
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
    let mut clicks_rng = Stream::new(seed, "retail", "clicks", day);
    let start_of_day = calendar::start_of(day);
    let mut basket: Vec<Basket> = Vec::with_capacity(16);
    let mut session = Session::default();
    for customer in &mut state.customers {
        let spend = income_factor(economy, census, customer.ux_id);
        let rate = f64::from(customer.rate_ppm) / 1e6 * purchase_rate * spend;
        let web_share = f64::from(customer.web_ppm) / 1e6;
        let home = store_index(customer.home_store);
        let in_store = orders_rng.poisson(rate * (1.0 - web_share) * store_factors[home]);
        let online = orders_rng.poisson(rate * web_share * web);
        for visit in 0..in_store + online {
            let is_web = visit >= in_store;
            let store_idx = if is_web { 0 } else { home };
            let store = &state.stores[store_idx];
            let ordered_at = order_time(&mut baskets_rng, store, is_web, start_of_day);
            let lines = 1 + baskets_rng.poisson(EXTRA_LINES[usize::from(is_web)]) as usize;
            basket.clear();
            session.clear();
            for _ in 0..lines {
                let category = shelf.category(&mut baskets_rng, customer);
                let wanted = shelf.pick(&mut baskets_rng, category);
                let quantity = quantity(&mut baskets_rng);
                // Out of stock: the next product of the category, or nothing.
                let mut product = wanted;
                if !state.stock.in_stock(store_idx, wanted) {
                    if is_web {
                        let id = Some(state.products[wanted].id);
                        session.push(&mut clicks_rng, Action::View { in_stock: false }, id);
                    }
                    match shelf.substitute(wanted, category) {
                        Some(other) if state.stock.in_stock(store_idx, other) => product = other,
                        _ => {
                            state.stock.lose(store_idx, wanted, quantity);
                            continue;
                        }
                    }
                }
                let taken = state.stock.take(store_idx, product, quantity);
                if taken < quantity {
                    state.stock.lose(store_idx, wanted, quantity - taken);
                }
                if is_web {
                    let id = Some(state.products[product].id);
                    session.push(&mut clicks_rng, Action::View { in_stock: true }, id);
                    let added = Action::AddToCart { quantity: taken };
                    session.push(&mut clicks_rng, added, id);
                }
                match basket.iter_mut().find(|b| b.product == product) {
                    Some(existing) => existing.quantity += taken,
                    None => basket.push(Basket {
                        product,
                        quantity: taken,
                    }),
                }
            }
            if basket.is_empty() {
                // The shelves had none of it: a web visitor leaves without buying.
                if is_web && !session.events.is_empty() {
                    let start = ordered_at - session.length();
                    let customer_id = Some(customer.id);
                    state.web.write(
                        emit,
                        &rates,
                        chaos_rng,
                        &mut clicks_rng,
                        customer_id,
                        start,
                        &session,
                    );
                }
                continue;
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
                let seeded = &config.reference.retail_products[item.product];
                let line_id = state.next_line;
                state.next_line += 1;
                let total = i64::from(item.quantity) * product.price_cents;
                let cell = &mut sales[store_idx * product_count + item.product];
                cell[0] += 1;
                cell[1] += i64::from(item.quantity);
                cell[2] += total;
                let form = chaos::spelling(&mut names_rng, rates.name_variants);
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
            if method == "card" {
                let on_credit = baskets_rng.chance(0.5);
                state.bank.charge(
                    emit,
                    &rates,
                    chaos_rng,
                    customer,
                    on_credit,
                    payment_id,
                    store.id,
                    subtotal + tax,
                    paid_at,
                );
            }
            if is_web {
                session.push(&mut clicks_rng, Action::Checkout, None);
                session.push(&mut clicks_rng, Action::Purchase { order_id }, None);
                let start = ordered_at - session.length();
                let customer_id = Some(customer.id);
                state.web.write(
                    emit,
                    &rates,
                    chaos_rng,
                    &mut clicks_rng,
                    customer_id,
                    start,
                    &session,
                );
                state.web.ship(&mut clicks_rng, order_id, day);
            }
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

/// Web sessions that buy nothing: customers looking around (some fill a cart and leave it,
/// some at checkout), and anonymous visitors.
pub fn browse(
    state: &mut State,
    config: &SimConfig,
    today: &weather::Today,
    emit: &mut Emit,
    chaos_rng: &mut Stream,
) {
    let day = emit.day;
    let rates = config.rates("retail");
    let shelf = Shelf::new(&state.products, &config.reference);
    let web = web_factor(day, today);
    let mut rng = Stream::new(config.seed, "retail", "browsing", day);
    let start_of_day = calendar::start_of(day);
    let mut session = Session::default();
    let anonymous = rng.poisson(state.customers.len() as f64 * ANONYMOUS_PER_CUSTOMER * web);
    let visitors = (0..state.customers.len())
        .map(Some)
        .chain((0..anonymous).map(|_| None));
    for visitor in visitors {
        let (customer, sessions) = match visitor {
            Some(index) => {
                let customer = &state.customers[index];
                let rate = f64::from(customer.rate_ppm) / 1e6 * config.retail.purchase_rate;
                let web_share = f64::from(customer.web_ppm) / 1e6;
                let sessions = rng.poisson(rate * web_share * web * BROWSING_PER_ORDER);
                (Some(customer), sessions)
            }
            None => (None, 1),
        };
        for _ in 0..sessions {
            session.clear();
            for _ in 0..1 + rng.poisson(2.0) {
                let category = match customer {
                    Some(customer) => shelf.category(&mut rng, customer),
                    None => rng.index(shelf.category_products.len()),
                };
                let product = shelf.pick(&mut rng, category);
                let in_stock = state.stock.in_stock(0, product);
                let id = Some(state.products[product].id);
                session.push(&mut rng, Action::View { in_stock }, id);
                if in_stock && rng.chance(0.15) {
                    let quantity = quantity(&mut rng);
                    session.push(&mut rng, Action::AddToCart { quantity }, id);
                }
            }
            let carted = session
                .events
                .iter()
                .any(|e| matches!(e.action, Action::AddToCart { .. }));
            if carted && rng.chance(0.3) {
                session.push(&mut rng, Action::Checkout, None);
            }
            let start = start_of_day + rng.between(7 * 3600, 23 * 3600);
            let customer_id = customer.map(|c| c.id);
            state.web.write(
                emit,
                &rates,
                chaos_rng,
                &mut rng,
                customer_id,
                start,
                &session,
            );
        }
    }
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
pub fn book_returns(
    state: &mut State,
    config: &SimConfig,
    emit: &mut Emit,
    chaos_rng: &mut Stream,
) {
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
