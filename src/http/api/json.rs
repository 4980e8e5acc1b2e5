//! A JSON body extractor whose rejections have the API's error shape.

use axum::{
    extract::{FromRequest, Request},
    Json,
};
use serde::de::DeserializeOwned;

use crate::http::error::AppError;

/// Like `axum::Json`, but a bad body becomes an [`AppError`] (400, 415 or 422).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        Ok(ApiJson(Json::<T>::from_request(req, state).await?.0))
    }
}
