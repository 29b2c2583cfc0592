//! Chaos: pure functions that turn a clean record's fields into what a messy source system
//! delivers, drawing only from the chaos stream they are given, so switching a rule off leaves
//! every other draw (and table) unchanged. Truth is recorded before any of this runs.

use crate::sim::config::Rates;
use crate::sim::output::Emit;
use crate::sim::random::Stream;
use crate::sim::table::{Kind, Schema, SqlType, Table, col};

/// Every injected defect, so each kind of chaos can be checked on its own.
pub const LEDGER: Table = Table {
    domain: "chaos",
    schema: Schema::Truth,
    name: "chaos_ledger",
    kind: Kind::Events,
    description: "Every defect the simulator injected into a raw feed: which table, which record, what kind and how.",
    columns: &[
        col(
            "day_serial",
            SqlType::Int,
            "The simulated day the clean record belongs to.",
        ),
        col(
            "table_name",
            SqlType::Text,
            "The raw table that received the defect.",
        ),
        col(
            "record_key",
            SqlType::Text,
            "The key of the clean record (batch id, order id...).",
        ),
        col(
            "chaos_type",
            SqlType::Text,
            "duplicate, late, local_time, null_value, clock_drift, id_variant or name_variant.",
        ),
        col(
            "detail",
            SqlType::Text,
            "What was done: the variant written, the delay in days, the drift in seconds.",
        ),
    ],
};

/// Truth tables are written clean and on time, with no delivery columns.
pub fn ledger(emit: &mut Emit, table: &Table, key: u64, chaos_type: &str, detail: &str) {
    let day = emit.day;
    emit.row(&LEDGER, |line| {
        line.int(day)
            .text(table.name)
            .int(key)
            .text(chaos_type)
            .text(detail);
    });
}

/// The delivery days of an event row: late by one or two days at the `late` rate, and a second
/// delivery (the same day or the next) at the `duplicates` rate. Recorded in the ledger.
pub fn deliveries(
    emit: &mut Emit,
    rng: &mut Stream,
    rates: &Rates,
    table: &Table,
    key: u64,
) -> Delays {
    let late = rng.chance(rates.late);
    let late_by = rng.between(1, 2) as u32;
    let duplicate = rng.chance(rates.duplicates);
    let again_after = rng.between(0, 1) as u32;
    let first = if late { late_by } else { 0 };
    let mut delays = Delays {
        days: [first, first + again_after],
        count: 1,
    };
    if late {
        ledger(emit, table, key, "late", &format!("{late_by} days"));
    }
    if duplicate {
        delays.count = 2;
        ledger(
            emit,
            table,
            key,
            "duplicate",
            &format!("delivered again {again_after} days later"),
        );
    }
    delays
}

/// The days after today an event row is delivered on ([`deliveries`]): one, or two for a
/// duplicate. Held inline: an event row is written millions of times a run.
#[derive(Debug, Clone, Copy)]
pub struct Delays {
    days: [u32; 2],
    count: usize,
}

impl std::ops::Deref for Delays {
    type Target = [u32];

    fn deref(&self) -> &[u32] {
        &self.days[..self.count]
    }
}

/// The canonical code of a machine (`SMELTER-01`) or one of the forms other systems write.
pub fn id_variant(rng: &mut Stream, rate: f64, kind: &str, number: u32) -> (String, bool) {
    let upper = kind.to_uppercase();
    let canonical = format!("{upper}-{number:02}");
    if !rng.chance(rate) {
        let _ = rng.next_u64();
        return (canonical, false);
    }
    let title = format!("{}{}", &upper[..1], &kind[1..]);
    let variant = match rng.between(0, 5) {
        0 => format!("{title}-{number}"),
        1 => format!("{upper}_{number:02}"),
        2 => format!("{kind}{number}"),
        3 => format!("{title} #{number}"),
        4 => format!("{kind}_{number:02}"),
        _ => format!("{}{number}", &upper[..1]),
    };
    (variant, true)
}

/// How many [`spellings`] a name has.
pub const SPELLINGS: usize = 10;

/// The spelling and casing variants a name may be written in (`Iron Plate` → `iron_plate`,
/// `IRON PLATE`, `IronPlate`, `Iron Plates`, ` Iron Plate `, `IRON_PLATE`, `iron plate`,
/// `iron-plate`, `Iron-Plate`, `IRON PLATES`): every one reduces to the same letters and digits,
/// give or take a plural `s`. Feeds that write the same names often compute these once.
pub fn spellings(name: &str) -> [String; SPELLINGS] {
    [
        name.to_lowercase().replace(' ', "_"),
        name.to_uppercase(),
        name.replace(' ', ""),
        format!("{name}s"),
        format!(" {name} "),
        name.to_uppercase().replace(' ', "_"),
        name.to_lowercase(),
        name.to_lowercase().replace(' ', "-"),
        name.replace(' ', "-"),
        format!("{}S", name.to_uppercase()),
    ]
}

/// Which of the [`spellings`] to write, at `rate`; `None` for the name as it is. Two draws
/// either way, so the rate does not shift later draws.
pub fn spelling(rng: &mut Stream, rate: f64) -> Option<usize> {
    let changed = rng.chance(rate);
    let form = rng.index(SPELLINGS);
    changed.then_some(form)
}

/// A name as a messy source writes it, and whether it was changed.
pub fn name_variant(rng: &mut Stream, rate: f64, name: &str) -> (String, bool) {
    match spelling(rng, rate) {
        Some(form) => (spellings(name)[form].clone(), true),
        None => (name.to_string(), false),
    }
}

/// A clock's drift in whole seconds, uniform within ± the configured minutes.
pub fn drift_seconds(rng: &mut Stream, minutes: u32) -> i64 {
    let limit = i64::from(minutes) * 60;
    if limit == 0 {
        let _ = rng.next_u64();
        return 0;
    }
    rng.between(-limit, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_keep_the_number_and_the_letters() {
        let mut rng = Stream::new(1, "test", "variants", 0);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let (variant, _) = id_variant(&mut rng, 1.0, "smelter", 2);
            let digits: String = variant.chars().filter(char::is_ascii_digit).collect();
            assert_eq!(digits.trim_start_matches('0'), "2", "{variant}");
            assert!(variant.to_lowercase().starts_with('s'), "{variant}");
            seen.insert(variant);
        }
        assert_eq!(seen.len(), 6, "{seen:?}");
        let (same, changed) = id_variant(&mut rng, 0.0, "assembler", 1);
        assert_eq!((same.as_str(), changed), ("ASSEMBLER-01", false));
    }
}
