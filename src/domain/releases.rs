//! Releases: albums, EPs, singles… with a tracklist, cover, audio previews and links. A release
//! is a draft, scheduled for a time, or published; publishing announces it to followers, and
//! every later change or deletion is announced too.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::{DomainError, Publisher};
use crate::db::{
    self,
    artists::Artist,
    media::MediaRow,
    releases::{ReleaseFields, ReleaseRow, TrackFields, TrackRow},
    Db,
};

/// What kind of release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseKind {
    Album,
    Ep,
    Single,
    Compilation,
    Live,
    Mixtape,
    Other,
}

impl ReleaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseKind::Album => "album",
            ReleaseKind::Ep => "ep",
            ReleaseKind::Single => "single",
            ReleaseKind::Compilation => "compilation",
            ReleaseKind::Live => "live",
            ReleaseKind::Mixtape => "mixtape",
            ReleaseKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ReleaseKind> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }

    /// How people write it: "Album", "EP", …
    pub fn label(self) -> &'static str {
        match self {
            ReleaseKind::Album => "Album",
            ReleaseKind::Ep => "EP",
            ReleaseKind::Single => "Single",
            ReleaseKind::Compilation => "Compilation",
            ReleaseKind::Live => "Live album",
            ReleaseKind::Mixtape => "Mixtape",
            ReleaseKind::Other => "Release",
        }
    }
}

/// Where to buy, stream or download a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkKind {
    Buy,
    Stream,
    Download,
}

/// A link of a release, stored as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseLink {
    pub kind: LinkKind,
    /// e.g. "Bandcamp".
    pub label: String,
    pub url: String,
    /// Money goes to the artist through it (FEP-0ea0 `rel: payment`).
    #[serde(default)]
    pub payment: bool,
}

/// A track as the artist writes it.
#[derive(Debug, Clone)]
pub struct TrackInput {
    pub title: String,
    pub duration_secs: Option<u32>,
    /// An audio file the artist uploaded, played as the preview.
    pub preview_media_id: Option<String>,
}

/// Everything an artist writes about a release.
#[derive(Debug, Clone)]
pub struct ReleaseInput {
    pub title: String,
    pub kind: ReleaseKind,
    pub release_date: Option<NaiveDate>,
    /// Markdown.
    pub description: String,
    /// An image the artist uploaded.
    pub cover_media_id: Option<String>,
    pub tracks: Vec<TrackInput>,
    pub links: Vec<ReleaseLink>,
    /// Hashtag names, with or without `#`.
    pub hashtags: Vec<String>,
    pub license: String,
    pub credits: String,
}

/// When a release goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publication {
    Draft,
    Now,
    At(NaiveDateTime),
}

/// Media files of a release by id (cover and previews), loaded before building its activity.
pub type MediaSet = HashMap<String, MediaRow>;

pub const MAX_TRACKS: usize = 100;
pub const MAX_LINKS: usize = 10;
pub const MAX_HASHTAGS: usize = 10;

/// The stored hashtags of a release.
pub fn hashtags(release: &ReleaseRow) -> Vec<String> {
    serde_json::from_str(&release.hashtags).unwrap_or_default()
}

/// The stored links of a release.
pub fn links(release: &ReleaseRow) -> Vec<ReleaseLink> {
    serde_json::from_str(&release.links).unwrap_or_default()
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

/// Checks the input and turns it into rows; loads the media it names, which must be the
/// artist's own (an image for the cover, audio for previews).
async fn validate(
    db: &Db,
    artist: &Artist,
    input: ReleaseInput,
) -> Result<(ReleaseFields, Vec<TrackFields>, MediaSet), DomainError> {
    let title = input.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(invalid("title must be 1-200 characters"));
    }
    if input.tracks.len() > MAX_TRACKS {
        return Err(invalid(format!("at most {MAX_TRACKS} tracks")));
    }
    if input.links.len() > MAX_LINKS {
        return Err(invalid(format!("at most {MAX_LINKS} links")));
    }
    if input.hashtags.len() > MAX_HASHTAGS {
        return Err(invalid(format!("at most {MAX_HASHTAGS} hashtags")));
    }
    if input.description.chars().count() > 10_000 {
        return Err(invalid("description must be at most 10000 characters"));
    }
    for field in [&input.license, &input.credits] {
        if field.chars().count() > 2_000 {
            return Err(invalid(
                "license and credits must be at most 2000 characters each",
            ));
        }
    }
    let mut links = Vec::with_capacity(input.links.len());
    for link in input.links {
        let url = url::Url::parse(link.url.trim())
            .map_err(|_| invalid(format!("link {:?} is not a URL", link.url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(format!(
                "link {:?} must be http or https",
                link.url
            )));
        }
        let label = link.label.trim().to_owned();
        if label.is_empty() || label.chars().count() > 100 {
            return Err(invalid("link labels must be 1-100 characters"));
        }
        links.push(ReleaseLink {
            url: url.to_string(),
            label,
            ..link
        });
    }
    let mut tags: Vec<String> = Vec::new();
    for tag in input.hashtags {
        let tag = tag.trim().trim_start_matches('#').to_owned();
        let valid = !tag.is_empty()
            && tag.chars().count() <= 100
            && tag.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !valid {
            return Err(invalid(format!(
                "hashtag {tag:?} may hold only letters, digits and _"
            )));
        }
        if !tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            tags.push(tag);
        }
    }

    let mut media = MediaSet::new();
    let own = |id: &str, kind: &'static str| {
        let id = id.to_owned();
        let db = db.clone();
        let artist_id = artist.id;
        async move {
            match db::media::by_id(&db, &id).await? {
                Some(m) if m.artist_id == artist_id && m.kind == kind => Ok(m),
                _ => Err(invalid(format!("{id} is not one of your {kind} uploads"))),
            }
        }
    };
    if let Some(cover) = &input.cover_media_id {
        let m = own(cover, "image").await?;
        media.insert(m.id.clone(), m);
    }
    let mut tracks = Vec::with_capacity(input.tracks.len());
    for track in input.tracks {
        let title = track.title.trim().to_owned();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(invalid("track titles must be 1-200 characters"));
        }
        let mut duration = track.duration_secs.map(|d| d.min(24 * 3600) as i32);
        if let Some(preview) = &track.preview_media_id {
            let m = own(preview, "audio").await?;
            // Without a given length, the preview's is the best guess.
            if duration.is_none() {
                duration = m.duration_ms.map(|ms| ((ms + 500) / 1000) as i32);
            }
            media.insert(m.id.clone(), m);
        }
        tracks.push(TrackFields {
            title,
            duration_secs: duration,
            preview_media_id: track.preview_media_id,
        });
    }
    let fields = ReleaseFields {
        title,
        kind: input.kind.as_str().to_owned(),
        release_date: input.release_date,
        description_html: super::posts::render_markdown(&input.description),
        description_source: input.description,
        cover_media_id: input.cover_media_id,
        links: serde_json::to_string(&links).map_err(|e| DomainError::Internal(e.to_string()))?,
        hashtags: serde_json::to_string(&tags).map_err(|e| DomainError::Internal(e.to_string()))?,
        license: input.license.trim().to_owned(),
        credits: input.credits.trim().to_owned(),
    };
    Ok((fields, tracks, media))
}

fn state_of(
    publication: Publication,
) -> Result<(&'static str, Option<NaiveDateTime>), DomainError> {
    match publication {
        Publication::Draft => Ok(("draft", None)),
        Publication::Now => Ok(("published", None)),
        Publication::At(at) if at <= db::now() => Ok(("published", None)),
        Publication::At(at) => Ok(("scheduled", Some(at))),
    }
}

/// Creates a release; published at once it is announced (`Create`) in the same transaction.
pub async fn create(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    input: ReleaseInput,
    publication: Publication,
) -> Result<(ReleaseRow, Vec<TrackRow>), DomainError> {
    let (fields, tracks, media) = validate(db, artist, input).await?;
    let (state, publish_at) = state_of(publication)?;
    let announce: Option<db::releases::Announce> = (state == "published").then(|| {
        Box::new(|r: &ReleaseRow, t: &[TrackRow]| publisher.release_published(artist, r, t, &media))
            as db::releases::Announce
    });
    let created =
        db::releases::insert(db, artist.id, &fields, &tracks, state, publish_at, announce).await?;
    if state == "published" {
        publisher.queued();
    }
    Ok(created)
}

/// One of the artist's releases, not deleted.
pub async fn own(db: &Db, artist: &Artist, id: i64) -> Result<ReleaseRow, DomainError> {
    let release = db::releases::by_id(db, id)
        .await?
        .filter(|r| r.artist_id == artist.id)
        .ok_or(DomainError::NotFound("release"))?;
    if release.deleted_at.is_some() {
        return Err(DomainError::Gone("release was deleted"));
    }
    Ok(release)
}

/// Replaces a release's content. A published release stays published and its followers get an
/// `Update`; a draft or scheduled one follows `publication` (and is announced if that is now).
pub async fn update(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    id: i64,
    input: ReleaseInput,
    publication: Publication,
) -> Result<(ReleaseRow, Vec<TrackRow>), DomainError> {
    let release = own(db, artist, id).await?;
    let (fields, tracks, media) = validate(db, artist, input).await?;
    let was_published = release.state == "published";
    let (state, publish_at) = if was_published {
        ("published", None)
    } else {
        state_of(publication)?
    };
    let announce: Option<db::releases::Announce> = match (was_published, state) {
        (true, _) => Some(Box::new(|r: &ReleaseRow, t: &[TrackRow]| {
            publisher.release_updated(artist, r, t, &media)
        })),
        (false, "published") => Some(Box::new(|r: &ReleaseRow, t: &[TrackRow]| {
            publisher.release_published(artist, r, t, &media)
        })),
        _ => None,
    };
    let announced = announce.is_some();
    let updated =
        db::releases::update(db, &release, &fields, &tracks, state, publish_at, announce).await?;
    if announced {
        publisher.queued();
    }
    Ok(updated)
}

/// Puts a release's tracks in a new order. `order` lists the current positions (1-based) in the
/// new order, each exactly once; titles, lengths and previews move with their track. Nothing
/// else changes; a published release's followers get an `Update` (none when the order is the
/// same).
pub async fn reorder_tracks(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    id: i64,
    order: &[usize],
) -> Result<(ReleaseRow, Vec<TrackRow>), DomainError> {
    let release = own(db, artist, id).await?;
    let tracks = db::releases::tracks_of(db, release.id).await?;
    let n = tracks.len();
    let mut seen = vec![false; n];
    let is_permutation = order.len() == n
        && order
            .iter()
            .all(|&p| (1..=n).contains(&p) && !std::mem::replace(&mut seen[p - 1], true));
    if !is_permutation {
        return Err(invalid(format!(
            "the new order must give each of the {n} tracks a different position from 1 to {n}"
        )));
    }
    if order.iter().enumerate().all(|(i, &p)| p == i + 1) {
        return Ok((release, tracks));
    }
    let input = ReleaseInput {
        title: release.title.clone(),
        kind: ReleaseKind::parse(&release.kind).unwrap_or(ReleaseKind::Other),
        release_date: release.release_date,
        description: release.description_source.clone(),
        cover_media_id: release.cover_media_id.clone(),
        tracks: order
            .iter()
            .map(|&p| {
                let t = &tracks[p - 1];
                TrackInput {
                    title: t.title.clone(),
                    duration_secs: t.duration_secs.map(|d| d.max(0) as u32),
                    preview_media_id: t.preview_media_id.clone(),
                }
            })
            .collect(),
        links: links(&release),
        hashtags: hashtags(&release),
        license: release.license.clone(),
        credits: release.credits.clone(),
    };
    // The state stays as it is: `update` keeps a published release published.
    let publication = match (release.state.as_str(), release.publish_at) {
        ("published", _) => Publication::Now,
        ("scheduled", Some(at)) => Publication::At(at),
        _ => Publication::Draft,
    };
    update(db, publisher, artist, id, input, publication).await
}

/// Publishes a draft or scheduled release now.
pub async fn publish_now(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    id: i64,
) -> Result<ReleaseRow, DomainError> {
    let release = own(db, artist, id).await?;
    if release.state == "published" {
        return Err(DomainError::Conflict(
            "release is published already".to_owned(),
        ));
    }
    announce_publication(db, publisher, artist, &release).await?;
    own(db, artist, id).await
}

async fn announce_publication(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    release: &ReleaseRow,
) -> Result<bool, DomainError> {
    let tracks = db::releases::tracks_of(db, release.id).await?;
    let media = media_of(db, release, &tracks).await?;
    let published = db::releases::publish(
        db,
        release,
        Box::new(|r: &ReleaseRow, t: &[TrackRow]| {
            publisher.release_published(artist, r, t, &media)
        }),
    )
    .await?;
    if published {
        publisher.queued();
    }
    Ok(published)
}

/// Deletes a release; if it was published, followers get a `Delete` and its id a Tombstone.
pub async fn delete(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    id: i64,
) -> Result<(), DomainError> {
    let release = own(db, artist, id).await?;
    let published = release.state == "published";
    let object_id = publisher.release_object_id(artist, &release);
    let announce: Option<db::releases::Announce> = published.then(|| {
        Box::new(|r: &ReleaseRow, _: &[TrackRow]| publisher.release_deleted(artist, r))
            as db::releases::Announce
    });
    if db::releases::delete(db, &release, &object_id, announce).await? && published {
        publisher.queued();
    }
    Ok(())
}

/// Publishes every scheduled release whose time has come. Safe to run in several processes at
/// once: each release is published by exactly one of them. Returns how many this call published.
pub async fn publish_due(db: &Db, publisher: &dyn Publisher) -> Result<usize, DomainError> {
    let mut published = 0;
    for release in db::releases::due(db, db::now(), 50).await? {
        let Some(artist) = db::artists::by_id(db, release.artist_id).await? else {
            continue;
        };
        if announce_publication(db, publisher, &artist, &release).await? {
            tracing::info!(release = release.id, artist = %artist.username, "scheduled release published");
            published += 1;
        }
    }
    Ok(published)
}

/// The media files a release uses.
pub async fn media_of(
    db: &Db,
    release: &ReleaseRow,
    tracks: &[TrackRow],
) -> Result<MediaSet, DomainError> {
    let mut media = MediaSet::new();
    let ids = release
        .cover_media_id
        .iter()
        .chain(tracks.iter().filter_map(|t| t.preview_media_id.as_ref()));
    for id in ids {
        if let Some(m) = db::media::by_id(db, id).await? {
            media.insert(m.id.clone(), m);
        }
    }
    Ok(media)
}
