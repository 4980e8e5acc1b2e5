//! Middleware for "authorized fetch": when it is on, ActivityPub documents are served only to
//! requests signed by a remote actor. Browsers asking for HTML pass through. As in Mastodon's
//! secure mode, an unsigned request for an artist's actor still gets an answer, limited to the
//! technical fields (id, type, username, inbox, outbox, key, endpoints): servers that fetch keys
//! without signing could not verify Roadie's deliveries otherwise.

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{error::AppError, negotiation::wants_activitypub};
use crate::{federation::signed_fetch, AppState};

/// Routes that serve an artist's actor document.
const ACTOR_ROUTES: [&str; 2] = ["/users/{username}", "/{handle}"];

/// Marks an unsigned actor fetch under authorized fetch: answer with the limited actor.
#[derive(Debug, Clone, Copy)]
pub struct UnsignedActorFetch;

pub async fn require_signature(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !state.config.authorized_fetch || !wants_activitypub(request.headers()) {
        return next.run(request).await;
    }
    let is_actor = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| ACTOR_ROUTES.contains(&p.as_str()));
    if is_actor && !request.headers().contains_key("signature") {
        let mut request = request;
        request.extensions_mut().insert(UnsignedActorFetch);
        return next.run(request).await;
    }
    let uri = request.uri().clone();
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(uri.path());
    let data = state.federation.to_request_data();
    match signed_fetch::verify(&data, uri.path(), path_and_query, request.headers()).await {
        Ok(signer) => {
            tracing::debug!(signer = %signer.id, path = uri.path(), "signed fetch");
            next.run(request).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}
