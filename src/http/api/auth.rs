//! Bearer-token authentication. An artist token names the artist the request acts as; an admin
//! token (a kind of its own, see `domain::moderation::create_admin_token`) authorises the admin
//! API and names who acts in the audit log.

use axum::{extract::FromRequestParts, http::request::Parts};

use crate::{db::artists::Artist, domain, http::error::AppError, AppState};

/// The artist whose API token authorised this request.
pub struct ApiArtist(pub Artist);

/// An admin API request; the field is the admin token's label.
pub struct ApiAdmin(pub String);

fn bearer(parts: &Parts) -> Result<&str, AppError> {
    let missing =
        || AppError::Unauthorized("an Authorization: Bearer token is required".to_owned());
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(missing)
}

impl FromRequestParts<AppState> for ApiArtist {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts)?;
        let artist = domain::artists::by_token(&state.db, token)
            .await?
            .ok_or_else(|| AppError::Unauthorized("the token is not valid".to_owned()))?;
        if domain::moderation::artist_suspended(&state.db, &artist.username).await? {
            return Err(AppError::Forbidden("this account is suspended".to_owned()));
        }
        Ok(ApiArtist(artist))
    }
}

impl FromRequestParts<AppState> for ApiAdmin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts)?;
        if let Some(label) = domain::moderation::admin_for_token(&state.db, token).await? {
            return Ok(ApiAdmin(label));
        }
        // A valid artist token is known but not enough here.
        if domain::artists::by_token(&state.db, token).await?.is_some() {
            return Err(AppError::Forbidden("an admin token is required".to_owned()));
        }
        Err(AppError::Unauthorized("the token is not valid".to_owned()))
    }
}
