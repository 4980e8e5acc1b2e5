//! The artist's own profile settings.

use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{auth::ApiArtist, json::ApiJson};
use crate::{db, db::artists::Artist, http::error::AppError, AppState};

/// The profile as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct ProfileView {
    username: String,
    display_name: String,
    /// The ActivityPub actor id.
    actor: String,
    /// `username@domain`, what fans search for.
    handle: String,
    manually_approves_followers: bool,
    followers: i64,
}

/// Settings to change; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    /// When true, new followers wait for approval.
    manually_approves_followers: Option<bool>,
}

async fn view(state: &AppState, artist: &Artist) -> Result<ProfileView, AppError> {
    Ok(ProfileView {
        actor: state.urls.actor(&artist.username).to_string(),
        handle: format!("{}@{}", artist.username, state.config.domain),
        followers: db::follows::count_accepted(&state.db, artist.id).await?,
        username: artist.username.clone(),
        display_name: artist.display_name.clone(),
        manually_approves_followers: artist.manually_approves_followers,
    })
}

/// The artist this token acts as.
#[utoipa::path(
    get, path = "/api/v1/profile", tag = "profile",
    security(("bearer" = [])),
    responses((status = 200, description = "The profile", body = ProfileView))
)]
pub async fn get_profile(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
) -> Result<Json<ProfileView>, AppError> {
    Ok(Json(view(&state, &artist).await?))
}

/// Change profile settings.
#[utoipa::path(
    patch, path = "/api/v1/profile", tag = "profile", request_body = ProfileUpdate,
    security(("bearer" = [])),
    responses((status = 200, description = "The updated profile", body = ProfileView))
)]
pub async fn update_profile(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    ApiJson(update): ApiJson<ProfileUpdate>,
) -> Result<Json<ProfileView>, AppError> {
    if let Some(v) = update.manually_approves_followers {
        db::artists::set_manually_approves_followers(&state.db, artist.id, v).await?;
    }
    let artist = db::artists::by_id(&state.db, artist.id)
        .await?
        .ok_or_else(|| AppError::not_found("artist"))?;
    Ok(Json(view(&state, &artist).await?))
}
