//! `GET /media/{file_name}`: stored media files, served so that they can only ever be what
//! Roadie says they are (its own content type, `nosniff`, a sandboxing CSP), with `Range` support.

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{header, HeaderValue, StatusCode},
    response::Response,
};
use tower_http::services::ServeFile;

use crate::{
    http::error::AppError,
    media::{self, storage::StoredFile},
    AppState,
};

/// A year: stored names are random and never reused, so a file never changes.
const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
/// A file opened directly in a browser cannot run script or act as a page.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; sandbox";

pub async fn serve(
    State(state): State<AppState>,
    Path(file_name): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let content_type =
        media::content_type_of_name(&file_name).ok_or_else(|| AppError::not_found("media"))?;
    let stored = state
        .media
        .open(&file_name)
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .ok_or_else(|| AppError::not_found("media"))?;
    let mut res = match stored {
        StoredFile::Local(path) => ServeFile::new(path)
            .try_call(req)
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map(Body::new),
    };
    if res.status() == StatusCode::NOT_FOUND {
        return Err(AppError::not_found("media"));
    }
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    Ok(res)
}
