//! Lookups by id in the world's lists of people, households, members and incomes. Each list is
//! sorted by an id handed out consecutively, and entities only leave it, so an entity sits at
//! most as many places before its id's offset from the first id as ids are missing: the search
//! covers that window, not the whole list. Early in a simulation the window is a few places,
//! where a search of the whole list took some seventeen steps, each a likely cache miss.
//! [`IdFlags`] marks ids of such a range, for a pass over a whole list that asks of each item
//! whether its id is among others: a set of them cost a tree node each, built every day.

/// The index of the item whose id is `id` in `items`, sorted by strictly increasing `id_of`.
pub fn position<T>(items: &[T], id: u32, id_of: impl Fn(&T) -> u32) -> Option<usize> {
    let first = id_of(items.first()?);
    let last = id_of(items.last()?);
    if id < first || id > last {
        return None;
    }
    let span = (last - first) as usize + 1;
    let upper = ((id - first) as usize).min(items.len() - 1);
    let lower = upper.saturating_sub(span - items.len());
    items[lower..=upper]
        .binary_search_by_key(&id, id_of)
        .ok()
        .map(|index| lower + index)
}

/// A flag per id of the range `first..end`; ids outside it are never marked.
pub struct IdFlags {
    first: u32,
    flags: Vec<bool>,
}

impl IdFlags {
    pub fn new(first: u32, end: u32) -> IdFlags {
        IdFlags {
            first,
            flags: vec![false; end.saturating_sub(first) as usize],
        }
    }

    pub fn insert(&mut self, id: u32) {
        if let Some(flag) = self.index(id).and_then(|index| self.flags.get_mut(index)) {
            *flag = true;
        }
    }

    pub fn contains(&self, id: u32) -> bool {
        self.index(id)
            .and_then(|index| self.flags.get(index))
            .is_some_and(|flag| *flag)
    }

    fn index(&self, id: u32) -> Option<usize> {
        id.checked_sub(self.first).map(|index| index as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn finds_what_a_search_of_the_whole_list_finds(
            kept in proptest::collection::vec(any::<bool>(), 0..300),
            first in 1_000_000u32..1_000_010,
            probe in 999_990u32..1_000_320,
        ) {
            let ids: Vec<u32> = (first..)
                .zip(&kept)
                .filter(|(_, kept)| **kept)
                .map(|(id, _)| id)
                .collect();
            prop_assert_eq!(
                position(&ids, probe, |id| *id),
                ids.binary_search(&probe).ok()
            );
        }
    }

    #[test]
    fn id_flags_hold_the_ids_of_their_range_only() {
        let mut flags = IdFlags::new(100, 103);
        for id in [99, 100, 102, 103, 0] {
            flags.insert(id);
        }
        let marked: Vec<u32> = (95..110).filter(|id| flags.contains(*id)).collect();
        assert_eq!(marked, [100, 102]);
    }
}
