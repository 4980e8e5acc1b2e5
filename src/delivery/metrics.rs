//! Delivery counters and latency, exported in the Prometheus text format at `/metrics`.

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: String,
}

/// Counters of this process (the queue gauges are read from the database at scrape time).
pub struct Metrics {
    pub delivered: Counter,
    pub retried: Family<ReasonLabel, Counter>,
    pub failed: Family<ReasonLabel, Counter>,
    /// Seconds from claiming a delivery to its answer.
    pub latency: Histogram,
}

impl Metrics {
    pub fn new() -> Metrics {
        let buckets = [
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        ];
        Metrics {
            delivered: Counter::default(),
            retried: Family::default(),
            failed: Family::default(),
            latency: Histogram::new(buckets),
        }
    }

    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "roadie_deliveries_succeeded",
            "Deliveries accepted by the remote inbox",
            self.delivered.clone(),
        );
        registry.register(
            "roadie_deliveries_retried",
            "Delivery attempts that failed and will be retried, by reason",
            self.retried.clone(),
        );
        registry.register(
            "roadie_deliveries_failed",
            "Deliveries given up, by reason",
            self.failed.clone(),
        );
        registry.register(
            "roadie_delivery_latency_seconds",
            "Time from claim to the remote answer",
            self.latency.clone(),
        );
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// A short, bounded label for a failure reason (status code class or error kind).
pub fn reason_label(status: Option<u16>, error: &str) -> String {
    match status {
        Some(code) => format!("http_{code}"),
        None if error.contains("timed out") || error.contains("timeout") => "timeout".to_owned(),
        None if error.contains("refusing") => "refused_destination".to_owned(),
        None if error.contains("connect") => "connect".to_owned(),
        None => "other".to_owned(),
    }
}
