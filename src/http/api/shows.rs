//! Tour dates: create, list, read, replace, delete. Times are local to the show's time zone.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{auth::ApiArtist, json::ApiJson};
use crate::{
    db::{self, artists::Artist, shows::ShowRow},
    domain::{
        self,
        shows::{ShowInput, ShowStatus},
    },
    http::error::{AppError, ErrorBody},
    AppState,
};

/// A show as the artist writes it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowBody {
    /// Local start time at the venue, `YYYY-MM-DDTHH:MM:SS` without offset.
    #[schema(value_type = String, example = "2026-06-07T20:00:00")]
    starts_at: NaiveDateTime,
    #[schema(value_type = Option<String>)]
    ends_at: Option<NaiveDateTime>,
    #[schema(value_type = Option<String>)]
    doors_at: Option<NaiveDateTime>,
    /// IANA time zone of the venue.
    #[schema(example = "Europe/Berlin")]
    timezone: String,
    venue_name: String,
    #[serde(default)]
    street_address: String,
    #[serde(default)]
    postal_code: String,
    city: String,
    #[serde(default)]
    region: String,
    /// ISO 3166-1 alpha-2, e.g. DE.
    country: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    ticket_url: Option<String>,
    #[serde(default)]
    price_note: String,
    #[serde(default)]
    support_acts: Vec<String>,
    /// Id of an image uploaded through `/api/v1/media`.
    poster_media_id: Option<String>,
    /// scheduled (default), postponed, rescheduled, cancelled or soldout.
    status: Option<String>,
    /// Markdown.
    #[serde(default)]
    description: String,
}

/// A show as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct ShowView {
    id: i64,
    /// The ActivityPub id, which is also the public page.
    url: String,
    /// Start with the venue's UTC offset.
    starts_at: String,
    ends_at: Option<String>,
    doors_at: Option<String>,
    timezone: String,
    venue_name: String,
    street_address: String,
    postal_code: String,
    city: String,
    region: String,
    country: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    ticket_url: Option<String>,
    price_note: String,
    support_acts: Vec<String>,
    poster_media_id: Option<String>,
    status: String,
    description: String,
    /// Pinned to the profile (the actor's `featured` collection).
    pinned: bool,
    updated_at: DateTime<Utc>,
}

impl ShowBody {
    fn into_input(self) -> Result<ShowInput, AppError> {
        let status = match self.status.as_deref() {
            None => ShowStatus::Scheduled,
            Some(s) => ShowStatus::parse(s)
                .ok_or_else(|| AppError::Unprocessable(format!("unknown show status {s:?}")))?,
        };
        Ok(ShowInput {
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            doors_at: self.doors_at,
            timezone: self.timezone,
            venue_name: self.venue_name,
            street_address: self.street_address,
            postal_code: self.postal_code,
            city: self.city,
            region: self.region,
            country: self.country,
            latitude: self.latitude,
            longitude: self.longitude,
            ticket_url: self.ticket_url,
            price_note: self.price_note,
            support_acts: self.support_acts,
            poster_media_id: self.poster_media_id,
            status,
            description: self.description,
        })
    }
}

fn view(state: &AppState, artist: &Artist, show: ShowRow) -> ShowView {
    let tz = domain::shows::tz(&show);
    let local = |t: NaiveDateTime| t.and_utc().with_timezone(&tz).to_rfc3339();
    ShowView {
        url: state.urls.show(&artist.username, show.id).to_string(),
        support_acts: domain::shows::support_acts(&show),
        id: show.id,
        starts_at: local(show.starts_at),
        ends_at: show.ends_at.map(local),
        doors_at: show.doors_at.map(local),
        timezone: show.timezone,
        venue_name: show.venue_name,
        street_address: show.street_address,
        postal_code: show.postal_code,
        city: show.city,
        region: show.region,
        country: show.country,
        latitude: show.latitude,
        longitude: show.longitude,
        ticket_url: show.ticket_url,
        price_note: show.price_note,
        poster_media_id: show.poster_media_id,
        status: show.status,
        description: show.description_source,
        pinned: show.pinned_at.is_some(),
        updated_at: show.updated_at.and_utc(),
    }
}

/// Announce a show to followers (`Create{Event}`).
#[utoipa::path(
    post, path = "/api/v1/shows", tag = "shows", request_body = ShowBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Announced", body = ShowView),
        (status = 422, description = "Invalid show", body = ErrorBody),
    )
)]
pub async fn create_show(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    ApiJson(body): ApiJson<ShowBody>,
) -> Result<(StatusCode, Json<ShowView>), AppError> {
    let show = domain::shows::create(
        &state.db,
        state.publisher.as_ref(),
        &artist,
        body.into_input()?,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(&state, &artist, show))))
}

/// The artist's shows, soonest first.
#[utoipa::path(
    get, path = "/api/v1/shows", tag = "shows",
    security(("bearer" = [])),
    responses((status = 200, description = "Shows", body = [ShowView]))
)]
pub async fn list_shows(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
) -> Result<Json<Vec<ShowView>>, AppError> {
    let shows = db::shows::of_artist(&state.db, artist.id, None, 1000).await?;
    Ok(Json(
        shows
            .into_iter()
            .map(|s| view(&state, &artist, s))
            .collect(),
    ))
}

/// One of the artist's shows.
#[utoipa::path(
    get, path = "/api/v1/shows/{id}", tag = "shows",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Show id")),
    responses((status = 200, description = "The show", body = ShowView), (status = 404, description = "No such show", body = ErrorBody))
)]
pub async fn get_show(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
) -> Result<Json<ShowView>, AppError> {
    let show = domain::shows::own(&state.db, &artist, id).await?;
    Ok(Json(view(&state, &artist, show)))
}

/// Replace a show (new time, venue, status…); followers get an `Update` saying what changed.
#[utoipa::path(
    put, path = "/api/v1/shows/{id}", tag = "shows", request_body = ShowBody,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Show id")),
    responses((status = 200, description = "Updated", body = ShowView), (status = 422, description = "Invalid show", body = ErrorBody))
)]
pub async fn update_show(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ShowBody>,
) -> Result<Json<ShowView>, AppError> {
    let show = domain::shows::update(
        &state.db,
        state.publisher.as_ref(),
        &artist,
        id,
        body.into_input()?,
    )
    .await?;
    Ok(Json(view(&state, &artist, show)))
}

/// Delete a show; followers get a `Delete`.
#[utoipa::path(
    delete, path = "/api/v1/shows/{id}", tag = "shows",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Show id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such show", body = ErrorBody))
)]
pub async fn delete_show(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    domain::shows::delete(&state.db, state.publisher.as_ref(), &artist, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pin a show to the profile; followers' servers get an `Add` to `featured` (at most five).
#[utoipa::path(
    post, path = "/api/v1/shows/{id}/pin", tag = "shows",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Show id")),
    responses(
        (status = 200, description = "Pinned", body = ShowView),
        (status = 404, description = "No such show", body = ErrorBody),
        (status = 409, description = "Five shows are pinned already", body = ErrorBody),
    )
)]
pub async fn pin_show(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
) -> Result<Json<ShowView>, AppError> {
    let show =
        domain::shows::set_pinned(&state.db, state.publisher.as_ref(), &artist, id, true).await?;
    Ok(Json(view(&state, &artist, show)))
}

/// Unpin a show; followers' servers get a `Remove` from `featured`.
#[utoipa::path(
    post, path = "/api/v1/shows/{id}/unpin", tag = "shows",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Show id")),
    responses(
        (status = 200, description = "Unpinned", body = ShowView),
        (status = 404, description = "No such show", body = ErrorBody),
    )
)]
pub async fn unpin_show(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<i64>,
) -> Result<Json<ShowView>, AppError> {
    let show =
        domain::shows::set_pinned(&state.db, state.publisher.as_ref(), &artist, id, false).await?;
    Ok(Json(view(&state, &artist, show)))
}

/// How many fans want alerts near a place: counts only, never who.
#[derive(Serialize, ToSchema)]
pub struct PlaceCount {
    place: String,
    subscribers: i64,
}

/// Fans' show alerts per place (the artist sees counts, not fans).
#[utoipa::path(
    get, path = "/api/v1/alerts", tag = "shows",
    security(("bearer" = [])),
    responses((status = 200, description = "Subscribers per place", body = [PlaceCount]))
)]
pub async fn alert_counts(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
) -> Result<Json<Vec<PlaceCount>>, AppError> {
    let counts = db::alerts::counts_per_place(&state.db, artist.id).await?;
    Ok(Json(
        counts
            .into_iter()
            .map(|(place, subscribers)| PlaceCount { place, subscribers })
            .collect(),
    ))
}
