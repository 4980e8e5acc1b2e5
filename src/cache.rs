//! The freshness rule every in-process cache of database rows follows (pages and documents in
//! `http::cache`, remote actors and healthy hosts for the inbox): an entry is served only while
//! the change counter it was made under is still current *in this process* and it is younger
//! than its TTL. A change made here shows at once; one made by another process sharing the
//! database shows within the TTL.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::RwLock,
    time::{Duration, Instant},
};

/// Far more than the artists of one instance; when reached, a map starts again empty.
pub const DEFAULT_MAX_ENTRIES: usize = 4096;

struct Entry<V> {
    value: V,
    /// The change counter read before the data behind `value` was loaded.
    changes: u64,
    stored: Instant,
}

/// A map whose entries are served while the change counter they were made under is current and
/// they are younger than the TTL.
pub struct FreshMap<K, V> {
    ttl: Duration,
    max_entries: usize,
    entries: RwLock<HashMap<K, Entry<V>>>,
}

impl<K: Eq + Hash, V: Clone> FreshMap<K, V> {
    /// A map of at most [`DEFAULT_MAX_ENTRIES`]; a zero `ttl` turns it off.
    pub fn new(ttl: Duration) -> Self {
        Self::with_capacity(ttl, DEFAULT_MAX_ENTRIES)
    }

    /// A map that starts again empty when it holds `max_entries`.
    pub fn with_capacity(ttl: Duration, max_entries: usize) -> Self {
        FreshMap {
            ttl,
            max_entries: max_entries.max(1),
            entries: RwLock::default(),
        }
    }

    /// The value stored under `key`, if it was made under `changes` and is younger than the TTL.
    pub fn get<Q>(&self, key: &Q, changes: u64) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(key)?;
        (entry.changes == changes && entry.stored.elapsed() < self.ttl).then(|| entry.value.clone())
    }

    /// Stores `value`, loaded after `changes` was read from the counter: if the data changed in
    /// between, the entry is never served.
    pub fn put(&self, key: K, changes: u64, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.max_entries {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                value,
                changes,
                stored: Instant::now(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_follow_the_counter_and_expire() {
        let map = FreshMap::new(Duration::from_secs(60));
        map.put("band".to_owned(), 7, 1u8);
        assert_eq!(map.get("band", 7), Some(1));
        // Made before a change that is already counted: never served.
        assert_eq!(map.get("band", 8), None);
        assert_eq!(map.get("other", 7), None);

        let short = FreshMap::new(Duration::from_millis(1));
        short.put("band".to_owned(), 7, 1u8);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(short.get("band", 7), None);

        let off = FreshMap::new(Duration::ZERO);
        off.put("band".to_owned(), 7, 1u8);
        assert_eq!(off.get("band", 7), None);
    }

    #[test]
    fn a_full_map_starts_again() {
        let map = FreshMap::with_capacity(Duration::from_secs(60), 2);
        map.put(1, 0, 'a');
        map.put(2, 0, 'b');
        map.put(3, 0, 'c');
        assert_eq!(map.get(&1, 0), None);
        assert_eq!(map.get(&3, 0), Some('c'));
    }
}
