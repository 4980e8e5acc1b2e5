//! Content negotiation between ActivityPub JSON (for servers) and HTML (for people).

use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::federation::{protocol::WithContext, ACTIVITY_JSON};

/// True when the client asks for ActivityPub JSON (`application/activity+json` or
/// `application/ld+json`) rather than a page.
pub fn wants_activitypub(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("application/activity+json") || v.contains("application/ld+json")
        })
}

/// An ActivityPub document with Roadie's `@context`, served as `application/activity+json`.
pub fn activity_json<T: Serialize>(status: StatusCode, document: T) -> Response {
    match serde_json::to_vec(&WithContext::new(document)) {
        Ok(body) => (
            status,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(ACTIVITY_JSON),
                ),
                (header::VARY, HeaderValue::from_static("Accept")),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise document");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// An ActivityPub document with Roadie's `@context`, serialised (for [`super::cache`]).
pub fn activity_json_bytes<T: Serialize>(document: T) -> Result<bytes::Bytes, serde_json::Error> {
    serde_json::to_vec(&WithContext::new(document)).map(bytes::Bytes::from)
}

/// A 200 answer with an ActivityPub document serialised by [`activity_json_bytes`].
pub fn activity_json_ok(body: bytes::Bytes) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(ACTIVITY_JSON),
            ),
            (header::VARY, HeaderValue::from_static("Accept")),
        ],
        body,
    )
        .into_response()
}

/// An ActivityPub document already serialised (with its `@context`).
pub fn activity_json_raw(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(ACTIVITY_JSON),
            ),
            (header::VARY, HeaderValue::from_static("Accept")),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_activitypub_accept_headers() {
        let mut h = HeaderMap::new();
        assert!(!wants_activitypub(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml"),
        );
        assert!(!wants_activitypub(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static(
                r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#,
            ),
        );
        assert!(wants_activitypub(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/activity+json, application/ld+json"),
        );
        assert!(wants_activitypub(&h));
    }
}
