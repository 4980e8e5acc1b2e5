//! Uploaded media: images (covers, photos) and audio (tracks).
//!
//! An upload is streamed to a staging file while its bytes are counted ([`Upload`]), its kind is
//! decided from its first bytes (never from a name or a client's MIME type), then it is checked
//! and processed ([`image::process`] re-encodes images, [`audio::probe`] reads audio), moved into
//! [`storage`] under a random name, and only then recorded as a [`MediaRow`]. Whatever fails on
//! the way leaves no file and no row behind.
//!
//! Stored names are `{id}.{ext}` and, for images, `{id}.thumb.jpg`, where `id` is the row's
//! random id; [`MediaRow::url`] and [`MediaRow::thumbnail_url`] give their public URLs.

pub mod audio;
pub mod image;
pub mod s3;
pub mod storage;

use std::{io, sync::Arc};

use tokio::io::AsyncWriteExt;

use crate::{
    config::Limits,
    db::{self, media::MediaRow, Db, DbError},
    urls::Urls,
};
use storage::{MediaStorage, Staged};

/// Why an upload was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Not a file type Roadie accepts (HTTP 415).
    #[error("{0}")]
    Unsupported(String),
    /// Bigger than the limit, in bytes or pixels (HTTP 413).
    #[error("{0}")]
    TooLarge(String),
    /// A supported type, but damaged, truncated or with bad accompanying fields (HTTP 422).
    #[error("{0}")]
    Invalid(String),
    /// Not one of the artist's files (HTTP 404).
    #[error("media not found")]
    NotFound,
    /// Still used by a release or show (HTTP 409).
    #[error("{0}")]
    InUse(String),
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Longest description (alt text), in characters, as Mastodon.
pub const MAX_DESCRIPTION_CHARS: usize = 1500;

/// What an upload is, decided from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Audio,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Audio => "audio",
        }
    }

    /// The largest upload of this kind.
    pub fn max_bytes(self, limits: &Limits) -> u64 {
        match self {
            MediaKind::Image => limits.media_max_image_bytes,
            MediaKind::Audio => limits.media_max_audio_bytes,
        }
    }

    /// The kind of a file starting with `head`, if it is one Roadie may accept. `head` should
    /// hold at least [`SNIFF_LEN`] bytes unless the file is shorter.
    pub fn sniff(head: &[u8]) -> Option<MediaKind> {
        if image::sniff(head).is_some() {
            Some(MediaKind::Image)
        } else if audio::sniff(head).is_some() {
            Some(MediaKind::Audio)
        } else {
            None
        }
    }
}

/// Bytes needed to decide a file's kind.
pub const SNIFF_LEN: usize = 16;

/// A focal point as Mastodon uses it: x and y in -1.0..=1.0, centre 0,0, y up.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Focus {
    pub x: f64,
    pub y: f64,
}

impl Focus {
    pub fn new(x: f64, y: f64) -> Result<Focus, MediaError> {
        let ok = |v: f64| v.is_finite() && (-1.0..=1.0).contains(&v);
        if ok(x) && ok(y) {
            Ok(Focus { x, y })
        } else {
            Err(MediaError::Invalid(
                "focus must be two numbers from -1.0 to 1.0".to_owned(),
            ))
        }
    }

    /// Parses `"x,y"` (Mastodon's form field).
    pub fn parse(text: &str) -> Result<Focus, MediaError> {
        let bad =
            || MediaError::Invalid("focus must be \"x,y\" with x and y from -1.0 to 1.0".into());
        let (x, y) = text.split_once(',').ok_or_else(bad)?;
        let x = x.trim().parse::<f64>().map_err(|_| bad())?;
        let y = y.trim().parse::<f64>().map_err(|_| bad())?;
        Focus::new(x, y).map_err(|_| bad())
    }
}

/// Checks a description (alt text) and returns it trimmed.
pub fn check_description(text: &str) -> Result<String, MediaError> {
    let text = text.trim();
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(MediaError::Invalid(format!(
            "the description is longer than {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    Ok(text.to_owned())
}

/// True for names Roadie gives stored files, and only those: `{32 hex}.{ext}` with one of our
/// extensions, or `{32 hex}.thumb.jpg`. Anything else (paths, dots, other extensions) is not ours.
pub fn is_stored_name(name: &str) -> bool {
    content_type_of_name(name).is_some()
}

/// The content type a stored file is served with, from Roadie's own extension mapping; `None`
/// for a name that is not one of ours.
pub fn content_type_of_name(name: &str) -> Option<&'static str> {
    let (id, ext) = name.split_once('.')?;
    if id.len() != 32
        || !id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    match ext {
        "thumb.jpg" => Some("image/jpeg"),
        _ => image::OutputFormat::from_extension(ext)
            .map(|f| f.content_type())
            .or_else(|| audio::AudioContainer::from_extension(ext).map(|c| c.content_type())),
    }
}

impl MediaRow {
    /// The kind of this file.
    pub fn media_kind(&self) -> MediaKind {
        if self.kind == "audio" {
            MediaKind::Audio
        } else {
            MediaKind::Image
        }
    }

    /// The public URL of the file.
    pub fn url(&self, urls: &Urls) -> url::Url {
        urls.media(&self.file_name)
    }

    /// The public URL of the preview image (images only).
    pub fn thumbnail_url(&self, urls: &Urls) -> Option<url::Url> {
        self.thumbnail_file.as_deref().map(|f| urls.media(f))
    }

    /// The focal point, when one was set.
    pub fn focus(&self) -> Option<Focus> {
        Some(Focus {
            x: self.focal_x?,
            y: self.focal_y?,
        })
    }
}

/// An upload being received: written to a staging file, counted, its kind decided from its
/// first bytes. Dropping it (an interrupted request) removes the staging file.
pub struct Upload {
    staged: Staged,
    file: tokio::fs::File,
    size: u64,
    head: Vec<u8>,
    kind: Option<MediaKind>,
    max_image: u64,
    max_audio: u64,
}

impl Upload {
    pub async fn start(storage: &dyn MediaStorage, limits: &Limits) -> Result<Upload, MediaError> {
        let staged = Staged::new(storage.staging_dir());
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(staged.path())
            .await?;
        Ok(Upload {
            staged,
            file,
            size: 0,
            head: Vec::with_capacity(SNIFF_LEN),
            kind: None,
            max_image: limits.media_max_image_bytes,
            max_audio: limits.media_max_audio_bytes,
        })
    }

    /// Appends a chunk. Refuses as soon as the kind is known to be unsupported or the size
    /// passes the limit of its kind.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), MediaError> {
        if self.kind.is_none() && self.head.len() < SNIFF_LEN {
            let take = chunk.len().min(SNIFF_LEN - self.head.len());
            self.head.extend_from_slice(&chunk[..take]);
            if self.head.len() == SNIFF_LEN {
                self.decide()?;
            }
        }
        self.size += chunk.len() as u64;
        self.check_size()?;
        self.file.write_all(chunk).await?;
        Ok(())
    }

    fn decide(&mut self) -> Result<MediaKind, MediaError> {
        if let Some(kind) = self.kind {
            return Ok(kind);
        }
        let kind = MediaKind::sniff(&self.head).ok_or_else(|| {
            MediaError::Unsupported(
                "unsupported file type: images must be JPEG, PNG, WebP or GIF, audio MP3, \
                 Ogg (Vorbis or Opus), FLAC, M4A (AAC) or WAV"
                    .to_owned(),
            )
        })?;
        self.kind = Some(kind);
        Ok(kind)
    }

    fn check_size(&self) -> Result<(), MediaError> {
        let (limit, what) = match self.kind {
            Some(MediaKind::Image) => (self.max_image, "images"),
            Some(MediaKind::Audio) => (self.max_audio, "audio files"),
            None => (self.max_image.max(self.max_audio), "uploads"),
        };
        if self.size > limit {
            return Err(MediaError::TooLarge(format!(
                "{what} are limited to {} bytes",
                limit
            )));
        }
        Ok(())
    }

    /// The upload is complete: flushes it and decides its kind.
    pub async fn finish(mut self) -> Result<Received, MediaError> {
        if self.size == 0 {
            return Err(MediaError::Invalid("the file is empty".to_owned()));
        }
        let kind = self.decide()?;
        self.check_size()?;
        self.file.flush().await?;
        self.file.sync_all().await?;
        Ok(Received {
            staged: self.staged,
            kind,
        })
    }
}

/// A complete upload in its staging file, of a kind Roadie accepts (not yet checked further).
pub struct Received {
    staged: Staged,
    kind: MediaKind,
}

impl Received {
    pub fn kind(&self) -> MediaKind {
        self.kind
    }
}

/// What the artist said about an upload.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub description: String,
    pub focus: Option<Focus>,
}

/// Removes stored files on drop unless disarmed, also when the request is dropped half-way.
struct StoredGuard {
    storage: Arc<dyn MediaStorage>,
    names: Vec<String>,
}

impl Drop for StoredGuard {
    fn drop(&mut self) {
        if self.names.is_empty() {
            return;
        }
        let storage = self.storage.clone();
        let names = std::mem::take(&mut self.names);
        let remove = async move {
            for name in names {
                if let Err(e) = storage.delete(&name).await {
                    tracing::warn!(%name, error = %e, "cannot remove media file");
                }
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(remove);
            }
            Err(_) => tracing::warn!("no runtime to remove media files of a failed upload"),
        }
    }
}

/// Checks and processes a received upload, stores its files and records the row.
pub async fn ingest(
    db: &Db,
    storage: &Arc<dyn MediaStorage>,
    artist_id: i64,
    received: Received,
    details: Details,
) -> Result<MediaRow, MediaError> {
    let Received { mut staged, kind } = received;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut guard = StoredGuard {
        storage: storage.clone(),
        names: Vec::new(),
    };
    let path = staged.path().to_owned();
    let mut row = MediaRow {
        id: id.clone(),
        artist_id,
        kind: kind.as_str().to_owned(),
        content_type: String::new(),
        file_name: String::new(),
        size_bytes: 0,
        width: None,
        height: None,
        duration_ms: None,
        blurhash: None,
        thumbnail_file: None,
        alt_text: details.description,
        focal_x: details.focus.map(|f| f.x),
        focal_y: details.focus.map(|f| f.y),
        created_at: chrono::Utc::now().naive_utc(),
    };
    match kind {
        MediaKind::Image => {
            let image = blocking(move || {
                let data = std::fs::read(&path)?;
                image::process(&data, image::MAX_PIXELS)
            })
            .await?;
            drop(staged);
            let file_name = format!("{id}.{}", image.format.extension());
            let thumbnail_file = format!("{id}.thumb.jpg");
            guard.names.push(file_name.clone());
            storage.put_bytes(&file_name, &image.bytes).await?;
            guard.names.push(thumbnail_file.clone());
            storage.put_bytes(&thumbnail_file, &image.thumbnail).await?;
            row.content_type = image.format.content_type().to_owned();
            row.file_name = file_name;
            row.size_bytes = image.bytes.len() as i64;
            row.width = Some(image.width as i32);
            row.height = Some(image.height as i32);
            row.blurhash = Some(image.blurhash);
            row.thumbnail_file = Some(thumbnail_file);
        }
        MediaKind::Audio => {
            let probed = blocking(move || audio::probe(&path)).await?;
            let size = tokio::fs::metadata(staged.path()).await?.len();
            let file_name = format!("{id}.{}", probed.container.extension());
            guard.names.push(file_name.clone());
            storage.put(&file_name, staged.path()).await?;
            staged.disarm();
            row.content_type = probed.container.content_type().to_owned();
            row.file_name = file_name;
            row.size_bytes = size as i64;
            row.duration_ms = Some(probed.duration_ms as i64);
        }
    }
    db::media::insert(db, &row).await?;
    guard.names.clear();
    Ok(row)
}

/// Deletes one of an artist's files: the row first, then the stored files, so that no row
/// ever names a missing file (a failure in between leaves an unnamed file, logged). Refused
/// while a release or show that is not deleted uses it.
pub async fn delete(
    db: &Db,
    storage: &dyn MediaStorage,
    artist_id: i64,
    id: &str,
) -> Result<(), MediaError> {
    let row = match db::media::delete_unused(db, id, artist_id).await? {
        db::media::MediaDeletion::Deleted(row) => row,
        db::media::MediaDeletion::NotFound => return Err(MediaError::NotFound),
        db::media::MediaDeletion::InUse => {
            return Err(MediaError::InUse(
                "a release or show uses this file: change or delete it first".to_owned(),
            ))
        }
    };
    for name in std::iter::once(&row.file_name).chain(row.thumbnail_file.as_ref()) {
        if let Err(e) = storage.delete(name).await {
            tracing::warn!(%name, error = %e, "media row deleted but its file could not be removed");
        }
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, MediaError> + Send + 'static,
) -> Result<T, MediaError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| MediaError::Io(io::Error::other(e)))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_are_ours_only() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            content_type_of_name(&format!("{id}.jpg")),
            Some("image/jpeg")
        );
        assert_eq!(
            content_type_of_name(&format!("{id}.png")),
            Some("image/png")
        );
        assert_eq!(
            content_type_of_name(&format!("{id}.thumb.jpg")),
            Some("image/jpeg")
        );
        assert_eq!(
            content_type_of_name(&format!("{id}.mp3")),
            Some("audio/mpeg")
        );
        assert_eq!(
            content_type_of_name(&format!("{id}.ogg")),
            Some("audio/ogg")
        );
        assert_eq!(
            content_type_of_name(&format!("{id}.flac")),
            Some("audio/flac")
        );
        assert_eq!(
            content_type_of_name(&format!("{id}.m4a")),
            Some("audio/mp4")
        );
        assert_eq!(
            content_type_of_name(&format!("{id}.wav")),
            Some("audio/wav")
        );
        for bad in [
            format!("{id}.html"),
            format!("{id}.svg"),
            format!("{id}.JPG"),
            format!("{}.jpg", id.to_uppercase()),
            format!("{id}.thumb.png"),
            id.to_string(),
            format!("../{id}.jpg"),
            format!("{id}.jpg/.."),
            format!(".upload-{id}.part"),
            "..".to_owned(),
            "x.jpg".to_owned(),
        ] {
            assert_eq!(content_type_of_name(&bad), None, "{bad}");
        }
    }

    #[test]
    fn focus_parses_like_mastodon() {
        assert_eq!(Focus::parse("0.5,-1").unwrap(), Focus { x: 0.5, y: -1.0 });
        assert_eq!(
            Focus::parse(" -0.25 , 0 ").unwrap(),
            Focus { x: -0.25, y: 0.0 }
        );
        for bad in ["", "1", "1,2", "a,b", "NaN,0", "0,inf", "0.1,0.2,0.3"] {
            assert!(Focus::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sniffing_decides_by_content() {
        assert_eq!(
            MediaKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(MediaKind::Image)
        );
        assert_eq!(
            MediaKind::sniff(b"\xff\xd8\xff\xe0\0\x10JFIF\0"),
            Some(MediaKind::Image)
        );
        assert_eq!(
            MediaKind::sniff(b"RIFF\0\0\0\0WAVEfmt "),
            Some(MediaKind::Audio)
        );
        assert_eq!(
            MediaKind::sniff(b"OggS\0\x02\0\0\0\0\0\0\0\0"),
            Some(MediaKind::Audio)
        );
        assert_eq!(MediaKind::sniff(b"<!DOCTYPE html><html>"), None);
        assert_eq!(
            MediaKind::sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\">"),
            None
        );
        assert_eq!(
            MediaKind::sniff(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"),
            None
        );
        assert_eq!(MediaKind::sniff(b"#!/bin/sh\necho pwned\n"), None);
    }
}
