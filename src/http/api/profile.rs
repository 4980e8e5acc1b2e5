//! The artist's own profile: name, bio, links and follower settings.

use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{auth::ApiArtist, json::ApiJson};
use crate::{
    db::{self, artists::Artist},
    domain::{self, artists::ProfileLink},
    http::error::{AppError, ErrorBody},
    AppState,
};

/// The profile as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct ProfileView {
    username: String,
    display_name: String,
    /// The bio as sanitised HTML.
    summary: String,
    links: Vec<ProfileLink>,
    /// The ActivityPub actor id.
    actor: String,
    /// `username@domain`, what fans search for.
    handle: String,
    manually_approves_followers: bool,
    discoverable: bool,
    followers: i64,
    /// The avatar's URL, when one is set.
    avatar_url: Option<String>,
    /// The header image's URL, when one is set.
    header_url: Option<String>,
}

/// Settings to change; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdateBody {
    /// 1-100 characters.
    display_name: Option<String>,
    /// The bio, in Markdown (at most 2000 characters).
    summary: Option<String>,
    /// Up to 4 links, shown as profile fields on Mastodon.
    links: Option<Vec<ProfileLink>>,
    /// When true, new followers wait for approval.
    manually_approves_followers: Option<bool>,
    /// When false, fediverse servers are asked not to suggest or index the artist.
    discoverable: Option<bool>,
    /// Id of an image uploaded through `/api/v1/media` to show as avatar; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    avatar_media_id: Option<Option<String>>,
    /// Id of an uploaded image to show as the profile header; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    header_media_id: Option<Option<String>>,
}

/// Tells a field given as `null` (`Some(None)`) from one left out (`None`, by `default`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

async fn view(state: &AppState, artist: &Artist) -> Result<ProfileView, AppError> {
    Ok(ProfileView {
        actor: state.urls.actor(&artist.username).to_string(),
        handle: format!("{}@{}", artist.username, state.config.domain),
        followers: db::follows::count_accepted(&state.db, artist.id).await?,
        links: domain::artists::profile_links(artist),
        username: artist.username.clone(),
        display_name: artist.display_name.clone(),
        summary: artist.summary.clone(),
        manually_approves_followers: artist.manually_approves_followers,
        discoverable: artist.discoverable,
        avatar_url: artist
            .avatar_file
            .as_deref()
            .map(|f| state.urls.media(f).to_string()),
        header_url: artist
            .header_file
            .as_deref()
            .map(|f| state.urls.media(f).to_string()),
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

/// Change the profile; followers' servers receive an `Update` of the actor.
#[utoipa::path(
    patch, path = "/api/v1/profile", tag = "profile", request_body = ProfileUpdateBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated profile", body = ProfileView),
        (status = 422, description = "Invalid value", body = ErrorBody),
    )
)]
pub async fn update_profile(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    ApiJson(body): ApiJson<ProfileUpdateBody>,
) -> Result<Json<ProfileView>, AppError> {
    let update = domain::artists::ProfileUpdate {
        display_name: body.display_name,
        summary: body.summary,
        links: body.links,
        manually_approves_followers: body.manually_approves_followers,
        discoverable: body.discoverable,
        avatar_media_id: body.avatar_media_id,
        header_media_id: body.header_media_id,
    };
    let artist =
        domain::artists::update_profile(&state.db, state.publisher.as_ref(), &artist, update)
            .await?;
    Ok(Json(view(&state, &artist).await?))
}
