//! iCalendar (RFC 5545) feeds of upcoming shows: one per artist (`/@name/shows.ics`) and one for
//! the instance (`/shows.ics`), for fans' calendar apps.

use std::collections::HashMap;

use axum::{
    extract::{Path, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};

use super::error::AppError;
use crate::{
    db::{self, artists::Artist, shows::ShowRow},
    domain::shows::ShowStatus,
    AppState,
};

/// Shows per calendar.
const CALENDAR_SHOWS: i64 = 500;

/// When a show ends (UTC): its end time, or three hours after the start when none is given.
pub fn end_of(show: &ShowRow) -> chrono::NaiveDateTime {
    show.ends_at
        .unwrap_or(show.starts_at + chrono::Duration::hours(3))
}

/// A link that opens Google Calendar's "new event" screen filled in with the show, for fans
/// whose calendar lives there (everyone else takes the `.ics`).
pub fn google_calendar_link(
    title: &str,
    start: chrono::DateTime<chrono::Utc>,
    end: chrono::DateTime<chrono::Utc>,
    location: &str,
    details: &str,
) -> String {
    let mut url = url::Url::parse("https://calendar.google.com/calendar/render")
        .expect("a constant URL parses");
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    url.query_pairs_mut()
        .append_pair("action", "TEMPLATE")
        .append_pair("text", title)
        .append_pair("dates", &format!("{}/{}", stamp(start), stamp(end)))
        .append_pair("location", location)
        .append_pair("details", details);
    url.into()
}

/// The title of a show in calendars: "Band at Venue", with the status first when it matters.
pub fn title_of(artist: &Artist, show: &ShowRow) -> String {
    let status = ShowStatus::parse(&show.status).unwrap_or(ShowStatus::Scheduled);
    match status.headline() {
        Some(h) => format!("{h}: {} at {}", artist.display_name, show.venue_name),
        None => format!("{} at {}", artist.display_name, show.venue_name),
    }
}

/// The address of a show on one line.
pub fn location_of(show: &ShowRow) -> String {
    let mut location = vec![show.venue_name.clone()];
    for part in [
        &show.street_address,
        &show.postal_code,
        &show.city,
        &show.country,
    ] {
        if !part.is_empty() {
            location.push(part.clone());
        }
    }
    location.join(", ")
}

fn event(state: &AppState, artist: &Artist, show: &ShowRow) -> Event {
    let url = state.urls.show(&artist.username, show.id).to_string();
    let status = ShowStatus::parse(&show.status).unwrap_or(ShowStatus::Scheduled);
    let title = title_of(artist, show);
    let mut description = url.clone();
    if let Some(tickets) = &show.ticket_url {
        description.push_str(&format!("\nTickets: {tickets}"));
    }
    let end = end_of(show);
    let mut e = Event::new();
    e.uid(&url)
        .summary(&title)
        .description(&description)
        .location(&location_of(show))
        .url(&url)
        .starts(show.starts_at.and_utc())
        .ends(end.and_utc())
        .timestamp(show.updated_at.and_utc())
        .status(match status {
            ShowStatus::Cancelled => EventStatus::Cancelled,
            ShowStatus::Postponed => EventStatus::Tentative,
            _ => EventStatus::Confirmed,
        });
    if let (Some(lat), Some(lon)) = (show.latitude, show.longitude) {
        e.add_property("GEO", format!("{lat};{lon}"));
    }
    e.done()
}

fn respond(mut calendar: Calendar) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/calendar; charset=utf-8"),
        )],
        calendar.done().to_string(),
    )
        .into_response()
}

/// `GET /@{username}/shows.ics`
pub async fn artist_calendar(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<Response, AppError> {
    let username = handle.strip_prefix('@').unwrap_or(&handle);
    let artist = db::artists::by_username(&state.db, username)
        .await?
        .ok_or_else(|| AppError::not_found("artist"))?;
    let since = db::now() - chrono::Duration::days(1);
    let shows = db::shows::of_artist(&state.db, artist.id, Some(since), CALENDAR_SHOWS).await?;
    let mut calendar = Calendar::new();
    calendar.name(&format!("{} on tour", artist.display_name));
    for show in &shows {
        calendar.push(event(&state, &artist, show));
    }
    Ok(respond(calendar))
}

/// `GET /shows.ics`: upcoming shows of every artist here.
pub async fn instance_calendar(State(state): State<AppState>) -> Result<Response, AppError> {
    let shows = db::shows::upcoming(
        &state.db,
        db::now() - chrono::Duration::days(1),
        CALENDAR_SHOWS,
    )
    .await?;
    let mut artists: HashMap<i64, Artist> = HashMap::new();
    let mut calendar = Calendar::new();
    calendar.name(&format!("Shows on {}", state.config.domain));
    for show in &shows {
        if !artists.contains_key(&show.artist_id) {
            if let Some(a) = db::artists::by_id(&state.db, show.artist_id).await? {
                artists.insert(a.id, a);
            }
        }
        if let Some(artist) = artists.get(&show.artist_id) {
            calendar.push(event(&state, artist, show));
        }
    }
    Ok(respond(calendar))
}

/// `GET /users/{username}/shows/{id}/calendar.ics`: one show, for "add to calendar".
pub async fn show_calendar(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let artist = db::artists::by_username(&state.db, &username)
        .await?
        .ok_or_else(|| AppError::not_found("artist"))?;
    let show = db::shows::by_id(&state.db, id)
        .await?
        .filter(|s| s.artist_id == artist.id)
        .ok_or_else(|| AppError::not_found("show"))?;
    if show.deleted_at.is_some() {
        return Err(AppError::Gone("show was deleted".to_owned()));
    }
    let mut calendar = Calendar::new();
    calendar.push(event(&state, &artist, &show));
    let mut response = respond(calendar);
    // A download with a sensible name, which phones hand to the calendar app.
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!(
            "attachment; filename=\"{}-{id}.ics\"",
            artist.username
        ))
        .unwrap_or(HeaderValue::from_static("attachment")),
    );
    Ok(response)
}
