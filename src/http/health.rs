//! `/health/live` and `/health/ready` for load balancers, container health checks and
//! orchestrators. Neither needs authentication, and neither is rate limited.
//!
//! *Live* answers whenever the process serves HTTP at all: restart it if this fails. *Ready*
//! also checks that the database answers and that its schema is exactly the one this binary
//! embeds: send it traffic only then.

use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use serde_json::json;

use crate::AppState;

/// The process is up and serving HTTP.
pub async fn live() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// The database is reachable and every embedded migration is applied (and no unknown one).
/// 503 with a reason otherwise; the reason names no credentials.
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.schema_status().await {
        Ok(s) if s.pending.is_empty() && s.unknown.is_empty() => (
            StatusCode::OK,
            Json(json!({"status": "ok", "database": state.db.backend_name()})),
        ),
        Ok(s) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "unavailable",
                "reason": "database schema does not match this binary",
                "pending_migrations": s.pending,
                "unknown_migrations": s.unknown,
            })),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "reason": "database unreachable"})),
            )
        }
    }
}
