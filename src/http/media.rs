//! `GET /media/{file_name}`: stored media files, served so that they can only ever be what
//! Roadie says they are (its own content type, `nosniff`, a sandboxing CSP), with `Range` support.
//! Local files go through `tower-http`'s `ServeFile`; files in a bucket are streamed from it,
//! one byte range at a time ([`byte_range`]).

use std::ops::Range;

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
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
        StoredFile::Remote { size } => {
            // Read before awaiting: a borrowed request would make the future not `Send`.
            let wanted = byte_range(req.headers(), size);
            let head = *req.method() == Method::HEAD;
            remote(&state, &file_name, size, wanted, head).await?
        }
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

/// Streams a file from the store: all of it, or the one range asked for (nothing for `HEAD`).
async fn remote(
    state: &AppState,
    file_name: &str,
    size: u64,
    wanted: Wanted,
    head: bool,
) -> Result<Response, AppError> {
    let range = match wanted {
        Wanted::Whole => None,
        Wanted::Part(range) => Some(range),
        Wanted::Unsatisfiable => {
            return Response::builder()
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{size}"))
                .body(Body::empty())
                .map_err(|e| AppError::Internal(e.into()));
        }
    };
    let (status, bytes) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.clone()),
        None => (StatusCode::OK, 0..size),
    };
    let mut res = Response::builder()
        .status(status)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_LENGTH, bytes.end - bytes.start);
    if range.is_some() {
        res = res.header(
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", bytes.start, bytes.end - 1),
        );
    }
    // A HEAD request, or nothing to send, does not need the bytes.
    let body = if head || bytes.is_empty() {
        Body::empty()
    } else {
        let stream = state
            .media
            .read(file_name, bytes)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        Body::from_stream(stream)
    };
    res.body(body).map_err(|e| AppError::Internal(e.into()))
}

/// What a request's `Range` header asks of a file.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    Whole,
    /// Bytes `start..end` (end exclusive), within the file.
    Part(Range<u64>),
    /// A range that starts past the end (HTTP 416).
    Unsatisfiable,
}

/// Reads one `bytes=` range (`a-b`, `a-`, `-n`) against a file of `size` bytes. Anything else
/// (other units, several ranges, malformed text) is ignored and the whole file sent, which
/// RFC 9110 allows.
fn byte_range(headers: &HeaderMap, size: u64) -> Wanted {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let number = |text: &str| -> Option<u64> {
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // `-n`: the last n bytes.
        (true, _, Some(n)) => {
            if n == 0 || size == 0 {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(size - n.min(size)..size)
            }
        }
        (false, Some(start), end) if last.trim().is_empty() || end.is_some() => {
            if end.is_some_and(|end| end < start) {
                return Wanted::Whole;
            }
            if start >= size {
                return Wanted::Unsatisfiable;
            }
            let end = end.map_or(size, |end| end.saturating_add(1).min(size));
            Wanted::Part(start..end)
        }
        _ => Wanted::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(range: &str, size: u64) -> Wanted {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(range).unwrap());
        byte_range(&headers, size)
    }

    #[test]
    fn byte_ranges_follow_rfc_9110() {
        assert_eq!(byte_range(&HeaderMap::new(), 10), Wanted::Whole);
        assert_eq!(wanted("bytes=0-3", 10), Wanted::Part(0..4));
        assert_eq!(wanted("bytes=4-", 10), Wanted::Part(4..10));
        assert_eq!(wanted("bytes=5-100", 10), Wanted::Part(5..10));
        assert_eq!(wanted("bytes=-3", 10), Wanted::Part(7..10));
        assert_eq!(wanted("bytes=-30", 10), Wanted::Part(0..10));
        assert_eq!(wanted("bytes=9-9", 10), Wanted::Part(9..10));
        assert_eq!(wanted("bytes=10-", 10), Wanted::Unsatisfiable);
        assert_eq!(wanted("bytes=10-20", 10), Wanted::Unsatisfiable);
        assert_eq!(wanted("bytes=-0", 10), Wanted::Unsatisfiable);
        for ignored in [
            "bytes=5-2",
            "bytes=0-1,4-5",
            "items=0-1",
            "bytes=a-b",
            "bytes=-",
            "bytes=1",
            "bytes=+1-2",
        ] {
            assert_eq!(wanted(ignored, 10), Wanted::Whole, "{ignored}");
        }
    }
}
