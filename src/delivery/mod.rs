//! Sending signed activities to remote inboxes.
//!
//! This first engine keeps its queue in memory: each (activity, inbox) pair is a task that
//! signs, POSTs and retries with backoff a bounded number of times. A restart loses what is in
//! flight; the persistent queue replaces this module behind the same `enqueue` interface.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use axum::http::Method;
use tokio::sync::{watch, Semaphore};
use url::Url;

use crate::config::Limits;
use crate::federation::{client::check_destination, keys::SigningKey, signatures};

/// Who signs a delivery.
#[derive(Clone, Debug)]
pub struct Signer {
    pub key_id: Url,
    pub key: Arc<SigningKey>,
}

/// The in-memory delivery engine. Cheap to clone.
#[derive(Clone)]
pub struct Delivery {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    limits: Limits,
    allow_private_network: bool,
    permits: Semaphore,
    in_flight: watch::Sender<usize>,
}

/// How one attempt ended.
enum Attempt {
    Delivered,
    /// Worth trying again later (network error, 5xx, 401, 408, 429).
    Retry(String),
    /// Trying again cannot help (other 4xx, refused destination).
    Final(String),
}

impl Delivery {
    pub fn new(client: reqwest::Client, limits: Limits, allow_private_network: bool) -> Self {
        let (in_flight, _) = watch::channel(0);
        Delivery {
            inner: Arc::new(Inner {
                client,
                permits: Semaphore::new(limits.delivery_concurrency.max(1)),
                limits,
                allow_private_network,
                in_flight,
            }),
        }
    }

    /// Queues one activity (its exact JSON bytes) for each inbox.
    pub fn enqueue(&self, signer: Signer, body: Arc<[u8]>, inboxes: Vec<Url>) {
        for inbox in inboxes {
            self.inner.in_flight.send_modify(|n| *n += 1);
            let inner = self.inner.clone();
            let signer = signer.clone();
            let body = body.clone();
            tokio::spawn(async move {
                inner.deliver_with_retries(&signer, &body, &inbox).await;
                inner.in_flight.send_modify(|n| *n -= 1);
            });
        }
    }

    /// Waits until nothing is queued or in flight.
    pub async fn wait_idle(&self) {
        let mut rx = self.inner.in_flight.subscribe();
        // The sender lives as long as `self`, so this cannot fail.
        let _ = rx.wait_for(|n| *n == 0).await;
    }
}

impl Inner {
    async fn deliver_with_retries(&self, signer: &Signer, body: &[u8], inbox: &Url) {
        let attempts = self.limits.delivery_attempts.max(1);
        for attempt in 1..=attempts {
            let outcome = {
                let _permit = self.permits.acquire().await;
                self.attempt(signer, body, inbox).await
            };
            match outcome {
                Attempt::Delivered => {
                    tracing::debug!(%inbox, "delivered");
                    return;
                }
                Attempt::Final(reason) => {
                    tracing::warn!(%inbox, %reason, "delivery failed, not retrying");
                    return;
                }
                Attempt::Retry(reason) if attempt < attempts => {
                    let delay = backoff(self.limits.delivery_retry_base, attempt);
                    tracing::info!(%inbox, %reason, attempt, ?delay, "delivery failed, will retry");
                    tokio::time::sleep(delay).await;
                }
                Attempt::Retry(reason) => {
                    tracing::warn!(%inbox, %reason, attempts, "delivery failed, giving up");
                }
            }
        }
    }

    async fn attempt(&self, signer: &Signer, body: &[u8], inbox: &Url) -> Attempt {
        if let Err(reason) = check_destination(inbox, self.allow_private_network) {
            return Attempt::Final(reason);
        }
        let headers = match signatures::sign_request(
            &signer.key,
            signer.key_id.as_str(),
            &Method::POST,
            inbox,
            Some(body),
            SystemTime::now(),
        ) {
            Ok(h) => h,
            Err(e) => return Attempt::Final(e.to_string()),
        };
        let mut request = self
            .client
            .post(inbox.clone())
            .header("content-type", crate::federation::ACTIVITY_JSON)
            .timeout(self.limits.request_timeout)
            .body(body.to_vec());
        for (name, value) in headers {
            // reqwest sets Host from the URL; the signed value is the same by construction.
            if name != "host" {
                request = request.header(name, value);
            }
        }
        match request.send().await {
            Ok(response) => classify(response.status().as_u16()),
            Err(e) => Attempt::Retry(e.to_string()),
        }
    }
}

fn classify(status: u16) -> Attempt {
    match status {
        200..=299 => Attempt::Delivered,
        401 | 408 | 429 => Attempt::Retry(format!("HTTP {status}")),
        400..=499 => Attempt::Final(format!("HTTP {status}")),
        _ => Attempt::Retry(format!("HTTP {status}")),
    }
}

/// How long to wait before attempt `n + 1` (for documentation and tests).
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    base * 4u32.pow(attempt.saturating_sub(1))
}
