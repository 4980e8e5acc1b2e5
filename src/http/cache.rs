//! An in-process cache of the documents other servers fetch most: each local artist's actor
//! JSON and WebFinger answer, kept serialised so a hit costs no database round trip and no
//! serialisation.
//!
//! The rule that keeps it fresh: an entry is served only if no artist changed *in this process*
//! since the entry was made (`db::artists::changes`, bumped after every committed write to
//! `artists`), and only for `Limits::document_cache_ttl`. So a profile update shows at once on
//! the process that made it, and within the TTL on other processes sharing the database.
//! Only answers about existing artists are cached; a new artist is found at once everywhere.

use std::{
    collections::HashMap,
    sync::RwLock,
    time::{Duration, Instant},
};

use bytes::Bytes;

use crate::db;

/// Which document of an artist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Document {
    Actor = 0,
    Webfinger = 1,
}

struct Entry {
    body: Bytes,
    /// `db::artists::changes()` read before the artist was loaded.
    changes: u64,
    stored: Instant,
}

/// Serialised documents by kind and username (as requested).
pub struct DocumentCache {
    ttl: Duration,
    /// One map per [`Document`], indexed by its discriminant.
    maps: [RwLock<HashMap<String, Entry>>; 2],
}

/// Far more than the artists of one instance; when reached, the cache starts again empty.
const MAX_ENTRIES: usize = 4096;

impl DocumentCache {
    /// A cache whose entries live at most `ttl`; a zero `ttl` turns it off.
    pub fn new(ttl: Duration) -> Self {
        DocumentCache {
            ttl,
            maps: [RwLock::default(), RwLock::default()],
        }
    }

    /// The stored body, if it is still valid by the rule above.
    pub fn get(&self, document: Document, username: &str) -> Option<Bytes> {
        let entries = self.maps[document as usize]
            .read()
            .unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(username)?;
        (entry.changes == db::artists::changes() && entry.stored.elapsed() < self.ttl)
            .then(|| entry.body.clone())
    }

    /// Stores `body`, built from an artist loaded after `changes` was read from
    /// `db::artists::changes()`: if the artist changed in between, the entry is never served.
    pub fn put(&self, document: Document, username: &str, changes: u64, body: Bytes) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.maps[document as usize]
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            username.to_owned(),
            Entry {
                body,
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
    fn entries_expire_and_zero_ttl_stores_nothing() {
        let cache = DocumentCache::new(Duration::from_secs(60));
        let changes = db::artists::changes();
        cache.put(Document::Actor, "band", changes, Bytes::from_static(b"{}"));
        // Other tests in this process may create artists at any time, which only empties it.
        if db::artists::changes() == changes {
            assert_eq!(
                cache.get(Document::Actor, "band").as_deref(),
                Some(&b"{}"[..])
            );
        }
        assert!(cache.get(Document::Webfinger, "band").is_none());
        assert!(cache.get(Document::Actor, "other").is_none());
        // Made before a change that is already counted: never served.
        cache.put(
            Document::Actor,
            "band",
            changes.wrapping_sub(1),
            Bytes::from_static(b"{}"),
        );
        assert!(cache.get(Document::Actor, "band").is_none());

        let off = DocumentCache::new(Duration::ZERO);
        off.put(Document::Actor, "band", changes, Bytes::from_static(b"{}"));
        assert!(off.get(Document::Actor, "band").is_none());
    }
}
