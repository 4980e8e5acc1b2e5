//! Server-rendered HTML pages for people: the artist profile and single posts.

use askama::Template;
use axum::{
    body::Bytes,
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};

use super::error::AppError;
use crate::{
    db::{
        self,
        artists::Artist,
        interactions::{Counts, ObjectKey},
        posts::PostRow,
        releases::{ReleaseRow, TrackRow},
    },
    domain::releases::{self, LinkKind, MediaSet, ReleaseKind},
    AppState,
};

/// Releases shown on the profile page.
const PROFILE_RELEASES: i64 = 50;

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
    feed_url: String,
    follow_url: String,
    followers: i64,
    post_count: i64,
    posts: Vec<PostView>,
    links: Vec<LinkView>,
    releases: Vec<ReleaseCard>,
    passers_month: Vec<Passer>,
    passers_all: Vec<Passer>,
    tour_url: String,
    avatar_url: Option<String>,
    header_url: Option<String>,
}

struct ReleaseCard {
    url: String,
    title: String,
    kind: &'static str,
    cover_url: Option<String>,
}

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage {
    share_url: String,
    counts: Counts,
    replies: Vec<ReplyView>,
    name: String,
    handle: String,
    profile_url: String,
    post_url: String,
    content_html: String,
    published_iso: String,
    published_human: String,
}

struct ReplyView {
    author_name: String,
    author_handle: String,
    author_url: String,
    content_html: String,
    published_iso: String,
    published_human: String,
}

struct Passer {
    name: String,
    handle: String,
    url: String,
    points: i64,
}

/// Replies shown under an object.
const PAGE_REPLIES: i64 = 100;

async fn interactions_of(
    state: &AppState,
    key: ObjectKey,
) -> Result<(Counts, Vec<ReplyView>), AppError> {
    let counts = db::interactions::counts(&state.db, key).await?;
    let replies = db::interactions::replies_to(&state.db, key, PAGE_REPLIES)
        .await?
        .into_iter()
        .map(|(reply, author)| {
            let (published_iso, published_human) = times(reply.published_at);
            ReplyView {
                author_name: author.shown_name(),
                author_handle: author.handle(),
                author_url: author.profile_url(),
                content_html: reply.content_html,
                published_iso,
                published_human,
            }
        })
        .collect();
    Ok((counts, replies))
}

async fn passers(
    state: &AppState,
    artist: &Artist,
    since: Option<chrono::NaiveDateTime>,
) -> Result<Vec<Passer>, AppError> {
    Ok(
        crate::domain::passes::public_leaderboard(&state.db, artist, since, TOP_PASSERS)
            .await?
            .into_iter()
            .map(|s| Passer {
                url: s.url.clone().unwrap_or_else(|| {
                    let (user, host) = s.handle.split_once('@').unwrap_or((&s.handle, ""));
                    format!("https://{host}/@{user}")
                }),
                name: s.name,
                handle: s.handle,
                points: s.points,
            })
            .collect(),
    )
}

/// Fans listed as top passers.
const TOP_PASSERS: usize = 10;

struct ArtistLink {
    name: String,
    handle: String,
    url: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    /// The admin's settings (the name defaults to the domain).
    instance: crate::domain::instance::Settings,
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
    let instance = crate::domain::instance::settings(&state.db, &state.config.domain).await?;
    render(&HomePage { instance, artists })
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
    share_url: String,
    counts: Counts,
    replies: Vec<ReplyView>,
    /// Plain text for `og:description`.
    summary: String,
    og_audio: Option<(String, String)>,
    embed_url: String,
    oembed_url: String,
    creator: String,
    /// schema.org `MusicAlbum` as JSON, safe inside a `<script>` element.
    json_ld: String,
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
pub async fn release(
    state: &AppState,
    artist: &Artist,
    release: &ReleaseRow,
    tracks: &[TrackRow],
    media: &MediaSet,
) -> Result<Response, AppError> {
    let cover = release.cover_media_id.as_ref().and_then(|id| media.get(id));
    let kind = ReleaseKind::parse(&release.kind).unwrap_or(ReleaseKind::Other);
    let release_url = state.urls.release(&artist.username, release.id);
    let first_preview = tracks
        .iter()
        .filter_map(|t| media.get(t.preview_media_id.as_ref()?))
        .next();
    let json_ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "MusicAlbum",
        "name": release.title,
        "url": release_url,
        "albumReleaseType": match kind {
            ReleaseKind::Single => "SingleRelease",
            ReleaseKind::Ep => "EPRelease",
            _ => "AlbumRelease",
        },
        "byArtist": {"@type": "MusicGroup", "name": artist.display_name, "url": state.urls.profile(&artist.username)},
        "datePublished": release.release_date.map(|d| d.to_string()),
        "image": cover.map(|c| state.urls.media(&c.file_name)),
        "numTracks": tracks.len(),
        "track": tracks.iter().map(|t| serde_json::json!({
            "@type": "MusicRecording",
            "name": t.title,
            "position": t.position,
            "duration": t.duration_secs.map(|d| format!("PT{}M{}S", d / 60, d % 60)),
        })).collect::<Vec<_>>(),
    })
    .to_string()
    .replace("</", "<\\/");
    let (counts, replies) = interactions_of(
        state,
        ObjectKey {
            artist_id: artist.id,
            kind: "release",
            id: release.id,
        },
    )
    .await?;
    render(&ReleasePage {
        share_url: format!("/share/release/{}", release.id),
        counts,
        replies,
        summary: plain_summary(
            &release.description_source,
            kind.label(),
            &artist.display_name,
        ),
        og_audio: first_preview.map(|m| {
            (
                state.urls.media(&m.file_name).to_string(),
                m.content_type.clone(),
            )
        }),
        embed_url: state
            .urls
            .release_embed(&artist.username, release.id)
            .to_string(),
        oembed_url: state.urls.oembed(&release_url).to_string(),
        creator: format!("@{}", handle(state, artist)),
        json_ld,
        title: release.title.clone(),
        artist_name: artist.display_name.clone(),
        handle: handle(state, artist),
        profile_url: state.urls.profile(&artist.username).to_string(),
        release_url: release_url.to_string(),
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
        tracks: track_views(state, tracks, media),
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

/// A short plain-text description for link previews.
fn plain_summary(markdown: &str, kind: &str, artist: &str) -> String {
    let text: String = markdown
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '#' | '`' | '[' | ']' | '>'))
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.is_empty() {
        format!("{kind} by {artist}")
    } else {
        text.chars().take(200).collect()
    }
}

#[derive(Template)]
#[template(path = "embed.html")]
struct EmbedPage {
    title: String,
    artist_name: String,
    release_url: String,
    cover_url: Option<String>,
    cover_alt: String,
    tracks: Vec<TrackView>,
}

/// `GET /embed/users/{username}/releases/{id}`: the small player other sites frame.
pub async fn embed(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::Path((username, id)): axum::extract::Path<(String, i64)>,
) -> Result<Response, AppError> {
    let artist = db::artists::by_username(&state.db, &username)
        .await?
        .ok_or_else(|| AppError::not_found("artist"))?;
    let release = db::releases::by_id(&state.db, id)
        .await?
        .filter(|r| r.artist_id == artist.id && r.state == "published" && r.deleted_at.is_none())
        .ok_or_else(|| AppError::not_found("release"))?;
    let tracks = db::releases::tracks_of(&state.db, release.id).await?;
    let media = releases::media_of(&state.db, &release, &tracks).await?;
    let cover = release.cover_media_id.as_ref().and_then(|id| media.get(id));
    render(&EmbedPage {
        title: release.title.clone(),
        artist_name: artist.display_name.clone(),
        release_url: state.urls.release(&artist.username, release.id).to_string(),
        cover_url: cover.map(|c| state.urls.media(&c.file_name).to_string()),
        cover_alt: format!("Cover of {}", release.title),
        tracks: track_views(&state, &tracks, &media),
    })
}

fn track_views(state: &AppState, tracks: &[TrackRow], media: &MediaSet) -> Vec<TrackView> {
    tracks
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
        .collect()
}

#[derive(Template)]
#[template(path = "gone.html")]
struct GonePage;

/// Renders a template into bytes that can be kept and served again.
pub(super) fn render_bytes(template: &impl Template) -> Result<Bytes, AppError> {
    let html = template
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(Bytes::from(html))
}

pub(super) fn render(template: &impl Template) -> Result<Response, AppError> {
    let html = template
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(Html(html).into_response())
}

pub(super) fn handle(state: &AppState, artist: &Artist) -> String {
    format!("{}@{}", artist.username, state.config.domain)
}

fn times(at: chrono::NaiveDateTime) -> (String, String) {
    let at = at.and_utc();
    (
        at.to_rfc3339(),
        at.format("%-d %b %Y, %H:%M UTC").to_string(),
    )
}

/// The artist's public profile page, rendered (the caller caches it: see `http::cache::PageCache`).
pub async fn profile(state: &AppState, artist: &Artist) -> Result<Bytes, AppError> {
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
    let rows = db::releases::of_artist(&state.db, artist.id, true, PROFILE_RELEASES).await?;
    // All covers in one query rather than one per release.
    let cover_ids: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.cover_media_id.as_deref())
        .collect();
    let covers: std::collections::HashMap<String, db::media::MediaRow> =
        db::media::by_ids(&state.db, &cover_ids)
            .await?
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect();
    let releases = rows
        .into_iter()
        .map(|r| ReleaseCard {
            url: state.urls.release(&artist.username, r.id).to_string(),
            kind: ReleaseKind::parse(&r.kind)
                .unwrap_or(ReleaseKind::Other)
                .label(),
            cover_url: r
                .cover_media_id
                .as_deref()
                .and_then(|id| covers.get(id))
                .map(|c| {
                    state
                        .urls
                        .media(c.thumbnail_file.as_deref().unwrap_or(&c.file_name))
                        .to_string()
                }),
            title: r.title,
        })
        .collect();
    render_bytes(&ProfilePage {
        name: artist.display_name.clone(),
        handle: handle(state, artist),
        summary: artist.summary.clone(),
        actor_url: state.urls.actor(&artist.username).to_string(),
        profile_url: state.urls.profile(&artist.username).to_string(),
        feed_url: state.urls.artist_feed(&artist.username).to_string(),
        follow_url: state.urls.remote_follow(&artist.username).to_string(),
        tour_url: state.urls.tour(&artist.username).to_string(),
        avatar_url: artist
            .avatar_file
            .as_deref()
            .map(|f| state.urls.media(f).to_string()),
        header_url: artist
            .header_file
            .as_deref()
            .map(|f| state.urls.media(f).to_string()),
        followers,
        post_count,
        posts,
        links: crate::domain::artists::profile_links(artist)
            .into_iter()
            .map(|l| LinkView {
                url: l.url,
                text: l.name,
            })
            .collect(),
        releases,
        passers_month: passers(state, artist, Some(db::now() - chrono::Duration::days(30))).await?,
        passers_all: passers(state, artist, None).await?,
    })
}

/// One post.
pub async fn post(state: &AppState, artist: &Artist, post: &PostRow) -> Result<Response, AppError> {
    let (published_iso, published_human) = times(post.published_at);
    let (counts, replies) = interactions_of(
        state,
        ObjectKey {
            artist_id: artist.id,
            kind: "post",
            id: post.id,
        },
    )
    .await?;
    render(&PostPage {
        share_url: format!("/share/post/{}", post.id),
        counts,
        replies,
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

#[derive(Template)]
#[template(path = "remote_follow.html")]
struct RemoteFollowPage {
    name: String,
    handle: String,
    profile_url: String,
    follow_url: String,
    typed: String,
    error: String,
}

#[derive(serde::Deserialize)]
pub struct RemoteFollowQuery {
    handle: Option<String>,
}

/// `GET /@{username}/follow?handle=@me@my.server`: looks up the fan's server's "subscribe"
/// template (WebFinger `http://ostatus.org/schema/1.0/subscribe`) and sends the fan there to
/// confirm the follow; explains what to do instead when the server offers none.
pub async fn remote_follow(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::Path(handle_segment): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<RemoteFollowQuery>,
) -> Result<Response, AppError> {
    let username = handle_segment.strip_prefix('@').unwrap_or(&handle_segment);
    let artist = db::artists::by_username(&state.db, username)
        .await?
        .ok_or_else(|| AppError::not_found("artist"))?;
    let page = |typed: &str, error: String| {
        render(&RemoteFollowPage {
            name: artist.display_name.clone(),
            handle: handle(&state, &artist),
            profile_url: state.urls.profile(&artist.username).to_string(),
            follow_url: state.urls.remote_follow(&artist.username).to_string(),
            typed: typed.to_owned(),
            error,
        })
    };
    let Some(typed) = q
        .handle
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
    else {
        return page("", String::new());
    };
    match crate::federation::webfinger::subscribe_url(
        &state,
        &typed,
        &state.urls.actor(&artist.username),
    )
    .await
    {
        Ok(url) => Ok(axum::response::Redirect::to(url.as_str()).into_response()),
        Err(message) => {
            let mut response = page(&typed, message)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

#[derive(Template)]
#[template(path = "show.html")]
struct ShowPage {
    name: String,
    summary: String,
    content_html: String,
    artist_name: String,
    profile_url: String,
    show_url: String,
    json_ld: String,
    tour_url: String,
    ics_url: String,
    google_url: String,
}

/// A show's public page, from its `Event` (the same words fans read on Mastodon).
pub fn show(
    state: &AppState,
    artist: &Artist,
    show: &crate::db::shows::ShowRow,
    event: &serde_json::Value,
) -> Result<Response, AppError> {
    let text = |k: &str| event[k].as_str().unwrap_or_default().to_owned();
    let json_ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "MusicEvent",
        "name": event["name"],
        "startDate": event["startTime"],
        "endDate": event["endTime"],
        "eventStatus": format!("https://schema.org/{}", text("eventStatus")),
        "location": {
            "@type": "Place",
            "name": event["location"]["name"],
            "address": {
                "@type": "PostalAddress",
                "streetAddress": event["location"]["address"]["streetAddress"],
                "addressLocality": event["location"]["address"]["addressLocality"],
                "postalCode": event["location"]["address"]["postalCode"],
                "addressCountry": event["location"]["address"]["addressCountry"],
            },
        },
        "performer": {"@type": "MusicGroup", "name": artist.display_name},
        "offers": event.get("externalParticipationUrl").map(|u| serde_json::json!({"@type": "Offer", "url": u})),
    })
    .to_string()
    .replace("</", "<\\/");
    render(&ShowPage {
        name: text("name"),
        summary: text("summary"),
        content_html: text("content"),
        artist_name: artist.display_name.clone(),
        profile_url: state.urls.profile(&artist.username).to_string(),
        show_url: text("id"),
        json_ld,
        tour_url: state.urls.tour(&artist.username).to_string(),
        ics_url: state
            .urls
            .show_calendar(&artist.username, show.id)
            .to_string(),
        google_url: super::calendar::google_calendar_link(
            &super::calendar::title_of(artist, show),
            show.starts_at.and_utc(),
            super::calendar::end_of(show).and_utc(),
            &super::calendar::location_of(show),
            &text("id"),
        ),
    })
}
