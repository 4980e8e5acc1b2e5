//! Releases in the dashboard: list, create and edit (with cover and audio uploads in the same
//! form), schedule, publish and delete, through `domain::releases` as the API does.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use chrono::{NaiveDate, NaiveDateTime};

use super::{
    dashboard::{access, ArtistNav},
    render, render_status, see_other, Authed, Chrome, CsrfForm, CsrfMultipart, FormErrors,
    MultipartFields, WebError,
};
use crate::{
    db::{
        self,
        artists::Artist,
        releases::{ReleaseRow, TrackRow},
    },
    domain::{
        self,
        accounts::Access,
        releases::{Publication, ReleaseInput, ReleaseKind, TrackInput},
    },
    AppState,
};

struct ReleaseItem {
    id: i64,
    title: String,
    kind: &'static str,
    state: String,
    when: String,
    url: String,
}

#[derive(Template)]
#[template(path = "web/releases.html")]
struct ListPage {
    chrome: Chrome,
    nav: ArtistNav,
    releases: Vec<ReleaseItem>,
}

/// `GET /dashboard/{artist}/releases`
pub async fn list(
    State(state): State<AppState>,
    authed: Authed,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let releases = db::releases::of_artist(&state.db, artist.id, false, 200)
        .await?
        .into_iter()
        .map(|r| ReleaseItem {
            url: state.urls.release(&artist.username, r.id).to_string(),
            kind: ReleaseKind::parse(&r.kind)
                .unwrap_or(ReleaseKind::Other)
                .label(),
            when: match (&r.published_at, &r.publish_at) {
                (Some(t), _) => format!("published {}", t.format("%Y-%m-%d %H:%M UTC")),
                (None, Some(t)) => format!("scheduled for {}", t.format("%Y-%m-%d %H:%M UTC")),
                _ => String::new(),
            },
            id: r.id,
            title: r.title,
            state: r.state,
        })
        .collect();
    render(&ListPage {
        chrome: authed.chrome(),
        nav: ArtistNav::new(&artist, access, "releases"),
        releases,
    })
}

/// The form's values, kept as typed so nothing is lost when it comes back with errors.
#[derive(Default)]
pub struct ReleaseValues {
    title: String,
    kind: String,
    release_date: String,
    description: String,
    tracks: String,
    hashtags: String,
    publication: String,
    publish_at: String,
    cover_media_id: String,
    cover_url: String,
    /// Comma-separated ids of uploaded previews, in track order.
    audio_media_ids: String,
    audio_count: usize,
}

const KINDS: [ReleaseKind; 7] = [
    ReleaseKind::Album,
    ReleaseKind::Ep,
    ReleaseKind::Single,
    ReleaseKind::Compilation,
    ReleaseKind::Live,
    ReleaseKind::Mixtape,
    ReleaseKind::Other,
];

#[derive(Template)]
#[template(path = "web/release_form.html")]
struct FormPage {
    chrome: Chrome,
    nav: ArtistNav,
    /// `None` for a new release.
    id: Option<i64>,
    /// State of an existing release.
    state: String,
    public_url: String,
    kinds: Vec<(&'static str, &'static str)>,
    v: ReleaseValues,
    errors: FormErrors,
    /// The stored tracks, for the "Track order" form of an existing release.
    order: Vec<OrderItem>,
}

/// A track in the "Track order" form.
struct OrderItem {
    /// Its current position, 1-based.
    position: usize,
    title: String,
    /// The position typed for it (kept when the form comes back with an error).
    typed: String,
    has_preview: bool,
}

fn order_items(tracks: &[TrackRow]) -> Vec<OrderItem> {
    tracks
        .iter()
        .enumerate()
        .map(|(i, t)| OrderItem {
            position: i + 1,
            title: t.title.clone(),
            typed: (i + 1).to_string(),
            has_preview: t.preview_media_id.is_some(),
        })
        .collect()
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    KINDS.iter().map(|k| (k.as_str(), k.label())).collect()
}

fn form_page(
    state: &AppState,
    authed: &Authed,
    artist: &Artist,
    access: Access,
    release: Option<&ReleaseRow>,
    v: ReleaseValues,
    errors: FormErrors,
) -> FormPage {
    FormPage {
        chrome: authed.chrome(),
        nav: ArtistNav::new(artist, access, "releases"),
        id: release.map(|r| r.id),
        state: release.map(|r| r.state.clone()).unwrap_or_default(),
        public_url: release
            .map(|r| state.urls.release(&artist.username, r.id).to_string())
            .unwrap_or_default(),
        kinds: kinds(),
        v,
        errors,
        order: Vec::new(),
    }
}

/// `GET /dashboard/{artist}/releases/new`
pub async fn new_page(
    State(state): State<AppState>,
    authed: Authed,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let v = ReleaseValues {
        kind: "single".to_owned(),
        publication: "now".to_owned(),
        ..Default::default()
    };
    render(&form_page(
        &state,
        &authed,
        &artist,
        access,
        None,
        v,
        FormErrors::default(),
    ))
}

async fn values_of(
    state: &AppState,
    release: &ReleaseRow,
    tracks: &[TrackRow],
) -> Result<ReleaseValues, WebError> {
    let cover_url = match &release.cover_media_id {
        Some(id) => db::media::by_id(&state.db, id)
            .await?
            .map(|m| m.url(&state.urls).to_string())
            .unwrap_or_default(),
        None => String::new(),
    };
    let audio: Vec<&str> = tracks
        .iter()
        .filter_map(|t| t.preview_media_id.as_deref())
        .collect();
    Ok(ReleaseValues {
        title: release.title.clone(),
        kind: release.kind.clone(),
        release_date: release
            .release_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        description: release.description_source.clone(),
        tracks: tracks
            .iter()
            .map(|t| t.title.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        hashtags: domain::releases::hashtags(release).join(" "),
        publication: match release.state.as_str() {
            "scheduled" => "schedule",
            "published" => "now",
            _ => "draft",
        }
        .to_owned(),
        publish_at: release
            .publish_at
            .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default(),
        cover_media_id: release.cover_media_id.clone().unwrap_or_default(),
        cover_url,
        audio_count: audio.len(),
        audio_media_ids: audio.join(","),
    })
}

/// `GET /dashboard/{artist}/releases/{id}`
pub async fn edit_page(
    State(state): State<AppState>,
    authed: Authed,
    Path((username, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let release = domain::releases::own(&state.db, &artist, id).await?;
    let tracks = db::releases::tracks_of(&state.db, release.id).await?;
    let v = values_of(&state, &release, &tracks).await?;
    let mut page = form_page(
        &state,
        &authed,
        &artist,
        access,
        Some(&release),
        v,
        FormErrors::default(),
    );
    page.order = order_items(&tracks);
    render(&page)
}

/// Reads the submitted form into values (files already stored) and, if it is complete, the
/// domain input.
async fn parse(
    state: &AppState,
    artist_id: i64,
    fields: MultipartFields,
    errors: &mut FormErrors,
) -> Result<(ReleaseValues, Option<(ReleaseInput, Publication)>), WebError> {
    let mut v = ReleaseValues {
        title: fields.text("title"),
        kind: fields.text("kind"),
        release_date: fields.text("release_date").trim().to_owned(),
        description: fields.text("description"),
        tracks: fields.text("tracks"),
        hashtags: fields.text("hashtags"),
        publication: fields.text("publication"),
        publish_at: fields.text("publish_at").trim().to_owned(),
        cover_media_id: fields.text("cover_media_id").trim().to_owned(),
        audio_media_ids: fields.text("audio_media_ids"),
        ..Default::default()
    };
    // A newly uploaded cover replaces the kept one; new audio files are added after the kept.
    if let Some(cover) = fields.files.get("cover").and_then(|c| c.last()) {
        if cover.kind == "image" {
            v.cover_media_id = cover.id.clone();
        } else {
            errors.add(
                "cover",
                "The cover must be an image (JPEG, PNG, WebP or GIF).",
            );
        }
    }
    let mut audio: Vec<String> = v
        .audio_media_ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    for file in fields.files.get("audio").into_iter().flatten() {
        if file.kind == "audio" {
            audio.push(file.id.clone());
        } else {
            errors.add(
                "audio",
                "Audio files must be MP3, Ogg, Opus, FLAC, M4A or WAV.",
            );
        }
    }
    v.audio_count = audio.len();
    v.audio_media_ids = audio.join(",");
    if !v.cover_media_id.is_empty() {
        v.cover_url = db::media::by_id(&state.db, &v.cover_media_id)
            .await?
            .filter(|m| m.artist_id == artist_id)
            .map(|m| m.url(&state.urls).to_string())
            .unwrap_or_default();
    }

    let kind = ReleaseKind::parse(&v.kind);
    if kind.is_none() {
        errors.add("kind", "Choose what kind of release this is.");
    }
    let release_date = match v.release_date.as_str() {
        "" => None,
        d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.add("release_date", "Write the date as YYYY-MM-DD.");
                None
            }
        },
    };
    let publication = match v.publication.as_str() {
        "draft" => Some(Publication::Draft),
        "now" => Some(Publication::Now),
        "schedule" => match parse_local(&v.publish_at) {
            Some(at) => Some(Publication::At(at)),
            None => {
                errors.add("publish_at", "Give the date and time to publish (UTC).");
                None
            }
        },
        _ => {
            errors.add("publication", "Choose when to publish.");
            None
        }
    };
    let titles: Vec<String> = v
        .tracks
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let mut tracks: Vec<TrackInput> = titles
        .iter()
        .enumerate()
        .map(|(i, title)| TrackInput {
            title: title.clone(),
            duration_secs: None,
            preview_media_id: audio.get(i).cloned(),
        })
        .collect();
    // Previews beyond the listed titles become tracks of their own.
    for (i, id) in audio.iter().enumerate().skip(tracks.len()) {
        let title = if i == 0 {
            v.title.trim().to_owned()
        } else {
            format!("Track {}", i + 1)
        };
        tracks.push(TrackInput {
            title,
            duration_secs: None,
            preview_media_id: Some(id.clone()),
        });
    }
    let hashtags = v
        .hashtags
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.trim().is_empty())
        .map(|t| t.trim().to_owned())
        .collect();
    if !errors.is_empty() {
        return Ok((v, None));
    }
    let (Some(kind), Some(publication)) = (kind, publication) else {
        return Ok((v, None));
    };
    let input = ReleaseInput {
        title: v.title.clone(),
        kind,
        release_date,
        description: v.description.clone(),
        cover_media_id: (!v.cover_media_id.is_empty()).then(|| v.cover_media_id.clone()),
        tracks,
        links: Vec::new(),
        hashtags,
        license: String::new(),
        credits: String::new(),
    };
    Ok((v, Some((input, publication))))
}

/// `datetime-local` input (`YYYY-MM-DDTHH:MM`, seconds optional).
pub fn parse_local(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M:%S"))
        .ok()
}

const RELEASE_FIELDS: &[(&str, &str)] = &[
    ("title", "title"),
    ("tracks", "track"),
    ("tracks", "at most 100 tracks"),
    ("hashtags", "hashtag"),
    ("description", "description"),
    ("cover", "is not one of your image"),
    ("audio", "is not one of your audio"),
];

/// `POST /dashboard/{artist}/releases/new` (multipart, with the uploads)
pub async fn create(
    State(state): State<AppState>,
    Path(username): Path<String>,
    form: CsrfMultipart,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &form.0, &username).await?;
    let mut errors = FormErrors::default();
    let (authed, fields) = MultipartFields::read(&state, form, artist.id, &mut errors).await?;
    let (v, input) = parse(&state, artist.id, fields, &mut errors).await?;
    if let Some((input, publication)) = input {
        match domain::releases::create(
            &state.db,
            state.publisher.as_ref(),
            &artist,
            input,
            publication,
        )
        .await
        {
            Ok((release, _)) => {
                return Ok(see_other(&format!(
                    "/dashboard/{username}/releases/{}",
                    release.id
                )))
            }
            Err(e) => errors.domain(e, RELEASE_FIELDS)?,
        }
    }
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &form_page(&state, &authed, &artist, access, None, v, errors),
    )
}

/// `POST /dashboard/{artist}/releases/{id}` (multipart)
pub async fn update(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
    form: CsrfMultipart,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &form.0, &username).await?;
    let release = domain::releases::own(&state.db, &artist, id).await?;
    let mut errors = FormErrors::default();
    let (authed, fields) = MultipartFields::read(&state, form, artist.id, &mut errors).await?;
    let (v, input) = parse(&state, artist.id, fields, &mut errors).await?;
    if let Some((mut input, publication)) = input {
        // What this form does not show stays as it was.
        input.links = domain::releases::links(&release);
        input.license = release.license.clone();
        input.credits = release.credits.clone();
        match domain::releases::update(
            &state.db,
            state.publisher.as_ref(),
            &artist,
            id,
            input,
            publication,
        )
        .await
        {
            Ok(_) => return Ok(see_other(&format!("/dashboard/{username}/releases/{id}"))),
            Err(e) => errors.domain(e, RELEASE_FIELDS)?,
        }
    }
    let mut page = form_page(&state, &authed, &artist, access, Some(&release), v, errors);
    page.order = order_items(&db::releases::tracks_of(&state.db, release.id).await?);
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// The new order a "Track order" form asks for, as current positions (1-based) in new order:
/// an up/down button (`move` = `3:up`) swaps two neighbours; otherwise tracks are sorted by the
/// numbers typed (`pos_1` … `pos_n`), ties keeping their current order. `Err` names the problem.
fn requested_order(
    form: &std::collections::HashMap<String, String>,
    n: usize,
) -> Result<Vec<usize>, String> {
    let mut order: Vec<usize> = (1..=n).collect();
    if let Some(m) = form.get("move") {
        let (at, dir) = m.split_once(':').unwrap_or((m.as_str(), ""));
        let at: usize = at.parse().unwrap_or(0);
        let other = match dir {
            "up" => at.checked_sub(1),
            "down" => Some(at + 1),
            _ => None,
        };
        if let Some(other) = other.filter(|o| (1..=n).contains(o) && (1..=n).contains(&at)) {
            order.swap(at - 1, other - 1);
        }
        return Ok(order);
    }
    let mut wanted = Vec::with_capacity(n);
    for p in 1..=n {
        let typed = form
            .get(&format!("pos_{p}"))
            .map(|t| t.trim())
            .unwrap_or("");
        match typed.parse::<i64>() {
            Ok(w) => wanted.push((w, p)),
            Err(_) => {
                return Err(format!(
                    "Give each track a position number (track {p} has {typed:?})."
                ))
            }
        }
    }
    wanted.sort();
    Ok(wanted.into_iter().map(|(_, p)| p).collect())
}

/// `POST /dashboard/{artist}/releases/{id}/tracks`: reorders the tracks (position numbers or
/// up/down buttons, no JavaScript needed), through `domain::releases::reorder_tracks`.
pub async fn reorder_tracks(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
    CsrfForm(authed, form): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let release = domain::releases::own(&state.db, &artist, id).await?;
    let tracks = db::releases::tracks_of(&state.db, release.id).await?;
    let mut errors = FormErrors::default();
    match requested_order(&form, tracks.len()) {
        Ok(order) => match domain::releases::reorder_tracks(
            &state.db,
            state.publisher.as_ref(),
            &artist,
            id,
            &order,
        )
        .await
        {
            Ok(_) => {
                return Ok(see_other(&format!(
                    "/dashboard/{username}/releases/{id}#track-order"
                )))
            }
            Err(e) => errors.domain(e, &[("order", "the new order")])?,
        },
        Err(message) => errors.add("order", message),
    }
    let v = values_of(&state, &release, &tracks).await?;
    let mut page = form_page(&state, &authed, &artist, access, Some(&release), v, errors);
    page.order = order_items(&tracks);
    for item in &mut page.order {
        if let Some(typed) = form.get(&format!("pos_{}", item.position)) {
            item.typed = typed.clone();
        }
    }
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// `POST /dashboard/{artist}/releases/{id}/publish`
pub async fn publish(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
    CsrfForm(authed, _): CsrfForm<super::account::Empty>,
) -> Result<Response, WebError> {
    let (artist, _) = access(&state, &authed, &username).await?;
    domain::releases::publish_now(&state.db, state.publisher.as_ref(), &artist, id).await?;
    Ok(see_other(&format!("/dashboard/{username}/releases/{id}")))
}

/// `POST /dashboard/{artist}/releases/{id}/delete`
pub async fn delete(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
    CsrfForm(authed, _): CsrfForm<super::account::Empty>,
) -> Result<Response, WebError> {
    let (artist, _) = access(&state, &authed, &username).await?;
    domain::releases::delete(&state.db, state.publisher.as_ref(), &artist, id).await?;
    Ok(see_other(&format!("/dashboard/{username}/releases")))
}
