//! Suspended artists are gone: every page, document, feed, inbox and WebFinger answer about
//! them is 410 until they are unsuspended.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::error::AppError;
use crate::{domain::moderation, AppState};

/// Answers 410 for requests about a suspended artist; passes everything else on.
pub async fn gone_if_suspended(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(username) = artist_named(request.uri()) {
        let suspended = match state.suspensions.get(&username) {
            Some(known) => known,
            None => {
                let changes = crate::db::artists::changes();
                match moderation::artist_status(&state.db, &username).await {
                    Ok(Some(suspended)) => {
                        state.suspensions.put(&username, changes, suspended);
                        suspended
                    }
                    // Not cached: a new artist must be found at once on every process.
                    Ok(None) => false,
                    Err(e) => return AppError::from(e).into_response(),
                }
            }
        };
        if suspended {
            return AppError::Gone("this account is suspended".to_owned()).into_response();
        }
    }
    next.run(request).await
}

/// The local artist a request path (or WebFinger resource) is about, if any.
fn artist_named(uri: &axum::http::Uri) -> Option<String> {
    let segments: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    let name = match segments.as_slice() {
        ["api", ..] => return None,
        ["users", name, ..] | ["embed", "users", name, ..] => (*name).to_owned(),
        [".well-known", "webfinger"] => {
            let resource = url::form_urlencoded::parse(uri.query()?.as_bytes())
                .find(|(k, _)| k == "resource")?
                .1
                .into_owned();
            let acct = resource.strip_prefix("acct:")?;
            acct.split('@').next()?.to_owned()
        }
        [first, ..] => first.strip_prefix('@')?.to_owned(),
        [] => return None,
    };
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_artist_in_paths() {
        let name = |p: &str| artist_named(&p.parse().unwrap());
        assert_eq!(name("/users/band/posts/1").as_deref(), Some("band"));
        assert_eq!(name("/@band").as_deref(), Some("band"));
        assert_eq!(name("/@band/feed.atom").as_deref(), Some("band"));
        assert_eq!(
            name("/embed/users/band/releases/2").as_deref(),
            Some("band")
        );
        assert_eq!(
            name("/.well-known/webfinger?resource=acct%3Aband%40x.example").as_deref(),
            Some("band")
        );
        assert_eq!(name("/api/v1/posts"), None);
        assert_eq!(name("/inbox"), None);
    }
}
