//! The one HTTP error type. Every layer's error is mapped to a status here, once; the body is
//! `{"error": "…"}`; internal errors are logged and answered with a fixed text.

use axum::{
    extract::rejection::{BytesRejection, JsonRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;

use crate::{db::DbError, domain::DomainError, federation::FederationError, media::MediaError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("request body is too large")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unprocessable(String),
    /// Over a rate limit: 429 with `Retry-After` (whole seconds, at least 1).
    #[error("too many requests, try again in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The JSON body of every error response.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for the person reading it.
    pub error: String,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn not_found(what: &str) -> AppError {
        AppError::NotFound(format!("{what} not found"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "internal server error".to_owned()
            }
            other => other.to_string(),
        };
        let mut response = (status, Json(ErrorBody { error: message })).into_response();
        if let AppError::TooManyRequests { retry_after_secs } = self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs),
            );
        }
        response
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound(what) => AppError::not_found(what),
            DomainError::Invalid(m) => AppError::Unprocessable(m),
            DomainError::Conflict(m) => AppError::Conflict(m),
            DomainError::Gone(m) => AppError::Gone(m.to_owned()),
            DomainError::Forbidden(m) => AppError::Forbidden(m),
            DomainError::Db(e) => AppError::Internal(e.into()),
            DomainError::Internal(m) => AppError::Internal(anyhow::anyhow!(m)),
        }
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<FederationError> for AppError {
    fn from(e: FederationError) -> Self {
        match e {
            FederationError::Signature(s) => AppError::Unauthorized(s.to_string()),
            FederationError::BadRequest(m) => AppError::BadRequest(m),
            FederationError::Forbidden(m) => AppError::Forbidden(m),
            FederationError::NotFound(what) => AppError::not_found(what),
            FederationError::Fetch(m) => AppError::BadRequest(m),
            FederationError::Domain(d) => d.into(),
        }
    }
}

impl From<MediaError> for AppError {
    fn from(e: MediaError) -> Self {
        match e {
            MediaError::Unsupported(m) => AppError::UnsupportedMediaType(m),
            MediaError::TooLarge(m) => {
                tracing::debug!(reason = %m, "upload refused as too large");
                AppError::PayloadTooLarge
            }
            MediaError::Invalid(m) => AppError::Unprocessable(m),
            MediaError::NotFound => AppError::not_found("media"),
            MediaError::InUse(m) => AppError::Conflict(m),
            MediaError::Io(e) => AppError::Internal(e.into()),
            MediaError::Db(e) => AppError::Internal(e.into()),
        }
    }
}

impl From<BytesRejection> for AppError {
    fn from(r: BytesRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest(r.body_text())
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => AppError::Unprocessable(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => AppError::BadRequest(e.body_text()),
            JsonRejection::MissingJsonContentType(e) => {
                AppError::UnsupportedMediaType(e.body_text())
            }
            JsonRejection::BytesRejection(e) => e.into(),
            other => AppError::BadRequest(other.body_text()),
        }
    }
}
