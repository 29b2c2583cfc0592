//! The web shop's side: sessions and their events (what the purchase model decides, written as
//! the shop's analytics records it), the day's funnel truth, and the carriers that take web
//! orders to the door.

use serde::{Deserialize, Serialize};

use super::tables::{SHIPMENTS, WEB_DAILY, WEB_EVENTS, WEB_SESSIONS};
use crate::sim::calendar::{self, Day, Instant};
use crate::sim::chaos;
use crate::sim::config::Rates;
use crate::sim::output::Emit;
use crate::sim::random::Stream;

const DEVICES: [&str; 3] = ["mobile", "desktop", "tablet"];
const DEVICE_WEIGHTS: [f64; 3] = [0.55, 0.35, 0.10];
const REFERRERS: [&str; 4] = ["direct", "search", "email", "social"];
const REFERRER_WEIGHTS: [f64; 4] = [0.4, 0.3, 0.15, 0.15];
/// Carriers: name, share of shipments, fewest and most days in transit, days promised.
const CARRIERS: [(&str, f64, i64, i64, u32); 3] = [
    ("UxPost", 0.5, 2, 3, 3),
    ("SwiftUx", 0.3, 1, 2, 2),
    ("Parcelux", 0.2, 1, 4, 3),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    View { in_stock: bool },
    AddToCart { quantity: u32 },
    Checkout,
    Purchase { order_id: u64 },
}

/// One event of a session, at an offset in seconds from its start.
#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub offset: i64,
    pub action: Action,
    pub product: Option<u32>,
}

/// A session being put together: its events in order, a pause before each.
#[derive(Debug, Default)]
pub struct Session {
    pub events: Vec<Event>,
    elapsed: i64,
}

impl Session {
    pub fn clear(&mut self) {
        self.events.clear();
        self.elapsed = 0;
    }

    pub fn push(&mut self, rng: &mut Stream, action: Action, product: Option<u32>) {
        if !self.events.is_empty() {
            self.elapsed += rng.between(12, 110);
        }
        self.events.push(Event {
            offset: self.elapsed,
            action,
            product,
        });
    }

    /// How long it lasted, first event to last.
    pub fn length(&self) -> i64 {
        self.elapsed
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Shipment {
    pub id: u64,
    pub order_id: u64,
    pub carrier: u8,
    pub dispatch: Day,
    pub promised: Day,
    /// The first delivery attempt; a failed one is followed by delivery the next working day.
    pub attempt: Day,
    pub failed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Web {
    pub shipments: Vec<Shipment>,
    /// Today's funnel: sessions, with a cart, at checkout, with a purchase.
    pub funnel: [u32; 4],
    next_session: u64,
    next_event: u64,
    next_shipment: u64,
}

impl Default for Web {
    fn default() -> Self {
        Web {
            shipments: Vec::new(),
            funnel: [0; 4],
            next_session: 30_000_000_001,
            next_event: 40_000_000_001,
            next_shipment: 95_000_001,
        }
    }
}

impl Web {
    /// Writes a session that started at `start`, and its events; the events travel with the
    /// session through the feed's chaos.
    #[allow(clippy::too_many_arguments)]
    pub fn write(
        &mut self,
        emit: &mut Emit,
        rates: &Rates,
        chaos_rng: &mut Stream,
        rng: &mut Stream,
        customer: Option<u32>,
        start: Instant,
        session: &Session,
    ) {
        let day = emit.day;
        let id = self.next_session;
        self.next_session += 1;
        let device = DEVICES[rng.weighted(&DEVICE_WEIGHTS)];
        let referrer = if customer.is_none() && rng.chance(0.5) {
            "search"
        } else {
            REFERRERS[rng.weighted(&REFERRER_WEIGHTS)]
        };
        let delays = chaos::deliveries(emit, chaos_rng, rates, &WEB_SESSIONS, id);
        emit.event(&WEB_SESSIONS, &delays, |line| {
            line.int(id)
                .opt_int(customer)
                .timestamp(start)
                .text(device)
                .text(referrer)
                .int(day);
        });
        let mut reached = [true, false, false, false];
        for event in &session.events {
            let event_id = self.next_event;
            self.next_event += 1;
            let (kind, quantity, order, in_stock) = match event.action {
                Action::View { in_stock } => {
                    ("product_view", None, None, Some(u32::from(in_stock)))
                }
                Action::AddToCart { quantity } => {
                    reached[1] = true;
                    ("add_to_cart", Some(quantity), None, None)
                }
                Action::Checkout => {
                    reached[2] = true;
                    ("checkout", None, None, None)
                }
                Action::Purchase { order_id } => {
                    reached[3] = true;
                    ("purchase", None, Some(order_id), None)
                }
            };
            emit.event(&WEB_EVENTS, &delays, |line| {
                line.int(event_id)
                    .int(id)
                    .timestamp(start + event.offset)
                    .text(kind)
                    .opt_int(event.product)
                    .opt_int(quantity)
                    .opt_int(order)
                    .opt_int(in_stock);
            });
        }
        for (count, reached) in self.funnel.iter_mut().zip(reached) {
            *count += u32::from(reached);
        }
    }

    /// Books the carrier for a web order: dispatched the next working day, delivered after
    /// the carrier's days in transit (on a working day), now and then at the second attempt.
    pub fn ship(&mut self, rng: &mut Stream, order_id: u64, day: Day) {
        let carrier = rng.weighted(&CARRIERS.map(|c| c.1));
        let (_, _, fewest, most, promise) = CARRIERS[carrier];
        let dispatch = next_working_day(day + 1);
        let attempt = next_working_day(dispatch + rng.between(fewest, most) as Day);
        let failed = rng.chance(0.05);
        self.shipments.push(Shipment {
            id: self.next_shipment,
            order_id,
            carrier: carrier as u8,
            dispatch,
            promised: next_working_day(dispatch + promise),
            attempt,
            failed,
        });
        self.next_shipment += 1;
    }

    /// Today's tracking events; delivered shipments are done with.
    pub fn track(&mut self, emit: &mut Emit, rates: &Rates, chaos_rng: &mut Stream, seed: u64) {
        let day = emit.day;
        let start = calendar::start_of(day);
        let mut scans = Stream::new(seed, "retail", "scans", day);
        let mut done = Vec::new();
        for (index, shipment) in self.shipments.iter().enumerate() {
            let delivered = if shipment.failed {
                next_working_day(shipment.attempt + 1)
            } else {
                shipment.attempt
            };
            let status = match () {
                _ if shipment.dispatch == day => "dispatched",
                _ if shipment.failed && shipment.attempt == day => "failed_attempt",
                _ if delivered == day => "delivered",
                _ => continue,
            };
            if status == "delivered" {
                done.push(index);
            }
            let at = start
                + if status == "dispatched" {
                    scans.between(5 * 3600, 9 * 3600)
                } else {
                    scans.between(9 * 3600, 19 * 3600)
                };
            let delays = chaos::deliveries(emit, chaos_rng, rates, &SHIPMENTS, shipment.id);
            emit.event(&SHIPMENTS, &delays, |line| {
                line.int(shipment.id)
                    .int(shipment.order_id)
                    .text(CARRIERS[shipment.carrier as usize].0)
                    .text(status)
                    .timestamp(at)
                    .int(day)
                    .int(shipment.promised);
            });
        }
        for index in done.into_iter().rev() {
            self.shipments.remove(index);
        }
    }

    /// Truth: today's funnel.
    pub fn write_funnel(&mut self, emit: &mut Emit) {
        let day = emit.day;
        let funnel = std::mem::take(&mut self.funnel);
        emit.row(&WEB_DAILY, |line| {
            line.int(day)
                .int(funnel[0])
                .int(funnel[1])
                .int(funnel[2])
                .int(funnel[3]);
        });
    }
}

/// The day itself or the next one carriers work (not Sundays or holidays).
fn next_working_day(day: Day) -> Day {
    let mut day = day;
    while calendar::weekday(day) == 6 || calendar::holiday(day).is_some() {
        day += 1;
    }
    day
}
