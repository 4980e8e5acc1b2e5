//! The persistent delivery engine.
//!
//! Outgoing activities and their deliveries are rows written in the transaction of the change
//! that caused them (see `db::outbox`). Workers in any number of processes claim due rows with a
//! lease, sign each request (one RSA signature per request, aws-lc-rs) and POST it with bounded
//! concurrency overall and per host, then record the outcome in batches: delivered, retried on
//! Mastodon's schedule (honouring `Retry-After`), or failed. A host failing on several distinct
//! days is skipped until it talks to us again. A crash loses no delivery: rows a dead worker held
//! are claimed again when their lease expires, so at most the deliveries in flight at the crash
//! can arrive twice.

pub mod metrics;
pub mod schedule;
mod send;
mod worker;

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use tokio::sync::{watch, Notify, Semaphore};
use url::Url;

use crate::{
    config::{FederationMode, Limits},
    db::Db,
    federation::keys::SigningKey,
    urls::Urls,
};

pub use metrics::Metrics;

/// Who signs a delivery.
#[derive(Clone, Debug)]
pub struct Signer {
    pub key_id: Url,
    pub key: Arc<SigningKey>,
}

/// The signing artist's id (`None`: the instance actor) and the exact bytes of an activity.
type ArtistPayload = (Option<i64>, Arc<[u8]>);

/// Handle to this process's delivery workers. Cheap to clone.
#[derive(Clone)]
pub struct Delivery {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    urls: Urls,
    client: reqwest::Client,
    limits: Limits,
    allow_private_network: bool,
    /// Which hosts may receive anything (see `domain::moderation`).
    federation_mode: FederationMode,
    /// The moderation rules, in memory (a block made after a row was queued still stops it).
    policies: crate::domain::moderation::Policies,
    wake: Notify,
    stopping: AtomicBool,
    stopped: Notify,
    /// Claimed deliveries not yet recorded.
    in_flight: watch::Sender<usize>,
    /// Rows claimed and not yet recorded: twice the send concurrency, so that the next batch is
    /// claimed while the current one is being sent.
    claim_slots: Arc<Semaphore>,
    /// Requests being sent.
    send_permits: Arc<Semaphore>,
    host_permits: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Parsed keys by artist id, and payloads by activity id: both are read for every request.
    signers: Mutex<HashMap<Option<i64>, Signer>>,
    payloads: Mutex<HashMap<i64, ArtistPayload>>,
    metrics: Metrics,
    started: AtomicBool,
}

impl Delivery {
    pub fn new(
        db: Db,
        urls: Urls,
        client: reqwest::Client,
        limits: Limits,
        allow_private_network: bool,
        federation_mode: FederationMode,
    ) -> Self {
        let (in_flight, _) = watch::channel(0);
        let policies = crate::domain::moderation::Policies::new(limits.document_cache_ttl);
        Delivery {
            inner: Arc::new(Inner {
                claim_slots: Arc::new(Semaphore::new(2 * limits.delivery_concurrency.max(1))),
                send_permits: Arc::new(Semaphore::new(limits.delivery_concurrency.max(1))),
                db,
                urls,
                client,
                limits,
                allow_private_network,
                federation_mode,
                policies,
                wake: Notify::new(),
                stopping: AtomicBool::new(false),
                stopped: Notify::new(),
                in_flight,
                host_permits: Mutex::new(HashMap::new()),
                signers: Mutex::new(HashMap::new()),
                payloads: Mutex::new(HashMap::new()),
                metrics: Metrics::new(),
                started: AtomicBool::new(false),
            }),
        }
    }

    /// Starts the claiming loop and the pruner in this process (once).
    pub fn start(&self) {
        if self.inner.started.swap(true, Ordering::SeqCst) {
            return;
        }
        tokio::spawn(worker::claim_loop(self.inner.clone()));
        tokio::spawn(worker::prune_loop(self.inner.clone()));
    }

    /// New deliveries were stored: look for work now rather than at the next poll.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Stops claiming, lets the attempts under way finish (each is bounded by the request
    /// timeout) and gives back claims not yet attempted.
    pub async fn shutdown(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.inner.stopped.notify_waiters();
        self.inner.wake.notify_one();
        let mut rx = self.inner.in_flight.subscribe();
        let limit = self.inner.limits.request_timeout * 2 + Duration::from_secs(1);
        let _ = tokio::time::timeout(limit, rx.wait_for(|n| *n == 0)).await;
    }

    /// Waits until every stored delivery is delivered or given up, retries included (tests and
    /// benchmarks).
    pub async fn wait_settled(&self) {
        loop {
            self.wait_idle().await;
            let pending = crate::db::deliveries::stats(&self.inner.db, crate::db::now())
                .await
                .map(|s| s.pending)
                .unwrap_or(0);
            if pending == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until nothing is in flight and no delivery is due now (tests and benchmarks).
    pub async fn wait_idle(&self) {
        let mut rx = self.inner.in_flight.subscribe();
        loop {
            let _ = rx.wait_for(|n| *n == 0).await;
            let due = crate::db::deliveries::stats(&self.inner.db, crate::db::now())
                .await
                .map(|s| s.due + s.claimed)
                .unwrap_or(0);
            if due == 0 && *rx.borrow() == 0 {
                return;
            }
            self.wake();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
