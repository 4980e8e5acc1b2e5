//! oEmbed for release pages, so Mastodon (and others) build a player card: type `video` with an
//! iframe of the small embed player (Mastodon refuses `rich`).

use axum::{
    extract::{Query, State},
    Json,
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::error::AppError;
use crate::{db, AppState};

/// Size of the embedded player.
pub const EMBED_WIDTH: u32 = 400;
pub const EMBED_HEIGHT: u32 = 400;

#[derive(Deserialize)]
pub struct OembedQuery {
    url: String,
    format: Option<String>,
}

#[derive(Serialize)]
pub struct Oembed {
    #[serde(rename = "type")]
    kind: &'static str,
    version: &'static str,
    title: String,
    author_name: String,
    author_url: String,
    provider_name: String,
    provider_url: String,
    html: String,
    width: u32,
    height: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    thumbnail_url: Option<String>,
}

/// `GET /api/oembed?url=RELEASE_URL`
pub async fn oembed(
    State(state): State<AppState>,
    Query(q): Query<OembedQuery>,
) -> Result<Json<Oembed>, AppError> {
    if q.format.as_deref().is_some_and(|f| f != "json") {
        return Err(AppError::NotFound(
            "only the json format is offered".to_owned(),
        ));
    }
    let url =
        Url::parse(&q.url).map_err(|_| AppError::BadRequest("url is not a URL".to_owned()))?;
    if !state.urls.is_local(&url) {
        return Err(AppError::not_found("page"));
    }
    let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    let (username, id) = match segments.as_slice() {
        ["users", username, "releases", id] => (
            *username,
            id.parse::<i64>()
                .map_err(|_| AppError::not_found("release"))?,
        ),
        _ => return Err(AppError::not_found("release")),
    };
    let artist = db::artists::by_username(&state.db, username)
        .await?
        .ok_or_else(|| AppError::not_found("artist"))?;
    let release = db::releases::by_id(&state.db, id)
        .await?
        .filter(|r| r.artist_id == artist.id && r.state == "published" && r.deleted_at.is_none())
        .ok_or_else(|| AppError::not_found("release"))?;
    let embed = state.urls.release_embed(&artist.username, release.id);
    let thumbnail_url = match &release.cover_media_id {
        Some(id) => db::media::by_id(&state.db, id).await?.map(|m| {
            state
                .urls
                .media(m.thumbnail_file.as_deref().unwrap_or(&m.file_name))
                .to_string()
        }),
        None => None,
    };
    Ok(Json(Oembed {
        kind: "video",
        version: "1.0",
        title: release.title.clone(),
        author_name: artist.display_name.clone(),
        author_url: state.urls.profile(&artist.username).to_string(),
        provider_name: format!("Roadie ({})", state.config.domain),
        provider_url: state.urls.base().to_string(),
        html: format!(
            r#"<iframe src="{embed}" width="{EMBED_WIDTH}" height="{EMBED_HEIGHT}" frameborder="0" allow="autoplay" sandbox="allow-scripts allow-same-origin allow-popups"></iframe>"#
        ),
        width: EMBED_WIDTH,
        height: EMBED_HEIGHT,
        thumbnail_url,
    }))
}
