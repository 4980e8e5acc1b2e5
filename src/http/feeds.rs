//! Atom feeds of releases and public posts: one per artist (`/@name/feed.atom`) and one for the
//! whole instance (`/feed.atom`), for fans who follow by feed reader rather than fediverse.

use std::collections::HashMap;

use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use axum::{
    extract::{Path, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};

use super::error::AppError;
use crate::{
    db::{self, artists::Artist, posts::PostRow, releases::ReleaseRow},
    domain::releases::ReleaseKind,
    AppState,
};

/// Entries per feed.
const FEED_ENTRIES: i64 = 50;

fn at(t: chrono::NaiveDateTime) -> FixedDateTime {
    t.and_utc().fixed_offset()
}

fn link(href: String, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.to_owned(),
        mime_type: mime.map(str::to_owned),
        ..Default::default()
    }
}

fn author(state: &AppState, artist: &Artist) -> Person {
    Person {
        name: artist.display_name.clone(),
        uri: Some(state.urls.profile(&artist.username).to_string()),
        ..Default::default()
    }
}

fn html(value: String) -> Content {
    Content {
        value: Some(value),
        content_type: Some("html".to_owned()),
        ..Default::default()
    }
}

fn release_entry(state: &AppState, artist: &Artist, release: &ReleaseRow) -> Entry {
    let url = state.urls.release(&artist.username, release.id).to_string();
    let kind = ReleaseKind::parse(&release.kind).unwrap_or(ReleaseKind::Other);
    let published = release.published_at.unwrap_or(release.created_at);
    Entry {
        title: Text::plain(format!(
            "{} – {} ({})",
            artist.display_name,
            release.title,
            kind.label()
        )),
        id: url.clone(),
        updated: at(release.updated_at.max(published)),
        published: Some(at(published)),
        authors: vec![author(state, artist)],
        links: vec![link(url, "alternate", Some("text/html"))],
        content: Some(html(release.description_html.clone())),
        ..Default::default()
    }
}

fn post_entry(state: &AppState, artist: &Artist, post: &PostRow) -> Entry {
    let url = state.urls.post(&artist.username, post.id).to_string();
    let title: String = post.content_source.chars().take(80).collect();
    Entry {
        title: Text::plain(format!("{}: {}", artist.display_name, title)),
        id: url.clone(),
        updated: at(post.updated_at.unwrap_or(post.published_at)),
        published: Some(at(post.published_at)),
        authors: vec![author(state, artist)],
        links: vec![link(url, "alternate", Some("text/html"))],
        content: Some(html(post.content_html.clone())),
        ..Default::default()
    }
}

fn respond(mut feed: Feed) -> Response {
    feed.entries.sort_by_key(|e| std::cmp::Reverse(e.updated));
    feed.entries.truncate(FEED_ENTRIES as usize);
    if let Some(newest) = feed.entries.first() {
        feed.updated = newest.updated;
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/atom+xml; charset=utf-8"),
        )],
        feed.to_string(),
    )
        .into_response()
}

/// `GET /@{username}/feed.atom`
pub async fn artist_feed(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<Response, AppError> {
    let username = handle.strip_prefix('@').unwrap_or(&handle);
    let artist = db::artists::by_username(&state.db, username)
        .await?
        .ok_or_else(|| AppError::not_found("artist"))?;
    let mut entries: Vec<Entry> = db::releases::of_artist(&state.db, artist.id, true, FEED_ENTRIES)
        .await?
        .iter()
        .map(|r| release_entry(&state, &artist, r))
        .collect();
    entries.extend(
        db::posts::recent_public(&state.db, artist.id, FEED_ENTRIES)
            .await?
            .iter()
            .map(|p| post_entry(&state, &artist, p)),
    );
    let self_url = state.urls.artist_feed(&artist.username).to_string();
    Ok(respond(Feed {
        title: Text::plain(format!(
            "{} on {}",
            artist.display_name, state.config.domain
        )),
        id: self_url.clone(),
        updated: at(artist.created_at),
        authors: vec![author(&state, &artist)],
        links: vec![
            link(self_url, "self", Some("application/atom+xml")),
            link(
                state.urls.profile(&artist.username).to_string(),
                "alternate",
                Some("text/html"),
            ),
        ],
        entries,
        ..Default::default()
    }))
}

/// `GET /feed.atom`: the newest releases and posts of every artist here.
pub async fn instance_feed(State(state): State<AppState>) -> Result<Response, AppError> {
    let releases = db::releases::recent_published(&state.db, FEED_ENTRIES).await?;
    let posts = db::posts::recent_public_all(&state.db, FEED_ENTRIES).await?;
    let mut artists: HashMap<i64, Artist> = HashMap::new();
    for id in releases
        .iter()
        .map(|r| r.artist_id)
        .chain(posts.iter().map(|p| p.artist_id))
    {
        if let std::collections::hash_map::Entry::Vacant(slot) = artists.entry(id) {
            if let Some(a) = db::artists::by_id(&state.db, id).await? {
                slot.insert(a);
            }
        }
    }
    let mut entries: Vec<Entry> = releases
        .iter()
        .filter_map(|r| Some(release_entry(&state, artists.get(&r.artist_id)?, r)))
        .collect();
    entries.extend(
        posts
            .iter()
            .filter_map(|p| Some(post_entry(&state, artists.get(&p.artist_id)?, p))),
    );
    let self_url = state.urls.instance_feed().to_string();
    Ok(respond(Feed {
        title: Text::plain(format!("New on {}", state.config.domain)),
        id: self_url.clone(),
        updated: at(chrono::DateTime::UNIX_EPOCH.naive_utc()),
        links: vec![
            link(self_url, "self", Some("application/atom+xml")),
            link(
                state.urls.base().to_string(),
                "alternate",
                Some("text/html"),
            ),
        ],
        entries,
        ..Default::default()
    }))
}
