//! The claiming loop, one task per claimed delivery, the batched outcome recorder, and the pruner.

use std::{
    sync::{atomic::Ordering, Arc},
    time::{Duration, Instant},
};

use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::{
    metrics::{reason_label, ReasonLabel},
    schedule::retry_delay,
    send::{self, Attempt},
    Inner, Signer,
};
use crate::{
    db::{
        self,
        deliveries::{ClaimedDelivery, Outcome},
    },
    federation::keys::SigningKey,
};

/// Outcomes are written in batches of at most this many rows.
const RECORD_BATCH: usize = 512;
/// How long the claiming loop waits for more free permits before claiming fewer rows.
const CLAIM_GATHER: Duration = Duration::from_millis(3);
/// Payloads kept parsed in memory (one per recent activity).
const PAYLOAD_CACHE: usize = 256;

pub(super) async fn claim_loop(inner: Arc<Inner>) {
    let (record_tx, record_rx) = mpsc::unbounded_channel();
    tokio::spawn(record_loop(inner.clone(), record_rx));
    while !inner.stopping.load(Ordering::SeqCst) {
        let first = tokio::select! {
            permit = inner.claim_slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = inner.stopped.notified() => break,
        };
        // Claim in batches, not a row at a time as single slots come free: wait a moment for a
        // quarter of the concurrency before going to the database.
        let mut permits = vec![first];
        let batch = (inner.limits.delivery_concurrency / 4).max(1);
        let gather_until = Instant::now() + CLAIM_GATHER;
        loop {
            while let Ok(p) = inner.claim_slots.clone().try_acquire_owned() {
                permits.push(p);
            }
            if permits.len() >= batch || Instant::now() >= gather_until {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let now = db::now();
        let lease = chrono::Duration::from_std(inner.limits.delivery_lease)
            .unwrap_or(chrono::Duration::minutes(5));
        let claimed =
            match db::deliveries::claim(&inner.db, permits.len() as i64, now, now + lease).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(error = %e, "cannot claim deliveries");
                    Vec::new()
                }
            };
        if claimed.is_empty() {
            drop(permits);
            tokio::select! {
                _ = inner.wake.notified() => {},
                _ = tokio::time::sleep(inner.limits.delivery_poll_interval) => {},
                _ = inner.stopped.notified() => break,
            }
            continue;
        }
        inner.in_flight.send_modify(|n| *n += claimed.len());
        for (row, permit) in claimed.into_iter().zip(permits) {
            tokio::spawn(deliver(inner.clone(), row, permit, record_tx.clone()));
        }
    }
    tracing::info!("delivery worker stopped claiming");
}

async fn deliver(
    inner: Arc<Inner>,
    row: ClaimedDelivery,
    _permit: OwnedSemaphorePermit,
    record: mpsc::UnboundedSender<(i64, String, Outcome)>,
) {
    let started = Instant::now();
    // The host's permit first, then a sending slot, so rows waiting for a busy host do not hold
    // up rows for other hosts.
    let host_permit = host_semaphore(&inner, &row.host).acquire_owned().await;
    let send_permit = inner.send_permits.clone().acquire_owned().await;
    let outcome =
        if inner.stopping.load(Ordering::SeqCst) || host_permit.is_err() || send_permit.is_err() {
            Outcome::Released
        } else {
            let outcome = attempt(&inner, &row).await;
            inner
                .metrics
                .latency
                .observe(started.elapsed().as_secs_f64());
            outcome
        };
    // The recorder decrements the in-flight count once the outcome is stored.
    if record.send((row.id, row.host, outcome)).is_err() {
        inner.in_flight.send_modify(|n| *n -= 1);
    }
}

async fn attempt(inner: &Inner, row: &ClaimedDelivery) -> Outcome {
    // A block made after the row was queued still stops it: nothing reaches a refused host.
    match inner
        .policies
        .host_policy(&inner.db, inner.federation_mode, &row.host)
        .await
    {
        Ok(policy) if policy.refused => {
            tracing::info!(host = %row.host, "dropping a delivery to a blocked domain");
            return Outcome::Failed {
                status: None,
                error: "domain is blocked".to_owned(),
            };
        }
        Ok(_) => {}
        Err(e) => {
            return Outcome::Retry {
                at: db::now() + chrono::Duration::seconds(60),
                status: None,
                error: format!("cannot read domain blocks: {e}"),
            }
        }
    }
    let (signer, body) = match signer_and_body(inner, row.activity_id).await {
        Ok(pair) => pair,
        Err(error) => {
            inner
                .metrics
                .failed
                .get_or_create(&ReasonLabel {
                    reason: "unsendable".to_owned(),
                })
                .inc();
            return Outcome::Failed {
                status: None,
                error,
            };
        }
    };
    let result = send::attempt(
        &inner.client,
        &signer,
        &body,
        &row.inbox,
        inner.limits.request_timeout,
        inner.allow_private_network,
    )
    .await;
    match result {
        Attempt::Delivered { status } => {
            inner.metrics.delivered.inc();
            Outcome::Delivered {
                status: i32::from(status),
            }
        }
        Attempt::Retry {
            status,
            error,
            retry_after,
        } if row.attempts < inner.limits.delivery_max_attempts => {
            let reason = reason_label(status, &error);
            inner
                .metrics
                .retried
                .get_or_create(&ReasonLabel { reason })
                .inc();
            let wait = retry_delay(row.attempts, inner.limits.delivery_retry_unit)
                .max(retry_after.unwrap_or_default());
            let at =
                db::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::days(1));
            tracing::info!(inbox = %row.inbox, %error, attempt = row.attempts, ?wait, "delivery failed, will retry");
            Outcome::Retry {
                at,
                status: status.map(i32::from),
                error,
            }
        }
        Attempt::Retry { status, error, .. } | Attempt::Final { status, error } => {
            let reason = reason_label(status, &error);
            inner
                .metrics
                .failed
                .get_or_create(&ReasonLabel { reason })
                .inc();
            tracing::warn!(inbox = %row.inbox, %error, attempts = row.attempts, "delivery failed for good");
            Outcome::Failed {
                status: status.map(i32::from),
                error,
            }
        }
    }
}

fn host_semaphore(inner: &Inner, host: &str) -> Arc<Semaphore> {
    let mut hosts = inner.host_permits.lock().unwrap_or_else(|e| e.into_inner());
    // Forget idle hosts now and then so the map does not grow without bound.
    if hosts.len() > 10_000 {
        hosts.retain(|_, s| s.available_permits() < inner.limits.delivery_per_host);
    }
    hosts
        .entry(host.to_owned())
        .or_insert_with(|| Arc::new(Semaphore::new(inner.limits.delivery_per_host.max(1))))
        .clone()
}

async fn signer_and_body(inner: &Inner, activity_id: i64) -> Result<(Signer, Arc<[u8]>), String> {
    let cached = inner
        .payloads
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&activity_id)
        .cloned();
    let (artist_id, body) = match cached {
        Some(pair) => pair,
        None => {
            let (artist_id, payload) = db::deliveries::payload(&inner.db, activity_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("activity is gone")?;
            let body: Arc<[u8]> = payload.into_bytes().into();
            let mut cache = inner.payloads.lock().unwrap_or_else(|e| e.into_inner());
            if cache.len() >= PAYLOAD_CACHE {
                cache.clear();
            }
            cache.insert(activity_id, (artist_id, body.clone()));
            (artist_id, body)
        }
    };
    let signer = inner
        .signers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&artist_id)
        .cloned();
    let signer = match signer {
        Some(s) => s,
        None => {
            let (key_id, pem) = match artist_id {
                Some(artist_id) => {
                    let artist = db::artists::by_id(&inner.db, artist_id)
                        .await
                        .map_err(|e| e.to_string())?
                        .ok_or("artist is gone")?;
                    (inner.urls.key_id(&artist.username), artist.private_key_pem)
                }
                // The instance actor signs its own activities (a `Flag`).
                None => {
                    let (_, private_pem) = db::instance::keys(&inner.db)
                        .await
                        .map_err(|e| e.to_string())?
                        .ok_or("instance key is missing")?;
                    (inner.urls.instance_key_id(), private_pem)
                }
            };
            let key = SigningKey::from_pem(&pem).map_err(|e| e.to_string())?;
            let signer = Signer {
                key_id,
                key: Arc::new(key),
            };
            inner
                .signers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(artist_id, signer.clone());
            signer
        }
    };
    Ok((signer, body))
}

/// Writes outcomes in batches and keeps host health up to date.
async fn record_loop(inner: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<(i64, String, Outcome)>) {
    let mut batch = Vec::with_capacity(RECORD_BATCH);
    while rx.recv_many(&mut batch, RECORD_BATCH).await > 0 {
        let outcomes: Vec<(i64, Outcome)> =
            batch.iter().map(|(id, _, o)| (*id, o.clone())).collect();
        let mut stored = false;
        for wait in [0u64, 100, 500, 2000] {
            tokio::time::sleep(Duration::from_millis(wait)).await;
            match db::deliveries::record(&inner.db, &outcomes).await {
                Ok(()) => {
                    stored = true;
                    break;
                }
                Err(e) => tracing::error!(error = %e, "cannot record delivery outcomes"),
            }
        }
        if stored {
            update_hosts(&inner, &batch).await;
        }
        // Unrecorded rows keep their lease and are claimed again once it expires.
        let n = batch.len();
        inner.in_flight.send_modify(|count| *count -= n);
        batch.clear();
    }
}

async fn update_hosts(inner: &Inner, batch: &[(i64, String, Outcome)]) {
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let mut seen = std::collections::HashSet::new();
    for (_, host, outcome) in batch {
        let result = match outcome {
            Outcome::Delivered { .. } => {
                if !seen.insert((host.as_str(), true)) {
                    continue;
                }
                // Only hosts with recorded failures need a write.
                match db::hosts::get(&inner.db, host).await {
                    Ok(Some(row)) if row.failure_days > 0 => {
                        db::hosts::mark_available(&inner.db, host).await.map(|_| ())
                    }
                    Ok(_) => Ok(()),
                    Err(e) => Err(e),
                }
            }
            Outcome::Retry { error, status, .. } | Outcome::Failed { error, status } => {
                // A 4xx is the host answering: it is alive.
                if matches!(status, Some(400..=499)) || !seen.insert((host.as_str(), false)) {
                    continue;
                }
                db::hosts::record_failure(&inner.db, host, &today, error, inner.limits.host_unavailable_after_days)
                    .await
                    .map(|now_unavailable| {
                        if now_unavailable {
                            tracing::warn!(%host, "host marked unavailable after failures on several days");
                        }
                    })
            }
            Outcome::Released => Ok(()),
        };
        if let Err(e) = result {
            tracing::error!(error = %e, %host, "cannot record host health");
        }
    }
}

pub(super) async fn prune_loop(inner: Arc<Inner>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(inner.limits.prune_interval) => {},
            _ = inner.stopped.notified() => return,
        }
        if inner.stopping.load(Ordering::SeqCst) {
            return;
        }
        let now = db::now();
        let keep = chrono::Duration::from_std(inner.limits.delivery_keep_finished)
            .unwrap_or(chrono::Duration::days(7));
        let give_up = chrono::Duration::from_std(inner.limits.delivery_give_up_after)
            .unwrap_or(chrono::Duration::days(7));
        match db::deliveries::prune(&inner.db, now - keep, now - give_up).await {
            Ok((pruned, expired)) => tracing::info!(pruned, expired, "pruned the delivery queue"),
            Err(e) => tracing::error!(error = %e, "cannot prune the delivery queue"),
        }
    }
}
