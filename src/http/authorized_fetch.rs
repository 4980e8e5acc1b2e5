//! Middleware for "authorized fetch": when it is on, ActivityPub documents are served only to
//! requests signed by a remote actor. Browsers asking for HTML pass through.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{error::AppError, negotiation::wants_activitypub};
use crate::{federation::signed_fetch, AppState};

pub async fn require_signature(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !state.config.authorized_fetch || !wants_activitypub(request.headers()) {
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
