//! The web interface's stylesheet and script, compiled into the binary (no CDN).

use axum::{http::header, response::IntoResponse};

const CSS: &str = include_str!("../../../static/web.css");
const JS: &str = include_str!("../../../static/web.js");

pub async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}

pub async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        JS,
    )
}
