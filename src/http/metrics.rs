//! `GET /metrics`: Prometheus text format. Counters come from this process; queue gauges are
//! read from the database at scrape time, so every process reports the whole queue.

use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};
use prometheus_client::{encoding::text::encode, metrics::gauge::Gauge, registry::Registry};

use super::error::AppError;
use crate::{db, AppState};

pub async fn metrics(State(state): State<AppState>) -> Result<Response, AppError> {
    let stats = db::deliveries::stats(&state.db, db::now()).await?;
    let mut registry = Registry::default();
    state.delivery.metrics().register(&mut registry);
    for (name, help, value) in [
        (
            "roadie_queue_pending",
            "Deliveries waiting, due now or later",
            stats.pending,
        ),
        (
            "roadie_queue_due",
            "Pending deliveries due now and not claimed",
            stats.due,
        ),
        (
            "roadie_queue_claimed",
            "Pending deliveries claimed by a worker",
            stats.claimed,
        ),
        (
            "roadie_queue_delivered",
            "Delivered deliveries not yet pruned",
            stats.delivered,
        ),
        (
            "roadie_queue_failed",
            "Failed deliveries not yet pruned",
            stats.failed,
        ),
        (
            "roadie_hosts_unavailable",
            "Remote hosts skipped after failing on several days",
            stats.unavailable_hosts,
        ),
    ] {
        let gauge = Gauge::<i64>::default();
        gauge.set(value);
        registry.register(name, help, gauge);
    }
    let mut body = String::new();
    encode(&mut body, &registry)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("metrics: {e}")))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        body,
    )
        .into_response())
}
