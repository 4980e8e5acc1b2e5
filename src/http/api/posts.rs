//! Posts: create, read, delete.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{auth::ApiArtist, json::ApiJson};
use crate::{
    db::{
        self,
        artists::Artist,
        interactions::{Counts, ObjectKey},
        posts::PostRow,
    },
    domain::{self, posts::Visibility},
    http::error::{AppError, ErrorBody},
    AppState,
};

/// A new post.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPost {
    /// The text, in Markdown (at most 5000 characters).
    content: String,
    /// Who may see it; `public` when left out.
    #[serde(default = "default_visibility")]
    visibility: Visibility,
}

fn default_visibility() -> Visibility {
    Visibility::Public
}

/// A post as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct PostView {
    id: i64,
    /// The ActivityPub id, which is also the public page.
    url: String,
    /// The Markdown the artist wrote.
    content: String,
    /// The sanitised HTML federated to followers.
    content_html: String,
    visibility: Visibility,
    published_at: chrono::DateTime<chrono::Utc>,
    /// How fans passed it along and answered.
    counts: Counts,
}

impl PostView {
    fn new(state: &AppState, artist: &Artist, post: PostRow) -> PostView {
        PostView {
            url: state.urls.post(&artist.username, post.id).to_string(),
            id: post.id,
            content: post.content_source,
            content_html: post.content_html,
            visibility: Visibility::parse(&post.visibility).unwrap_or(Visibility::Followers),
            published_at: post.published_at.and_utc(),
            counts: Counts::default(),
        }
    }
}

/// Publish a post to the artist's followers.
#[utoipa::path(
    post, path = "/api/v1/posts", tag = "posts", request_body = NewPost,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created and sent to followers", body = PostView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 422, description = "Invalid content", body = ErrorBody),
    )
)]
pub async fn create_post(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    ApiJson(body): ApiJson<NewPost>,
) -> Result<(StatusCode, axum::Json<PostView>), AppError> {
    let post = domain::posts::create(
        &state.db,
        state.publisher.as_ref(),
        &artist,
        &body.content,
        body.visibility,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(PostView::new(&state, &artist, post)),
    ))
}

/// One of the artist's posts.
#[utoipa::path(
    get, path = "/api/v1/posts/{id}", tag = "posts",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Post id")),
    responses(
        (status = 200, description = "The post", body = PostView),
        (status = 404, description = "No such post of this artist", body = ErrorBody),
        (status = 410, description = "The post was deleted", body = ErrorBody),
    )
)]
pub async fn get_post(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
) -> Result<axum::Json<PostView>, AppError> {
    let post = db::posts::by_id(&state.db, id)
        .await?
        .filter(|p| p.artist_id == artist.id)
        .ok_or_else(|| AppError::not_found("post"))?;
    if post.deleted_at.is_some() {
        return Err(AppError::Gone("post was deleted".to_owned()));
    }
    let key = ObjectKey {
        artist_id: artist.id,
        kind: "post",
        id: post.id,
    };
    let counts = db::interactions::counts(&state.db, key).await?;
    Ok(axum::Json(PostView {
        counts,
        ..PostView::new(&state, &artist, post)
    }))
}

/// Delete a post; followers' servers receive a `Delete`.
#[utoipa::path(
    delete, path = "/api/v1/posts/{id}", tag = "posts",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Post id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such post of this artist", body = ErrorBody),
        (status = 410, description = "Already deleted", body = ErrorBody),
    )
)]
pub async fn delete_post(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    domain::posts::delete(&state.db, state.publisher.as_ref(), &artist, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
