//! Bearer-token authentication: the token names the artist the request acts as.

use axum::{extract::FromRequestParts, http::request::Parts};

use crate::{db::artists::Artist, domain, http::error::AppError, AppState};

/// The artist whose API token authorised this request.
pub struct ApiArtist(pub Artist);

impl FromRequestParts<AppState> for ApiArtist {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                AppError::Unauthorized("an Authorization: Bearer token is required".to_owned())
            })?;
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                AppError::Unauthorized("an Authorization: Bearer token is required".to_owned())
            })?;
        domain::artists::by_token(&state.db, token)
            .await?
            .map(ApiArtist)
            .ok_or_else(|| AppError::Unauthorized("the token is not valid".to_owned()))
    }
}
