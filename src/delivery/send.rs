//! One delivery attempt: sign the request, POST it, classify the answer.

use std::time::{Duration, SystemTime};

use axum::http::Method;
use url::Url;

use super::schedule::parse_retry_after;
use crate::federation::{client::check_destination, signatures, ACTIVITY_JSON};

use super::Signer;

/// How one attempt ended.
#[derive(Debug)]
pub enum Attempt {
    Delivered {
        status: u16,
    },
    /// Worth trying again later (network error, 5xx, 401, 408, 429), maybe not before
    /// `retry_after`.
    Retry {
        status: Option<u16>,
        error: String,
        retry_after: Option<Duration>,
    },
    /// Trying again cannot help (other 4xx, refused destination, unusable key).
    Final {
        status: Option<u16>,
        error: String,
    },
}

pub async fn attempt(
    client: &reqwest::Client,
    signer: &Signer,
    body: &[u8],
    inbox: &str,
    timeout: Duration,
    allow_private_network: bool,
) -> Attempt {
    let inbox = match Url::parse(inbox) {
        Ok(u) => u,
        Err(e) => {
            return Attempt::Final {
                status: None,
                error: format!("bad inbox URL: {e}"),
            }
        }
    };
    if let Err(error) = check_destination(&inbox, allow_private_network) {
        return Attempt::Final {
            status: None,
            error,
        };
    }
    let now = SystemTime::now();
    let headers = match signatures::sign_request(
        &signer.key,
        signer.key_id.as_str(),
        &Method::POST,
        &inbox,
        Some(body),
        now,
    ) {
        Ok(h) => h,
        Err(e) => {
            return Attempt::Final {
                status: None,
                error: e.to_string(),
            }
        }
    };
    let mut request = client
        .post(inbox)
        .header("content-type", ACTIVITY_JSON)
        .timeout(timeout)
        .body(body.to_vec());
    for (name, value) in headers {
        // reqwest derives Host from the URL, the same value that was signed.
        if name != "host" {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, now));
            classify(status, retry_after)
        }
        Err(e) => Attempt::Retry {
            status: None,
            error: error_chain(&e),
            retry_after: None,
        },
    }
}

fn classify(status: u16, retry_after: Option<Duration>) -> Attempt {
    match status {
        200..=299 => Attempt::Delivered { status },
        401 | 408 | 429 => Attempt::Retry {
            status: Some(status),
            error: format!("HTTP {status}"),
            retry_after,
        },
        400..=499 => Attempt::Final {
            status: Some(status),
            error: format!("HTTP {status}"),
        },
        _ => Attempt::Retry {
            status: Some(status),
            error: format!("HTTP {status}"),
            retry_after,
        },
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
