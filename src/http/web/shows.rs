//! Shows in the dashboard: list, create and edit with a city from the gazetteer (a datalist
//! filled from `/dashboard/cities` when JavaScript runs; typing "Leeds, GB" works without),
//! cancel and delete, through `domain::shows` as the API does.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
    Json,
};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use super::{
    dashboard::{access, ArtistNav},
    render, render_status, see_other, Authed, Chrome, CsrfForm, FormErrors, WebError,
};
use crate::{
    db::{self, artists::Artist, shows::ShowRow},
    domain::{
        self,
        accounts::Access,
        shows::{ShowInput, ShowStatus},
    },
    geo::{self, Lookup},
    AppState,
};

struct ShowItem {
    id: i64,
    when: String,
    venue: String,
    city: String,
    status: String,
    cancelled: bool,
    url: String,
}

#[derive(Template)]
#[template(path = "web/shows.html")]
struct ListPage {
    chrome: Chrome,
    nav: ArtistNav,
    shows: Vec<ShowItem>,
}

fn local(show: &ShowRow, t: NaiveDateTime) -> NaiveDateTime {
    t.and_utc()
        .with_timezone(&domain::shows::tz(show))
        .naive_local()
}

/// `GET /dashboard/{artist}/shows`: upcoming and past shows, soonest first.
pub async fn list(
    State(state): State<AppState>,
    authed: Authed,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let shows = db::shows::of_artist(&state.db, artist.id, None, 500)
        .await?
        .into_iter()
        .map(|s| ShowItem {
            id: s.id,
            when: local(&s, s.starts_at)
                .format("%a %Y-%m-%d %H:%M")
                .to_string(),
            venue: s.venue_name.clone(),
            city: format!("{}, {}", s.city, s.country),
            cancelled: s.status == "cancelled",
            status: s.status.clone(),
            url: state.urls.show(&artist.username, s.id).to_string(),
        })
        .collect();
    render(&ListPage {
        chrome: authed.chrome(),
        nav: ArtistNav::new(&artist, access, "shows"),
        shows,
    })
}

/// The show form as typed.
#[derive(Default, Deserialize)]
pub struct ShowForm {
    #[serde(default)]
    venue_name: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    doors: String,
    #[serde(default)]
    ticket_url: String,
    #[serde(default)]
    price_note: String,
    #[serde(default)]
    support_acts: String,
    #[serde(default)]
    description: String,
}

#[derive(Template)]
#[template(path = "web/show_form.html")]
struct FormPage {
    chrome: Chrome,
    nav: ArtistNav,
    id: Option<i64>,
    status: String,
    v: ShowForm,
    errors: FormErrors,
}

fn form_page(
    authed: &Authed,
    artist: &Artist,
    access: Access,
    show: Option<&ShowRow>,
    v: ShowForm,
    errors: FormErrors,
) -> FormPage {
    FormPage {
        chrome: authed.chrome(),
        nav: ArtistNav::new(artist, access, "shows"),
        id: show.map(|s| s.id),
        status: show.map(|s| s.status.clone()).unwrap_or_default(),
        v,
        errors,
    }
}

/// `GET /dashboard/{artist}/shows/new`
pub async fn new_page(
    State(state): State<AppState>,
    authed: Authed,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let v = ShowForm {
        time: "20:00".to_owned(),
        ..Default::default()
    };
    render(&form_page(
        &authed,
        &artist,
        access,
        None,
        v,
        FormErrors::default(),
    ))
}

fn values_of(show: &ShowRow) -> ShowForm {
    let starts = local(show, show.starts_at);
    ShowForm {
        venue_name: show.venue_name.clone(),
        city: format!("{}, {}", show.city, show.country),
        date: starts.date().to_string(),
        time: starts.time().format("%H:%M").to_string(),
        doors: show
            .doors_at
            .map(|d| local(show, d).time().format("%H:%M").to_string())
            .unwrap_or_default(),
        ticket_url: show.ticket_url.clone().unwrap_or_default(),
        price_note: show.price_note.clone(),
        support_acts: domain::shows::support_acts(show).join(", "),
        description: show.description_source.clone(),
    }
}

/// `GET /dashboard/{artist}/shows/{id}`
pub async fn edit_page(
    State(state): State<AppState>,
    authed: Authed,
    Path((username, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let show = domain::shows::own(&state.db, &artist, id).await?;
    render(&form_page(
        &authed,
        &artist,
        access,
        Some(&show),
        values_of(&show),
        FormErrors::default(),
    ))
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
        .ok()
}

/// The domain input of a typed form, or errors next to the fields.
fn input_of(v: &ShowForm, status: ShowStatus, errors: &mut FormErrors) -> Option<ShowInput> {
    let city = match geo::lookup(v.city.trim()) {
        _ if v.city.trim().is_empty() => {
            errors.add("city", "Type the city, e.g. \"Leeds, GB\".");
            None
        }
        Lookup::Found(c) => Some(c),
        Lookup::Ambiguous(cities) => {
            let names: Vec<String> = cities.iter().take(5).map(|c| c.display()).collect();
            errors.add(
                "city",
                format!(
                    "Several places have this name; add the country: {}.",
                    names.join("; ")
                ),
            );
            None
        }
        Lookup::NotFound { suggestions } => {
            let names: Vec<String> = suggestions.iter().map(|c| c.display()).collect();
            errors.add(
                "city",
                if names.is_empty() {
                    "We do not know this city. Check the spelling or add the country.".to_owned()
                } else {
                    format!(
                        "We do not know this city. Did you mean: {}?",
                        names.join("; ")
                    )
                },
            );
            None
        }
    };
    let date = NaiveDate::parse_from_str(v.date.trim(), "%Y-%m-%d").ok();
    if date.is_none() {
        errors.add("date", "Give the date of the show (YYYY-MM-DD).");
    }
    let time = parse_time(&v.time);
    if time.is_none() {
        errors.add("time", "Give the time the show starts (HH:MM).");
    }
    let doors = match v.doors.trim() {
        "" => None,
        d => match parse_time(d) {
            Some(t) => Some(t),
            None => {
                errors.add("doors", "Write the doors time as HH:MM, or leave it empty.");
                None
            }
        },
    };
    let (city, date, time) = (city?, date?, time?);
    let starts_at = date.and_time(time);
    Some(ShowInput {
        starts_at,
        ends_at: None,
        doors_at: doors.map(|d| date.and_time(d)),
        timezone: city.timezone.clone(),
        venue_name: v.venue_name.trim().to_owned(),
        street_address: String::new(),
        postal_code: String::new(),
        city: city.name.clone(),
        region: String::new(),
        country: city.country_code.clone(),
        latitude: Some(city.latitude),
        longitude: Some(city.longitude),
        ticket_url: Some(v.ticket_url.trim().to_owned()).filter(|u| !u.is_empty()),
        price_note: v.price_note.trim().to_owned(),
        support_acts: v
            .support_acts
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        poster_media_id: None,
        status,
        description: v.description.clone(),
    })
}

const SHOW_FIELDS: &[(&str, &str)] = &[
    ("venue_name", "venue"),
    ("ticket_url", "ticket"),
    ("doors", "doors"),
    ("support_acts", "support"),
    ("description", "description"),
    ("date", "the show must"),
];

/// `POST /dashboard/{artist}/shows/new`
pub async fn create(
    State(state): State<AppState>,
    Path(username): Path<String>,
    CsrfForm(authed, v): CsrfForm<ShowForm>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let mut errors = FormErrors::default();
    if let Some(input) = input_of(&v, ShowStatus::Scheduled, &mut errors) {
        match domain::shows::create(&state.db, state.publisher.as_ref(), &artist, input).await {
            Ok(_) => return Ok(see_other(&format!("/dashboard/{username}/shows"))),
            Err(e) => errors.domain(e, SHOW_FIELDS)?,
        }
    }
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &form_page(&authed, &artist, access, None, v, errors),
    )
}

/// `POST /dashboard/{artist}/shows/{id}`
pub async fn update(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
    CsrfForm(authed, v): CsrfForm<ShowForm>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let show = domain::shows::own(&state.db, &artist, id).await?;
    let status = ShowStatus::parse(&show.status).unwrap_or(ShowStatus::Scheduled);
    let mut errors = FormErrors::default();
    if let Some(mut input) = input_of(&v, status, &mut errors) {
        // What this form does not show stays as it was.
        input.ends_at = show.ends_at.map(|t| local(&show, t));
        input.street_address = show.street_address.clone();
        input.postal_code = show.postal_code.clone();
        input.poster_media_id = show.poster_media_id.clone();
        match domain::shows::update(&state.db, state.publisher.as_ref(), &artist, id, input).await {
            Ok(_) => return Ok(see_other(&format!("/dashboard/{username}/shows"))),
            Err(e) => errors.domain(e, SHOW_FIELDS)?,
        }
    }
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &form_page(&authed, &artist, access, Some(&show), v, errors),
    )
}

/// The stored show as input, unchanged but for its status.
fn with_status(show: &ShowRow, status: ShowStatus) -> ShowInput {
    ShowInput {
        starts_at: local(show, show.starts_at),
        ends_at: show.ends_at.map(|t| local(show, t)),
        doors_at: show.doors_at.map(|t| local(show, t)),
        timezone: show.timezone.clone(),
        venue_name: show.venue_name.clone(),
        street_address: show.street_address.clone(),
        postal_code: show.postal_code.clone(),
        city: show.city.clone(),
        region: show.region.clone(),
        country: show.country.clone(),
        latitude: show.latitude,
        longitude: show.longitude,
        ticket_url: show.ticket_url.clone(),
        price_note: show.price_note.clone(),
        support_acts: domain::shows::support_acts(show),
        poster_media_id: show.poster_media_id.clone(),
        status,
        description: show.description_source.clone(),
    }
}

/// `POST /dashboard/{artist}/shows/{id}/cancel`: followers get an `Update` saying so.
pub async fn cancel(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
    CsrfForm(authed, _): CsrfForm<super::account::Empty>,
) -> Result<Response, WebError> {
    let (artist, _) = access(&state, &authed, &username).await?;
    let show = domain::shows::own(&state.db, &artist, id).await?;
    domain::shows::update(
        &state.db,
        state.publisher.as_ref(),
        &artist,
        id,
        with_status(&show, ShowStatus::Cancelled),
    )
    .await?;
    Ok(see_other(&format!("/dashboard/{username}/shows")))
}

/// `POST /dashboard/{artist}/shows/{id}/delete`
pub async fn delete(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
    CsrfForm(authed, _): CsrfForm<super::account::Empty>,
) -> Result<Response, WebError> {
    let (artist, _) = access(&state, &authed, &username).await?;
    domain::shows::delete(&state.db, state.publisher.as_ref(), &artist, id).await?;
    Ok(see_other(&format!("/dashboard/{username}/shows")))
}

#[derive(Deserialize)]
pub struct CityQuery {
    #[serde(default)]
    q: String,
}

#[derive(Serialize)]
pub struct CityOption {
    /// What the city field should hold: "Leeds, GB".
    label: String,
    timezone: String,
}

/// `GET /dashboard/cities?q=Lee`: up to 10 gazetteer cities for the autocomplete.
pub async fn cities(_authed: Authed, Query(q): Query<CityQuery>) -> Json<Vec<CityOption>> {
    let prefix = q.q.trim();
    if prefix.chars().count() < 2 || prefix.len() > 100 {
        return Json(Vec::new());
    }
    Json(
        geo::search_prefix(prefix, 10)
            .into_iter()
            .map(|c| CityOption {
                label: c.display(),
                timezone: c.timezone,
            })
            .collect(),
    )
}
