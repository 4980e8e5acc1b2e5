//! The artist's tour page (`/@name/shows`): upcoming and past shows with "add to calendar" links,
//! the calendar feed, and the form where a fan asks for alerts near their town. The form never
//! subscribes anyone by itself: the fan confirms by answering a direct message.

use activitypub_federation::config::Data;
use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    Form,
};
use serde::Deserialize;

use super::{
    calendar,
    error::AppError,
    pages::{handle as full_handle, render},
};
use crate::{
    app::Ctx,
    db::{self, artists::Artist, shows::ShowRow},
    domain::{
        alerts::{self, WebRequest},
        shows::{self, ShowStatus},
    },
    federation::{remote_actor::RemoteActor, webfinger},
    AppState,
};

/// Past shows listed on the tour page.
const PAST_SHOWS: i64 = 20;
/// Upcoming shows listed on the tour page.
const UPCOMING_SHOWS: i64 = 200;
/// Radii a fan can choose on the form, in km.
const RADII: [u32; 4] = [25, 50, 100, 200];

/// One show as the tour page lists it.
struct ShowItem {
    url: String,
    when_iso: String,
    when_human: String,
    venue: String,
    city: String,
    headline: Option<&'static str>,
    ticket_url: Option<String>,
    ics_url: String,
    google_url: String,
    pinned: bool,
}

/// What the fan typed into the alert form, and what to tell them about it.
#[derive(Default)]
struct AlertForm {
    handle: String,
    city: String,
    radius_km: u32,
    handle_error: String,
    city_error: String,
    /// Places to choose from when the city was ambiguous or misspelt.
    city_choices: Vec<String>,
    notice: String,
}

#[derive(Template)]
#[template(path = "tour.html")]
struct TourPage {
    name: String,
    handle: String,
    profile_url: String,
    calendar_url: String,
    webcal_url: String,
    action_url: String,
    upcoming: Vec<ShowItem>,
    past: Vec<ShowItem>,
    radii: [u32; 4],
    form: AlertForm,
}

/// The alert form as posted.
#[derive(Deserialize)]
pub struct AlertFormInput {
    #[serde(default)]
    handle: String,
    #[serde(default)]
    city: String,
    /// A place picked from the suggestions; wins over `city`.
    #[serde(default)]
    choice: String,
    #[serde(default)]
    radius_km: Option<u32>,
}

fn item(state: &AppState, artist: &Artist, show: &ShowRow) -> ShowItem {
    let tz = shows::tz(show);
    let local = show.starts_at.and_utc().with_timezone(&tz);
    let url = state.urls.show(&artist.username, show.id).to_string();
    let status = ShowStatus::parse(&show.status).unwrap_or(ShowStatus::Scheduled);
    ShowItem {
        google_url: calendar::google_calendar_link(
            &calendar::title_of(artist, show),
            show.starts_at.and_utc(),
            calendar::end_of(show).and_utc(),
            &calendar::location_of(show),
            &url,
        ),
        ics_url: state
            .urls
            .show_calendar(&artist.username, show.id)
            .to_string(),
        url,
        when_iso: local.to_rfc3339(),
        when_human: local.format("%a %-d %b %Y, %H:%M %Z").to_string(),
        venue: show.venue_name.clone(),
        city: show.city.clone(),
        headline: status.headline(),
        ticket_url: show
            .ticket_url
            .clone()
            .filter(|_| status != ShowStatus::Cancelled),
        pinned: show.pinned_at.is_some(),
    }
}

async fn artist_of(state: &AppState, handle: &str) -> Result<Artist, AppError> {
    let username = handle
        .strip_prefix('@')
        .ok_or_else(|| AppError::not_found("page"))?;
    let artist = db::artists::by_username(&state.db, username)
        .await?
        .ok_or_else(|| AppError::not_found("artist"))?;
    Ok(artist)
}

async fn page(
    state: &AppState,
    artist: &Artist,
    form: AlertForm,
    status: StatusCode,
) -> Result<Response, AppError> {
    let now = db::now();
    let upcoming = db::shows::of_artist(&state.db, artist.id, Some(now), UPCOMING_SHOWS).await?;
    let past = db::shows::past_of_artist(&state.db, artist.id, now, PAST_SHOWS).await?;
    let calendar_url = state.urls.artist_calendar(&artist.username);
    let mut webcal_url = calendar_url.to_string();
    if let Some(rest) = webcal_url
        .strip_prefix("https://")
        .or(webcal_url.strip_prefix("http://"))
    {
        webcal_url = format!("webcal://{rest}");
    }
    let mut response = render(&TourPage {
        name: artist.display_name.clone(),
        handle: full_handle(state, artist),
        profile_url: state.urls.profile(&artist.username).to_string(),
        calendar_url: calendar_url.to_string(),
        webcal_url,
        action_url: state.urls.tour_alerts(&artist.username).to_string(),
        upcoming: upcoming.iter().map(|s| item(state, artist, s)).collect(),
        past: past.iter().map(|s| item(state, artist, s)).collect(),
        radii: RADII,
        form: AlertForm {
            radius_km: if form.radius_km == 0 {
                alerts::DEFAULT_RADIUS_KM as u32
            } else {
                form.radius_km
            },
            ..form
        },
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /@{username}/shows`
pub async fn tour(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<Response, AppError> {
    let artist = artist_of(&state, &handle).await?;
    page(&state, &artist, AlertForm::default(), StatusCode::OK).await
}

/// `POST /@{username}/alerts`: a fan asks for show alerts near a place. Problems are shown next to
/// the field with what the fan typed kept; on success the fan is told to answer the message
/// Roadie just sent them.
pub async fn request_alerts(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    Form(input): Form<AlertFormInput>,
) -> Result<Response, AppError> {
    let artist = artist_of(&state, &handle).await?;
    let city = if input.choice.trim().is_empty() {
        input.city.trim()
    } else {
        input.choice.trim()
    };
    let mut form = AlertForm {
        handle: input.handle.trim().chars().take(200).collect(),
        city: city.chars().take(200).collect(),
        radius_km: input
            .radius_km
            .filter(|r| RADII.contains(r))
            .unwrap_or(alerts::DEFAULT_RADIUS_KM as u32),
        ..AlertForm::default()
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if form.city.is_empty() {
        form.city_error = "Which town or city? For example Leeds, or Leeds, GB.".to_owned();
    }
    if form.handle.is_empty() {
        form.handle_error = "Your fediverse handle, like @you@mastodon.social.".to_owned();
    }
    if !form.city_error.is_empty() || !form.handle_error.is_empty() {
        return page(&state, &artist, form, unprocessable).await;
    }
    let place = match alerts::place_for_web(&form.city) {
        Ok(place) => place,
        Err(WebRequest::Ambiguous(choices)) => {
            form.city_error = format!("There is more than one {}. Which one?", form.city);
            form.city_choices = choices;
            return page(&state, &artist, form, unprocessable).await;
        }
        Err(WebRequest::NotFound(choices)) => {
            form.city_error = if choices.is_empty() {
                format!("We could not find {}. Try a nearby larger city.", form.city)
            } else {
                format!(
                    "We could not find {}. Did you mean one of these?",
                    form.city
                )
            };
            form.city_choices = choices;
            return page(&state, &artist, form, unprocessable).await;
        }
        Err(_) => return page(&state, &artist, form, unprocessable).await,
    };
    let actor_id = match webfinger::actor_id(&state, &form.handle).await {
        Ok(id) => id,
        Err(message) => {
            form.handle_error = message;
            return page(&state, &artist, form, unprocessable).await;
        }
    };
    let data: Data<Ctx> = state.federation.to_request_data();
    let fan = match RemoteActor::dereference(&actor_id, &data).await {
        Ok(fan) => fan,
        Err(error) => {
            tracing::info!(%actor_id, %error, "alert request: cannot load the fan's account");
            form.handle_error = format!(
                "Could not load {}'s account from their server. Try again later.",
                form.handle
            );
            return page(&state, &artist, form, unprocessable).await;
        }
    };
    let outcome = alerts::request_from_web(
        &state.db,
        state.publisher.as_ref(),
        &artist,
        &fan.row,
        &place,
        f64::from(form.radius_km),
    )
    .await?;
    form.notice = match outcome {
        WebRequest::ConfirmationSent { place } => format!(
            "Almost done: we sent {} a private message. Answer it with \"yes\" to get alerts near {place}.",
            fan.row.handle()
        ),
        WebRequest::AlreadyAsked { place } => format!(
            "We already sent {} a message a moment ago. Answer it with \"yes\" to get alerts near {place}.",
            fan.row.handle()
        ),
        WebRequest::Ambiguous(_) | WebRequest::NotFound(_) => String::new(),
    };
    page(&state, &artist, form, StatusCode::OK).await
}
