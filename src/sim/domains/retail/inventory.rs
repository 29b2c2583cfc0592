//! Stock per store and product (the web shop's warehouse is store 701). Sales take from the
//! shelves; a customer who finds a product out of stock tries one substitute and otherwise goes
//! without (lost demand, the truth of `truth.retail_stockouts`). At closing time every store
//! counts its stock and reorders what runs low, to cover about two weeks of its recent demand;
//! suppliers deliver after a few days, and now and then much later — which is when shelves run
//! empty, as do midwinter's crowds before demand estimates catch up.

use serde::{Deserialize, Serialize};

use super::tables::{INVENTORY, RESTOCKS, STOCKOUTS};
use crate::sim::calendar::Day;
use crate::sim::output::Emit;
use crate::sim::random::Stream;

/// Days of demand a reorder tops the stock up to, and the days' worth below which it reorders.
const COVER_DAYS: i64 = 14;
const REORDER_DAYS: i64 = 6;
/// The weight of today's demand in the running estimate, in thousandths.
const SMOOTHING: i64 = 150;

/// A supplier delivery on its way.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Restock {
    pub id: u64,
    /// Index into the stock (store × product).
    pub cell: usize,
    pub quantity: i32,
    pub expected: Day,
    pub arrives: Day,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stock {
    pub products: usize,
    pub on_hand: Vec<i32>,
    /// Recent daily demand (sold and lost units), in thousandths of a unit.
    pub demand_milli: Vec<i64>,
    /// Today's sold and lost units, reset at closing.
    pub sold: Vec<i32>,
    pub lost: Vec<i32>,
    pub restocks: Vec<Restock>,
    next_restock: u64,
}

impl Stock {
    /// Shelves filled for the demand expected of each cell (units a day, in thousandths).
    pub fn new(products: usize, demand_milli: Vec<i64>) -> Stock {
        let on_hand = demand_milli
            .iter()
            .map(|demand| (demand * COVER_DAYS / 1000 + 3) as i32)
            .collect();
        let cells = demand_milli.len();
        Stock {
            products,
            on_hand,
            demand_milli,
            sold: vec![0; cells],
            lost: vec![0; cells],
            restocks: Vec::new(),
            next_restock: 90_000_001,
        }
    }

    pub fn cell(&self, store: usize, product: usize) -> usize {
        store * self.products + product
    }

    pub fn in_stock(&self, store: usize, product: usize) -> bool {
        self.on_hand[self.cell(store, product)] > 0
    }

    /// Takes up to `wanted` units off the shelf and returns how many there were.
    pub fn take(&mut self, store: usize, product: usize, wanted: u32) -> u32 {
        let cell = self.cell(store, product);
        let taken = (self.on_hand[cell].max(0) as u32).min(wanted);
        self.on_hand[cell] -= taken as i32;
        self.sold[cell] += taken as i32;
        taken
    }

    /// Records units a customer wanted and could not get.
    pub fn lose(&mut self, store: usize, product: usize, units: u32) {
        let cell = self.cell(store, product);
        self.lost[cell] += units as i32;
    }

    /// Deliveries due today go onto the shelves before opening.
    pub fn receive(&mut self, emit: &mut Emit, store_ids: &[u32], product_ids: &[u32]) {
        let day = emit.day;
        let (due, later): (Vec<Restock>, Vec<Restock>) = std::mem::take(&mut self.restocks)
            .into_iter()
            .partition(|r| r.arrives <= day);
        self.restocks = later;
        for restock in due {
            self.on_hand[restock.cell] += restock.quantity;
            self.write_restock(emit, &restock, "received", store_ids, product_ids);
        }
    }

    /// Closing time: the demand estimates learn from today, every cell is counted, what runs
    /// low is reordered, and today's lost demand is the truth of stock-outs.
    pub fn close(&mut self, emit: &mut Emit, seed: u64, store_ids: &[u32], product_ids: &[u32]) {
        let day = emit.day;
        let mut suppliers = Stream::new(seed, "retail", "suppliers", day);
        let mut on_order = vec![0i32; self.on_hand.len()];
        for restock in &self.restocks {
            on_order[restock.cell] += restock.quantity;
        }
        for (cell, on_order) in on_order.iter().copied().enumerate() {
            let (store, product) = (cell / self.products, cell % self.products);
            let today = i64::from(self.sold[cell] + self.lost[cell]) * 1000;
            self.demand_milli[cell] =
                (self.demand_milli[cell] * (1000 - SMOOTHING) + today * SMOOTHING) / 1000;
            emit.event(&INVENTORY, &[0], |line| {
                line.int(day)
                    .int(store_ids[store])
                    .int(product_ids[product])
                    .int(self.on_hand[cell])
                    .int(on_order);
            });
            if self.lost[cell] > 0 {
                emit.row(&STOCKOUTS, |line| {
                    line.int(day)
                        .int(store_ids[store])
                        .int(product_ids[product])
                        .int(self.lost[cell]);
                });
            }
            let position = i64::from(self.on_hand[cell] + on_order);
            let demand = self.demand_milli[cell];
            if position * 1000 > demand * REORDER_DAYS && position > 0 {
                continue;
            }
            let quantity = ((demand * COVER_DAYS + 999) / 1000 - position).max(4) as i32;
            // The web warehouse's supplier is quicker than the stores'.
            let lead = if store == 0 {
                suppliers.between(1, 2)
            } else {
                suppliers.between(2, 4)
            } as Day;
            let delay = if suppliers.chance(0.04) {
                suppliers.between(3, 8) as Day
            } else {
                0
            };
            let restock = Restock {
                id: self.next_restock,
                cell,
                quantity,
                expected: day + lead,
                arrives: day + lead + delay,
            };
            self.next_restock += 1;
            self.write_restock(emit, &restock, "ordered", store_ids, product_ids);
            self.restocks.push(restock);
        }
        self.sold.iter_mut().for_each(|units| *units = 0);
        self.lost.iter_mut().for_each(|units| *units = 0);
    }

    fn write_restock(
        &self,
        emit: &mut Emit,
        restock: &Restock,
        event: &str,
        store_ids: &[u32],
        product_ids: &[u32],
    ) {
        let day = emit.day;
        let (store, product) = (restock.cell / self.products, restock.cell % self.products);
        emit.event(&RESTOCKS, &[0], |line| {
            line.int(restock.id)
                .int(store_ids[store])
                .int(product_ids[product])
                .int(restock.quantity)
                .text(event)
                .int(day)
                .int(restock.expected);
        });
    }
}
