//! Server-rendered HTML pages for people: the artist profile and single posts.

use askama::Template;
use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};

use super::error::AppError;
use crate::{
    db::{
        self,
        artists::Artist,
        posts::PostRow,
        releases::{ReleaseRow, TrackRow},
    },
    domain::releases::{self, LinkKind, MediaSet, ReleaseKind},
    AppState,
};

/// Posts shown on the profile page.
const PROFILE_POSTS: i64 = 20;

struct PostView {
    url: String,
    content_html: String,
    published_iso: String,
    published_human: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    name: String,
    handle: String,
    summary: String,
    actor_url: String,
    profile_url: String,
    followers: i64,
    post_count: i64,
    posts: Vec<PostView>,
}

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage {
    name: String,
    handle: String,
    profile_url: String,
    post_url: String,
    content_html: String,
    published_iso: String,
    published_human: String,
}

struct ArtistLink {
    name: String,
    handle: String,
    url: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    domain: String,
    artists: Vec<ArtistLink>,
}

/// Artists listed on the home page.
const HOME_ARTISTS: i64 = 200;

/// `GET /`: the instance and its artists.
pub async fn home(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<Response, AppError> {
    let artists = db::artists::list(&state.db, HOME_ARTISTS)
        .await?
        .into_iter()
        .map(|a| ArtistLink {
            handle: handle(&state, &a),
            url: state.urls.profile(&a.username).to_string(),
            name: a.display_name,
        })
        .collect();
    render(&HomePage {
        domain: state.config.domain.clone(),
        artists,
    })
}

struct TrackView {
    title: String,
    duration: Option<String>,
    preview_url: Option<String>,
}

struct LinkView {
    url: String,
    text: String,
}

#[derive(Template)]
#[template(path = "release.html")]
struct ReleasePage {
    title: String,
    artist_name: String,
    handle: String,
    profile_url: String,
    release_url: String,
    cover_url: Option<String>,
    cover_alt: String,
    kind_label: &'static str,
    release_date: Option<String>,
    description_html: String,
    tracks: Vec<TrackView>,
    links: Vec<LinkView>,
    credits: String,
    license: String,
}

/// A release's public page.
pub fn release(
    state: &AppState,
    artist: &Artist,
    release: &ReleaseRow,
    tracks: &[TrackRow],
    media: &MediaSet,
) -> Result<Response, AppError> {
    let cover = release.cover_media_id.as_ref().and_then(|id| media.get(id));
    let kind = ReleaseKind::parse(&release.kind).unwrap_or(ReleaseKind::Other);
    render(&ReleasePage {
        title: release.title.clone(),
        artist_name: artist.display_name.clone(),
        handle: handle(state, artist),
        profile_url: state.urls.profile(&artist.username).to_string(),
        release_url: state.urls.release(&artist.username, release.id).to_string(),
        cover_url: cover.map(|c| state.urls.media(&c.file_name).to_string()),
        cover_alt: cover
            .map(|c| c.alt_text.clone())
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| format!("Cover of {}", release.title)),
        kind_label: kind.label(),
        release_date: release
            .release_date
            .map(|d| d.format("%-d %B %Y").to_string()),
        description_html: release.description_html.clone(),
        tracks: tracks
            .iter()
            .map(|t| TrackView {
                title: t.title.clone(),
                duration: t.duration_secs.map(|d| format!("{}:{:02}", d / 60, d % 60)),
                preview_url: t
                    .preview_media_id
                    .as_ref()
                    .and_then(|id| media.get(id))
                    .map(|m| state.urls.media(&m.file_name).to_string()),
            })
            .collect(),
        links: releases::links(release)
            .into_iter()
            .map(|l| LinkView {
                text: format!(
                    "{} on {}",
                    match l.kind {
                        LinkKind::Buy => "Buy",
                        LinkKind::Stream => "Stream",
                        LinkKind::Download => "Download",
                    },
                    l.label
                ),
                url: l.url,
            })
            .collect(),
        credits: release.credits.clone(),
        license: release.license.clone(),
    })
}

#[derive(Template)]
#[template(path = "gone.html")]
struct GonePage;

fn render(template: &impl Template) -> Result<Response, AppError> {
    let html = template
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(Html(html).into_response())
}

fn handle(state: &AppState, artist: &Artist) -> String {
    format!("{}@{}", artist.username, state.config.domain)
}

fn times(at: chrono::NaiveDateTime) -> (String, String) {
    let at = at.and_utc();
    (
        at.to_rfc3339(),
        at.format("%-d %b %Y, %H:%M UTC").to_string(),
    )
}

/// The artist's public profile.
pub async fn profile(state: &AppState, artist: &Artist) -> Result<Response, AppError> {
    let followers = db::follows::count_accepted(&state.db, artist.id).await?;
    let post_count = db::posts::count_live(&state.db, artist.id).await?;
    let posts = db::posts::recent_public(&state.db, artist.id, PROFILE_POSTS)
        .await?
        .into_iter()
        .map(|p| {
            let (published_iso, published_human) = times(p.published_at);
            PostView {
                url: state.urls.post(&artist.username, p.id).to_string(),
                content_html: p.content_html,
                published_iso,
                published_human,
            }
        })
        .collect();
    render(&ProfilePage {
        name: artist.display_name.clone(),
        handle: handle(state, artist),
        summary: artist.summary.clone(),
        actor_url: state.urls.actor(&artist.username).to_string(),
        profile_url: state.urls.profile(&artist.username).to_string(),
        followers,
        post_count,
        posts,
    })
}

/// One post.
pub fn post(state: &AppState, artist: &Artist, post: &PostRow) -> Result<Response, AppError> {
    let (published_iso, published_human) = times(post.published_at);
    render(&PostPage {
        name: artist.display_name.clone(),
        handle: handle(state, artist),
        profile_url: state.urls.profile(&artist.username).to_string(),
        post_url: state.urls.post(&artist.username, post.id).to_string(),
        content_html: post.content_html.clone(),
        published_iso,
        published_human,
    })
}

/// The page of a deleted post (410).
pub fn gone() -> impl IntoResponse {
    match GonePage.render() {
        Ok(html) => (StatusCode::GONE, Html(html)).into_response(),
        Err(_) => StatusCode::GONE.into_response(),
    }
}
