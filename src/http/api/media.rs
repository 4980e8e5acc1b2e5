//! Media uploads: images and audio an artist attaches to releases and posts.

use axum::{
    extract::{
        multipart::{MultipartError, MultipartRejection},
        Multipart, Path, State,
    },
    http::StatusCode,
};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::{auth::ApiArtist, json::ApiJson};
use crate::{
    db::{self, media::MediaRow},
    http::error::{AppError, ErrorBody},
    media::{self, Details, Focus, Upload},
    AppState,
};

/// Room for the form's other fields and framing, on top of the largest file accepted.
const FORM_OVERHEAD_BYTES: u64 = 64 * 1024;
/// Longest text field read (description, focus), in bytes.
const MAX_TEXT_FIELD_BYTES: usize = 16 * 1024;

/// The multipart form of an upload (for the API description only).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The image (JPEG, PNG, WebP, GIF; at most 16 MiB and 40 megapixels) or audio file (MP3,
    /// Ogg Vorbis or Opus, FLAC, M4A/AAC, WAV; at most 50 MiB). The type is read from the content.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Alt text (at most 1500 characters).
    description: Option<String>,
    /// Focal point "x,y", each from -1.0 to 1.0 (as Mastodon).
    focus: Option<String>,
}

/// A stored media file as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct MediaView {
    id: String,
    /// `image` or `audio`.
    kind: String,
    /// Where the file is served.
    url: String,
    /// A JPEG thumbnail at most 400 px on its longest side (images only).
    preview_url: Option<String>,
    /// The type Roadie detected from the content and serves the file with.
    content_type: String,
    size_bytes: i64,
    width: Option<i32>,
    height: Option<i32>,
    /// Length of audio, in milliseconds.
    duration_ms: Option<i64>,
    /// Blurhash of an image (4×3 components).
    blurhash: Option<String>,
    /// Alt text.
    description: String,
    focus: Option<Focus>,
}

impl MediaView {
    pub fn new(state: &AppState, row: &MediaRow) -> MediaView {
        MediaView {
            id: row.id.clone(),
            kind: row.kind.clone(),
            url: row.url(&state.urls).to_string(),
            preview_url: row.thumbnail_url(&state.urls).map(|u| u.to_string()),
            content_type: row.content_type.clone(),
            size_bytes: row.size_bytes,
            width: row.width,
            height: row.height,
            duration_ms: row.duration_ms,
            blurhash: row.blurhash.clone(),
            description: row.alt_text.clone(),
            focus: row.focus(),
        }
    }
}

/// Upload an image or audio file.
#[utoipa::path(
    post, path = "/api/v1/media", tag = "media",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored", body = MediaView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 413, description = "File too large (bytes or pixels)", body = ErrorBody),
        (status = 415, description = "Not an accepted image or audio type", body = ErrorBody),
        (status = 422, description = "Damaged file, missing file, or bad description or focus", body = ErrorBody),
    )
)]
pub async fn upload(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, axum::Json<MediaView>), AppError> {
    let mut multipart = multipart.map_err(|r| AppError::BadRequest(r.body_text()))?;
    let limits = &state.config.limits;
    // The route has no general body limit; this one covers the whole form.
    let mut budget = limits
        .media_max_image_bytes
        .max(limits.media_max_audio_bytes)
        .saturating_add(FORM_OVERHEAD_BYTES);
    let mut received = None;
    let mut details = Details::default();
    while let Some(mut field) = multipart.next_field().await.map_err(form_error)? {
        match field.name().unwrap_or_default() {
            "file" => {
                if received.is_some() {
                    return Err(AppError::Unprocessable(
                        "send one file per upload".to_owned(),
                    ));
                }
                let mut upload = Upload::start(state.media.as_ref(), limits).await?;
                while let Some(chunk) = field.chunk().await.map_err(form_error)? {
                    spend(&mut budget, chunk.len())?;
                    upload.write(&chunk).await?;
                }
                received = Some(upload.finish().await?);
            }
            "description" => {
                details.description =
                    media::check_description(&read_text(&mut field, &mut budget).await?)?;
            }
            "focus" => {
                let text = read_text(&mut field, &mut budget).await?;
                details.focus = match text.trim() {
                    "" => None,
                    t => Some(Focus::parse(t)?),
                };
            }
            _ => {
                while let Some(chunk) = field.chunk().await.map_err(form_error)? {
                    spend(&mut budget, chunk.len())?;
                }
            }
        }
    }
    let received = received.ok_or_else(|| {
        AppError::Unprocessable("the form has no file field named \"file\"".to_owned())
    })?;
    let row = media::ingest(&state.db, &state.media, artist.id, received, details).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(MediaView::new(&state, &row)),
    ))
}

fn spend(budget: &mut u64, n: usize) -> Result<(), AppError> {
    *budget = budget
        .checked_sub(n as u64)
        .ok_or(AppError::PayloadTooLarge)?;
    Ok(())
}

async fn read_text(
    field: &mut axum::extract::multipart::Field<'_>,
    budget: &mut u64,
) -> Result<String, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(form_error)? {
        spend(budget, chunk.len())?;
        if bytes.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
            return Err(AppError::Unprocessable(format!(
                "the field {:?} is too long",
                field.name().unwrap_or_default()
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| AppError::Unprocessable("text fields must be UTF-8".to_owned()))
}

fn form_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest(e.body_text())
    }
}

async fn own_media(state: &AppState, artist_id: i64, id: &str) -> Result<MediaRow, AppError> {
    db::media::by_id(&state.db, id)
        .await?
        .filter(|m| m.artist_id == artist_id)
        .ok_or_else(|| AppError::not_found("media"))
}

/// One of the artist's media files.
#[utoipa::path(
    get, path = "/api/v1/media/{id}", tag = "media",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Media id")),
    responses(
        (status = 200, description = "The media file", body = MediaView),
        (status = 404, description = "No such media of this artist", body = ErrorBody),
    )
)]
pub async fn get_media(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<String>,
) -> Result<axum::Json<MediaView>, AppError> {
    let row = own_media(&state, artist.id, &id).await?;
    Ok(axum::Json(MediaView::new(&state, &row)))
}

/// A change to a media file's description or focal point.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaUpdate {
    /// New alt text (at most 1500 characters); unchanged when left out.
    description: Option<String>,
    /// New focal point, `"x,y"` or `{"x": …, "y": …}` with each from -1.0 to 1.0; `null`
    /// removes it; unchanged when left out.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    focus: Option<Option<FocusInput>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FocusInput {
    Text(String),
    Point { x: f64, y: f64 },
}

/// A field that is present (possibly `null`) becomes `Some`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Change the description (alt text) or focal point of one of the artist's media files.
#[utoipa::path(
    put, path = "/api/v1/media/{id}", tag = "media", request_body = MediaUpdate,
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Media id")),
    responses(
        (status = 200, description = "Updated", body = MediaView),
        (status = 404, description = "No such media of this artist", body = ErrorBody),
        (status = 422, description = "Invalid description or focus", body = ErrorBody),
    )
)]
pub async fn update_media(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MediaUpdate>,
) -> Result<axum::Json<MediaView>, AppError> {
    let row = own_media(&state, artist.id, &id).await?;
    let description = match body.description {
        Some(text) => media::check_description(&text)?,
        None => row.alt_text.clone(),
    };
    let focus = match body.focus {
        None => row.focus(),
        Some(None) => None,
        Some(Some(FocusInput::Text(t))) => Some(Focus::parse(&t)?),
        Some(Some(FocusInput::Point { x, y })) => Some(Focus::new(x, y)?),
    };
    let row = db::media::update_description(
        &state.db,
        &row.id,
        artist.id,
        &description,
        focus.map(|f| (f.x, f.y)),
    )
    .await?
    .ok_or_else(|| AppError::not_found("media"))?;
    Ok(axum::Json(MediaView::new(&state, &row)))
}

/// Delete one of the artist's media files (row and stored files). Refused while a release or
/// show that is not deleted uses it; deleted ones let go of it.
#[utoipa::path(
    delete, path = "/api/v1/media/{id}", tag = "media",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Media id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such media of this artist", body = ErrorBody),
        (status = 409, description = "A release or show uses it", body = ErrorBody),
    )
)]
pub async fn delete_media(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    media::delete(&state.db, state.media.as_ref(), artist.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
