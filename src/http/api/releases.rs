//! Releases: create (draft, scheduled or published at once), list, read, replace, publish,
//! delete.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{auth::ApiArtist, json::ApiJson};
use crate::{
    db::{
        self,
        artists::Artist,
        interactions::{Counts, ObjectKey},
        releases::{ReleaseRow, TrackRow},
    },
    domain::{
        self,
        releases::{LinkKind, Publication, ReleaseInput, ReleaseKind, ReleaseLink, TrackInput},
    },
    http::error::{AppError, ErrorBody},
    AppState,
};

/// A release as written by the artist.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    /// 1-200 characters.
    title: String,
    /// album, ep, single, compilation, live, mixtape or other.
    #[schema(example = "album")]
    kind: String,
    /// The release date, `YYYY-MM-DD`.
    release_date: Option<NaiveDate>,
    /// Markdown.
    #[serde(default)]
    description: String,
    /// Id of an image uploaded through `/api/v1/media`.
    cover_media_id: Option<String>,
    #[serde(default)]
    tracks: Vec<TrackBody>,
    #[serde(default)]
    links: Vec<LinkBody>,
    /// Hashtags, with or without `#`.
    #[serde(default)]
    hashtags: Vec<String>,
    #[serde(default)]
    license: String,
    #[serde(default)]
    credits: String,
    /// Keep it private until published.
    #[serde(default)]
    draft: bool,
    /// Publish automatically at this time (UTC); ignored for drafts and published releases.
    publish_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackBody {
    title: String,
    /// Length in seconds; taken from the preview when left out.
    duration_secs: Option<u32>,
    /// Id of an audio file uploaded through `/api/v1/media`.
    preview_media_id: Option<String>,
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// buy, stream or download.
    kind: String,
    /// e.g. "Bandcamp".
    label: String,
    url: String,
    /// Money goes to the artist through this link (FEP-0ea0).
    #[serde(default)]
    payment: bool,
}

/// A release as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct ReleaseView {
    id: i64,
    /// The ActivityPub id, which is also the public page.
    url: String,
    title: String,
    kind: String,
    release_date: Option<NaiveDate>,
    description: String,
    description_html: String,
    cover_media_id: Option<String>,
    tracks: Vec<TrackBody>,
    links: Vec<LinkBody>,
    hashtags: Vec<String>,
    license: String,
    credits: String,
    /// draft, scheduled or published.
    state: String,
    publish_at: Option<DateTime<Utc>>,
    published_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    /// How fans passed it along and answered.
    counts: Counts,
}

fn parse_kind<T: for<'de> Deserialize<'de>>(value: &str, what: &str) -> Result<T, AppError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| AppError::Unprocessable(format!("unknown {what} {value:?}")))
}

impl ReleaseBody {
    fn into_input(self) -> Result<(ReleaseInput, Publication), AppError> {
        let kind: ReleaseKind = parse_kind(&self.kind, "release kind")?;
        let mut links = Vec::with_capacity(self.links.len());
        for l in self.links {
            let kind: LinkKind = parse_kind(&l.kind, "link kind")?;
            links.push(ReleaseLink {
                kind,
                label: l.label,
                url: l.url,
                payment: l.payment,
            });
        }
        let publication = match (self.draft, self.publish_at) {
            (true, _) => Publication::Draft,
            (false, Some(at)) => Publication::At(at.naive_utc()),
            (false, None) => Publication::Now,
        };
        let input = ReleaseInput {
            title: self.title,
            kind,
            release_date: self.release_date,
            description: self.description,
            cover_media_id: self.cover_media_id,
            tracks: self
                .tracks
                .into_iter()
                .map(|t| TrackInput {
                    title: t.title,
                    duration_secs: t.duration_secs,
                    preview_media_id: t.preview_media_id,
                })
                .collect(),
            links,
            hashtags: self.hashtags,
            license: self.license,
            credits: self.credits,
        };
        Ok((input, publication))
    }
}

fn view(
    state: &AppState,
    artist: &Artist,
    release: ReleaseRow,
    tracks: Vec<TrackRow>,
    counts: Counts,
) -> ReleaseView {
    let links = domain::releases::links(&release)
        .into_iter()
        .map(|l| LinkBody {
            kind: serde_json::to_value(l.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            label: l.label,
            url: l.url,
            payment: l.payment,
        })
        .collect();
    ReleaseView {
        url: state.urls.release(&artist.username, release.id).to_string(),
        hashtags: domain::releases::hashtags(&release),
        id: release.id,
        title: release.title,
        kind: release.kind,
        release_date: release.release_date,
        description: release.description_source,
        description_html: release.description_html,
        cover_media_id: release.cover_media_id,
        tracks: tracks
            .into_iter()
            .map(|t| TrackBody {
                title: t.title,
                duration_secs: t.duration_secs.map(|d| d as u32),
                preview_media_id: t.preview_media_id,
            })
            .collect(),
        links,
        license: release.license,
        credits: release.credits,
        state: release.state,
        publish_at: release.publish_at.map(|t| t.and_utc()),
        published_at: release.published_at.map(|t| t.and_utc()),
        updated_at: release.updated_at.and_utc(),
        counts,
    }
}

/// Create a release: a draft, scheduled (`publish_at`), or published to followers at once.
#[utoipa::path(
    post, path = "/api/v1/releases", tag = "releases", request_body = ReleaseBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = ReleaseView),
        (status = 422, description = "Invalid release", body = ErrorBody),
    )
)]
pub async fn create_release(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    ApiJson(body): ApiJson<ReleaseBody>,
) -> Result<(StatusCode, Json<ReleaseView>), AppError> {
    let (input, publication) = body.into_input()?;
    let (release, tracks) = domain::releases::create(
        &state.db,
        state.publisher.as_ref(),
        &artist,
        input,
        publication,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, &artist, release, tracks, Counts::default())),
    ))
}

/// The artist's releases, drafts included, newest first.
#[utoipa::path(
    get, path = "/api/v1/releases", tag = "releases",
    security(("bearer" = [])),
    responses((status = 200, description = "Releases", body = [ReleaseView]))
)]
pub async fn list_releases(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
) -> Result<Json<Vec<ReleaseView>>, AppError> {
    let mut out = Vec::new();
    for release in db::releases::of_artist(&state.db, artist.id, false, 500).await? {
        let tracks = db::releases::tracks_of(&state.db, release.id).await?;
        let key = ObjectKey {
            artist_id: artist.id,
            kind: "release",
            id: release.id,
        };
        let counts = db::interactions::counts(&state.db, key).await?;
        out.push(view(&state, &artist, release, tracks, counts));
    }
    Ok(Json(out))
}

/// One of the artist's releases.
#[utoipa::path(
    get, path = "/api/v1/releases/{id}", tag = "releases",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Release id")),
    responses(
        (status = 200, description = "The release", body = ReleaseView),
        (status = 404, description = "No such release of this artist", body = ErrorBody),
        (status = 410, description = "Deleted", body = ErrorBody),
    )
)]
pub async fn get_release(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
) -> Result<Json<ReleaseView>, AppError> {
    let release = domain::releases::own(&state.db, &artist, id).await?;
    let tracks = db::releases::tracks_of(&state.db, release.id).await?;
    let key = ObjectKey {
        artist_id: artist.id,
        kind: "release",
        id: release.id,
    };
    let counts = db::interactions::counts(&state.db, key).await?;
    Ok(Json(view(&state, &artist, release, tracks, counts)))
}

/// Replace a release. Followers get an `Update` when it was published.
#[utoipa::path(
    put, path = "/api/v1/releases/{id}", tag = "releases", request_body = ReleaseBody,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Release id")),
    responses(
        (status = 200, description = "Updated", body = ReleaseView),
        (status = 404, description = "No such release of this artist", body = ErrorBody),
        (status = 422, description = "Invalid release", body = ErrorBody),
    )
)]
pub async fn update_release(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ReleaseBody>,
) -> Result<Json<ReleaseView>, AppError> {
    let (input, publication) = body.into_input()?;
    let (release, tracks) = domain::releases::update(
        &state.db,
        state.publisher.as_ref(),
        &artist,
        id,
        input,
        publication,
    )
    .await?;
    Ok(Json(view(
        &state,
        &artist,
        release,
        tracks,
        Counts::default(),
    )))
}

/// A new order of a release's tracks.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackOrder {
    /// The tracks' current positions (1-based) in their new order, e.g. `[2, 1, 3]`.
    order: Vec<usize>,
}

/// Reorder a release's tracks (nothing else changes). Followers get an `Update` when it was
/// published.
#[utoipa::path(
    post, path = "/api/v1/releases/{id}/tracks/order", tag = "releases", request_body = TrackOrder,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Release id")),
    responses(
        (status = 200, description = "Reordered", body = ReleaseView),
        (status = 404, description = "No such release of this artist", body = ErrorBody),
        (status = 422, description = "Not an order of the current tracks", body = ErrorBody),
    )
)]
pub async fn reorder_tracks(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TrackOrder>,
) -> Result<Json<ReleaseView>, AppError> {
    let (release, tracks) = domain::releases::reorder_tracks(
        &state.db,
        state.publisher.as_ref(),
        &artist,
        id,
        &body.order,
    )
    .await?;
    Ok(Json(view(
        &state,
        &artist,
        release,
        tracks,
        Counts::default(),
    )))
}

/// Publish a draft or scheduled release now.
#[utoipa::path(
    post, path = "/api/v1/releases/{id}/publish", tag = "releases",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Release id")),
    responses(
        (status = 200, description = "Published", body = ReleaseView),
        (status = 409, description = "Published already", body = ErrorBody),
    )
)]
pub async fn publish_release(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
) -> Result<Json<ReleaseView>, AppError> {
    let release =
        domain::releases::publish_now(&state.db, state.publisher.as_ref(), &artist, id).await?;
    let tracks = db::releases::tracks_of(&state.db, release.id).await?;
    Ok(Json(view(
        &state,
        &artist,
        release,
        tracks,
        Counts::default(),
    )))
}

/// Delete a release; followers get a `Delete` when it was published.
#[utoipa::path(
    delete, path = "/api/v1/releases/{id}", tag = "releases",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Release id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such release of this artist", body = ErrorBody),
        (status = 410, description = "Deleted already", body = ErrorBody),
    )
)]
pub async fn delete_release(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    domain::releases::delete(&state.db, state.publisher.as_ref(), &artist, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
