//! The federation layer's error: why an inbound activity or fetch was refused.

use crate::{db::DbError, domain::DomainError};

use super::signatures::SignatureError;

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// The HTTP signature failed the policy or did not verify (401).
    #[error("{0}")]
    Signature(#[from] SignatureError),
    /// The activity is malformed or inconsistent (400).
    #[error("{0}")]
    BadRequest(String),
    /// The sender may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The activity names something that does not exist here (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A remote document could not be fetched or was not acceptable.
    #[error("fetching remote object failed: {0}")]
    Fetch(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<DbError> for FederationError {
    fn from(e: DbError) -> Self {
        FederationError::Domain(DomainError::Db(e))
    }
}

impl From<activitypub_federation::error::Error> for FederationError {
    fn from(e: activitypub_federation::error::Error) -> Self {
        FederationError::Fetch(e.to_string())
    }
}
