//! `POST` to the shared inbox and to each artist's inbox: hand the raw request to the
//! federation layer and answer 202.

use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, Path, State},
    http::{HeaderMap, Method, StatusCode, Uri},
};

use super::error::AppError;
use crate::{
    db,
    federation::inbox::{self, InboundRequest},
    AppState,
};

/// `POST /inbox`
pub async fn shared_inbox(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, AppError> {
    receive(&state, method, uri, headers, body?).await
}

/// `POST /users/{username}/inbox`
pub async fn artist_inbox(
    State(state): State<AppState>,
    Path(username): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, AppError> {
    let body = body?;
    // The suspension check in front of this handler has cached the artist if it exists.
    if state.suspensions.get(&username).is_none() {
        db::artists::by_username(&state.db, &username)
            .await?
            .ok_or_else(|| AppError::not_found("artist"))?;
    }
    receive(&state, method, uri, headers, body).await
}

async fn receive(
    state: &AppState,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| uri.path().to_owned());
    let data = state.federation.to_request_data();
    inbox::receive(
        &data,
        InboundRequest {
            method,
            path_and_query,
            headers,
            body,
        },
    )
    .await
    .map_err(|e| {
        tracing::info!(error = %e, "inbox refused an activity");
        AppError::from(e)
    })?;
    Ok(StatusCode::ACCEPTED)
}
