//! In-process caches of what the fediverse and fans fetch most, so that a hit costs no database
//! round trip and no serialisation or rendering:
//!
//! - [`DocumentCache`]: each local artist's actor JSON and WebFinger answer;
//! - [`SuspensionCache`]: whether an artist is suspended (asked on every request about an artist);
//! - [`PageCache`]: each artist's public profile page (HTML).
//!
//! The rule that keeps them fresh (`crate::cache::FreshMap`): an entry is served only if nothing it depends on changed *in
//! this process* since the entry was made, and only for `Limits::document_cache_ttl`. So a change
//! shows at once on the process that made it, and within the TTL on other processes sharing the
//! database. What "changed" means:
//!
//! - documents and suspension: any committed write to `artists` or to suspensions
//!   (`db::artists::changes`);
//! - pages: that, or any request that may write (every method but `GET`/`HEAD`/`OPTIONS`, counted
//!   by [`count_writes`] after the response), a counted pass visit, or a scheduler run that
//!   published something ([`page_content_changed`]).
//!
//! Only answers about existing artists are cached; a new artist is found at once everywhere.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use axum::{extract::Request, http::Method, middleware::Next, response::Response};
use bytes::Bytes;

use crate::{cache::FreshMap, db};

/// Which document of an artist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Document {
    Actor,
    Webfinger,
}

/// Serialised documents by kind and username (as requested).
pub struct DocumentCache(FreshMap<(Document, String), Bytes>);

impl DocumentCache {
    /// A cache whose entries live at most `ttl`; a zero `ttl` turns it off.
    pub fn new(ttl: Duration) -> Self {
        DocumentCache(FreshMap::new(ttl))
    }

    /// The stored body, if it is still valid by the rule above.
    pub fn get(&self, document: Document, username: &str) -> Option<Bytes> {
        // The tuple key needs an owned name; this allocation is far cheaper than the query.
        self.0
            .get(&(document, username.to_owned()), db::artists::changes())
    }

    /// Stores `body`, built from an artist loaded after `changes` was read from
    /// `db::artists::changes()`: if the artist changed in between, the entry is never served.
    pub fn put(&self, document: Document, username: &str, changes: u64, body: Bytes) {
        self.0.put((document, username.to_owned()), changes, body);
    }
}

/// Whether an artist (by username) is suspended. Only existing artists are stored, so an entry
/// also says that the artist exists (the artist's inbox relies on it).
pub struct SuspensionCache(FreshMap<String, bool>);

impl SuspensionCache {
    /// A cache whose entries live at most `ttl`; a zero `ttl` turns it off.
    pub fn new(ttl: Duration) -> Self {
        SuspensionCache(FreshMap::new(ttl))
    }

    /// The stored answer, if still valid.
    pub fn get(&self, username: &str) -> Option<bool> {
        self.0.get(username, db::artists::changes())
    }

    /// Stores an answer read after `changes` was read from `db::artists::changes()`.
    pub fn put(&self, username: &str, changes: u64, suspended: bool) {
        self.0.put(username.to_owned(), changes, suspended);
    }
}

/// Rendered public profile pages by username.
pub struct PageCache(FreshMap<String, Bytes>);

/// Requests and jobs in this process that may have changed what a page shows.
static PAGE_CONTENT_CHANGES: AtomicU64 = AtomicU64::new(0);

/// Records that something a public page shows may have changed (after it was committed).
pub fn page_content_changed() {
    PAGE_CONTENT_CHANGES.fetch_add(1, Ordering::AcqRel);
}

/// The counter page entries are checked against: it moves whenever an artist or anything else
/// counted by [`page_content_changed`] changes (both parts only grow, so their sum does too).
pub fn page_changes() -> u64 {
    db::artists::changes().wrapping_add(PAGE_CONTENT_CHANGES.load(Ordering::Acquire))
}

impl PageCache {
    /// A cache whose entries live at most `ttl`; a zero `ttl` turns it off.
    pub fn new(ttl: Duration) -> Self {
        PageCache(FreshMap::new(ttl))
    }

    /// The stored page, if still valid.
    pub fn get(&self, username: &str) -> Option<Bytes> {
        self.0.get(username, page_changes())
    }

    /// Stores a page rendered from data loaded after `changes` was read from [`page_changes`].
    pub fn put(&self, username: &str, changes: u64, html: Bytes) {
        self.0.put(username.to_owned(), changes, html);
    }
}

/// Middleware: after any request that may have written (any method but `GET`, `HEAD` and
/// `OPTIONS`: API calls, web forms, inbox deliveries), cached pages are no longer served.
pub async fn count_writes(request: Request, next: Next) -> Response {
    let may_write = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let response = next.run(request).await;
    if may_write {
        page_content_changed();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_outdate_pages() {
        let before = page_changes();
        page_content_changed();
        assert_ne!(page_changes(), before);
    }
}
