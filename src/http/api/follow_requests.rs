//! Pending follow requests, for artists who approve followers by hand.

use axum::{
    extract::{Path, State},
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::ApiArtist;
use crate::{
    db, domain,
    http::error::{AppError, ErrorBody},
    AppState,
};

/// A fan waiting for approval.
#[derive(Serialize, ToSchema)]
pub struct FollowRequestView {
    /// Id to authorize or reject.
    id: i64,
    /// The fan's actor id.
    actor: String,
    /// `user@server`.
    handle: String,
    display_name: Option<String>,
    requested_at: chrono::DateTime<chrono::Utc>,
}

/// Pending follow requests, oldest first.
#[utoipa::path(
    get, path = "/api/v1/follow_requests", tag = "followers",
    security(("bearer" = [])),
    responses((status = 200, description = "Pending requests", body = [FollowRequestView]))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
) -> Result<Json<Vec<FollowRequestView>>, AppError> {
    let pending = db::follows::pending(&state.db, artist.id).await?;
    Ok(Json(
        pending
            .into_iter()
            .map(|(follow, actor)| FollowRequestView {
                id: follow.id,
                handle: actor.handle(),
                actor: actor.ap_id,
                display_name: actor.display_name,
                requested_at: follow.created_at.and_utc(),
            })
            .collect(),
    ))
}

/// Approve a request: the fan's server receives an `Accept`.
#[utoipa::path(
    post, path = "/api/v1/follow_requests/{id}/authorize", tag = "followers",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Follow request id")),
    responses(
        (status = 200, description = "Approved"),
        (status = 404, description = "No such pending request", body = ErrorBody),
    )
)]
pub async fn authorize(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, AppError> {
    domain::follows::approve(&state.db, state.publisher.as_ref(), &artist, id).await?;
    Ok(Json(serde_json::json!({})))
}

/// Reject a request: the fan's server receives a `Reject`.
#[utoipa::path(
    post, path = "/api/v1/follow_requests/{id}/reject", tag = "followers",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Follow request id")),
    responses(
        (status = 200, description = "Rejected"),
        (status = 404, description = "No such pending request", body = ErrorBody),
    )
)]
pub async fn reject(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, AppError> {
    domain::follows::reject(&state.db, state.publisher.as_ref(), &artist, id).await?;
    Ok(Json(serde_json::json!({})))
}
