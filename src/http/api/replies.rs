//! Replies fans wrote under the artist's posts and releases: list, hide, remove, answer.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{auth::ApiArtist, json::ApiJson};
use crate::{
    db,
    domain::interactions::{self, ReplyModeration},
    http::error::{AppError, ErrorBody},
    AppState,
};

/// A fan's reply as the artist sees it.
#[derive(Serialize, ToSchema)]
pub struct ReplyView {
    id: i64,
    /// The reply's ActivityPub id.
    ap_id: String,
    /// `user@host` of its author.
    author: String,
    /// The author's actor id.
    author_actor: String,
    /// `post` or `release`.
    object_kind: String,
    object_id: i64,
    /// Sanitised HTML.
    content_html: String,
    hidden: bool,
    published_at: chrono::DateTime<chrono::Utc>,
}

/// Replies under the artist's posts and releases, newest first.
#[utoipa::path(
    get, path = "/api/v1/replies", tag = "replies",
    security(("bearer" = [])),
    responses((status = 200, description = "Replies", body = [ReplyView]))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
) -> Result<Json<Vec<ReplyView>>, AppError> {
    let rows = db::interactions::replies_for_artist(&state.db, artist.id, 500).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(r, a)| ReplyView {
                id: r.id,
                ap_id: r.ap_id,
                author: a.handle(),
                author_actor: a.ap_id,
                object_kind: r.object_kind,
                object_id: r.object_id,
                content_html: r.content_html,
                hidden: r.hidden,
                published_at: r.published_at.and_utc(),
            })
            .collect(),
    ))
}

async fn moderate(
    state: &AppState,
    artist: &crate::db::artists::Artist,
    id: i64,
    action: ReplyModeration,
) -> Result<StatusCode, AppError> {
    interactions::moderate_reply(&state.db, artist, id, action).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Hide a reply from Roadie's pages (it stays on the fan's server).
#[utoipa::path(
    post, path = "/api/v1/replies/{id}/hide", tag = "replies",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Reply id")),
    responses((status = 204, description = "Hidden"), (status = 404, description = "No such reply", body = ErrorBody))
)]
pub async fn hide(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    moderate(&state, &artist, id, ReplyModeration::Hide).await
}

/// Show a hidden reply again.
#[utoipa::path(
    post, path = "/api/v1/replies/{id}/unhide", tag = "replies",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Reply id")),
    responses((status = 204, description = "Shown"), (status = 404, description = "No such reply", body = ErrorBody))
)]
pub async fn unhide(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    moderate(&state, &artist, id, ReplyModeration::Unhide).await
}

/// Remove a reply from Roadie.
#[utoipa::path(
    delete, path = "/api/v1/replies/{id}", tag = "replies",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Reply id")),
    responses((status = 204, description = "Removed"), (status = 404, description = "No such reply", body = ErrorBody))
)]
pub async fn remove(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    moderate(&state, &artist, id, ReplyModeration::Remove).await
}

/// The artist's answer to a reply.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Markdown.
    content: String,
}

/// Answer a reply: a public post in the thread that mentions the fan, who is notified.
#[utoipa::path(
    post, path = "/api/v1/replies/{id}/answer", tag = "replies", request_body = Answer,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Reply id")),
    responses(
        (status = 201, description = "Answered; the body is the new post's URL"),
        (status = 404, description = "No such reply", body = ErrorBody),
    )
)]
pub async fn answer(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Answer>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let post = interactions::answer_reply(
        &state.db,
        state.publisher.as_ref(),
        &artist,
        id,
        &body.content,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            serde_json::json!({"id": post.id, "url": state.urls.post(&artist.username, post.id).to_string()}),
        ),
    ))
}
