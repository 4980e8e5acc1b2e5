//! Form helpers: errors shown next to their fields, and multipart forms with uploads.

use std::collections::HashMap;

use axum::{
    extract::{multipart::MultipartError, FromRequest, FromRequestParts, Multipart, Request},
    http::StatusCode,
};

use super::{csrf_refused, same_token, Authed, WebError};
use crate::{
    db::media::MediaRow,
    domain::DomainError,
    http::error::AppError,
    media::{self, Details, Received, Upload},
    AppState,
};

/// Messages for the fields of a form; `"form"` is the whole form.
#[derive(Debug, Default)]
pub struct FormErrors(Vec<(String, String)>);

impl FormErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.to_owned(), message.into()));
    }

    /// The message for `field`, if any (used by the templates).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Places a domain refusal next to the field it is about: the first of `fields` (pairs of
    /// field name and a word the message starts with) that matches, else on the whole form.
    /// Errors other than refusals of the input are passed on.
    pub fn domain(&mut self, e: DomainError, fields: &[(&str, &str)]) -> Result<(), WebError> {
        let message = match e {
            DomainError::Invalid(m) | DomainError::Conflict(m) => m,
            other => return Err(other.into()),
        };
        let lower = message.to_lowercase();
        let field = fields
            .iter()
            .find(|(_, word)| lower.starts_with(word) || lower.contains(&format!(" {word}")))
            .map(|(f, _)| *f)
            .unwrap_or("form");
        self.add(field, capitalise(&message));
        Ok(())
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Room for the form's text fields and framing on top of the files.
const FORM_OVERHEAD_BYTES: u64 = 256 * 1024;
/// Longest text field read, in bytes.
const MAX_TEXT_FIELD_BYTES: usize = 64 * 1024;
/// Most files in one form.
const MAX_FILES: usize = 101;

/// A multipart form of a signed-in user. Its first field must be `csrf` with the session's
/// token: nothing else is read (or stored) before that check.
pub struct CsrfMultipart(pub Authed, pub Multipart);

impl FromRequest<AppState> for CsrfMultipart {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = req.into_parts();
        let authed = Authed::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let multipart = Multipart::from_request(req, state)
            .await
            .map_err(|r| AppError::BadRequest(r.body_text()))?;
        Ok(CsrfMultipart(authed, multipart))
    }
}

impl CsrfMultipart {
    /// Reads a multipart form of text only (a CSV import): every field, uploaded files
    /// included, as UTF-8 text by field name. The first field must be the CSRF token, as in
    /// [`MultipartFields::read`]; the router's body limit bounds the whole form.
    pub async fn text_fields(self) -> Result<(Authed, HashMap<String, String>), WebError> {
        let CsrfMultipart(authed, mut multipart) = self;
        let mut fields = HashMap::new();
        let mut checked = false;
        while let Some(field) = multipart.next_field().await.map_err(form_error)? {
            let name = field.name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(form_error)?;
            if !checked {
                let token = std::str::from_utf8(&bytes).unwrap_or_default();
                if name != "csrf" || !same_token(token, &authed.session.csrf_token) {
                    return Err(csrf_refused());
                }
                checked = true;
                continue;
            }
            let text = String::from_utf8(bytes.to_vec())
                .map_err(|_| AppError::Unprocessable(format!("{name} must be UTF-8 text")))?;
            fields.insert(name, text);
        }
        if !checked {
            return Err(csrf_refused());
        }
        Ok((authed, fields))
    }
}

/// The fields of a multipart form: text by name, and uploaded files (already checked and
/// stored as the artist's media) by field name, in order.
#[derive(Default)]
pub struct MultipartFields {
    pub text: HashMap<String, String>,
    pub files: HashMap<String, Vec<MediaRow>>,
}

impl MultipartFields {
    pub fn text(&self, name: &str) -> String {
        self.text.get(name).cloned().unwrap_or_default()
    }

    /// Reads the form: checks the CSRF token, streams each non-empty file through the media
    /// checks (`media::ingest`, as the API's uploads) into the artist's media. A refused file
    /// is reported as an error on its field; the rest of the form is still read.
    pub async fn read(
        state: &AppState,
        form: CsrfMultipart,
        artist_id: i64,
        errors: &mut FormErrors,
    ) -> Result<(Authed, MultipartFields), WebError> {
        let CsrfMultipart(authed, mut multipart) = form;
        let limits = &state.config.limits;
        let mut budget = limits
            .media_max_image_bytes
            .max(limits.media_max_audio_bytes)
            .saturating_mul(4)
            .saturating_add(FORM_OVERHEAD_BYTES);
        let mut fields = MultipartFields::default();
        let mut checked = false;
        let mut files = 0usize;
        while let Some(mut field) = multipart.next_field().await.map_err(form_error)? {
            let name = field.name().unwrap_or_default().to_owned();
            if !checked {
                let token = read_text(&mut field, &mut budget).await?;
                if name != "csrf" || !same_token(&token, &authed.session.csrf_token) {
                    return Err(csrf_refused());
                }
                checked = true;
                continue;
            }
            if field.file_name().is_some() {
                files += 1;
                if files > MAX_FILES {
                    return Err(
                        AppError::Unprocessable("too many files in one form".to_owned()).into(),
                    );
                }
                let mut upload = Upload::start(state.media.as_ref(), limits).await?;
                let mut size = 0usize;
                let mut refused = None;
                while let Some(chunk) = field.chunk().await.map_err(form_error)? {
                    spend(&mut budget, chunk.len())?;
                    size += chunk.len();
                    if refused.is_none() {
                        if let Err(e) = upload.write(&chunk).await {
                            refused = Some(e);
                        }
                    }
                }
                if size == 0 {
                    continue; // an empty file input: nothing chosen
                }
                let stored: Result<MediaRow, media::MediaError> = match refused {
                    Some(e) => Err(e),
                    None => match upload.finish().await {
                        Ok(received) => ingest(state, artist_id, received).await,
                        Err(e) => Err(e),
                    },
                };
                match stored {
                    Ok(row) => fields.files.entry(name).or_default().push(row),
                    Err(e) => errors.add(&name, upload_message(e)),
                }
            } else {
                let text = read_text(&mut field, &mut budget).await?;
                fields.text.insert(name, text);
            }
        }
        if !checked {
            return Err(csrf_refused());
        }
        Ok((authed, fields))
    }
}

async fn ingest(
    state: &AppState,
    artist_id: i64,
    received: Received,
) -> Result<MediaRow, media::MediaError> {
    media::ingest(
        &state.db,
        &state.media,
        artist_id,
        received,
        Details::default(),
    )
    .await
}

/// What a person is told about a refused upload.
fn upload_message(e: media::MediaError) -> String {
    match e {
        media::MediaError::Unsupported(_) => {
            "This file type is not accepted: use JPEG, PNG, WebP or GIF images and MP3, Ogg, \
             Opus, FLAC, M4A or WAV audio."
                .to_owned()
        }
        media::MediaError::TooLarge(m) => format!("This file is too large ({m})."),
        media::MediaError::Invalid(m) => format!("This file could not be read: {m}."),
        other => {
            tracing::error!(error = %other, "upload failed");
            "The file could not be stored; please try again.".to_owned()
        }
    }
}

fn spend(budget: &mut u64, n: usize) -> Result<(), WebError> {
    *budget = budget
        .checked_sub(n as u64)
        .ok_or(WebError::App(AppError::PayloadTooLarge))?;
    Ok(())
}

async fn read_text(
    field: &mut axum::extract::multipart::Field<'_>,
    budget: &mut u64,
) -> Result<String, WebError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(form_error)? {
        spend(budget, chunk.len())?;
        if bytes.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
            return Err(AppError::Unprocessable(format!(
                "the field {:?} is too long",
                field.name().unwrap_or_default()
            ))
            .into());
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| AppError::Unprocessable("text fields must be UTF-8".to_owned()).into())
}

fn form_error(e: MultipartError) -> WebError {
    WebError::App(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest(e.body_text())
    })
}
