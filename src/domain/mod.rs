//! The rules of Roadie in plain Rust: artists, posts, follows. No axum, no SQL text, no
//! ActivityStreams JSON; what must leave the instance goes through [`Publisher`].

pub mod artists;
pub mod follows;
pub mod posts;

use async_trait::async_trait;

use crate::db::{
    artists::Artist, follows::FollowRow, posts::PostRow, remote_actors::RemoteActorRow, DbError,
};

/// What can go wrong in a domain rule; the HTTP layer maps each kind to one status.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The outbox interface: how the rules announce changes to the fediverse. Federation
/// implements it; tests and tools may use another.
#[async_trait]
pub trait Publisher: Send + Sync {
    /// A post was created: send `Create` to the artist's followers.
    async fn post_created(&self, artist: &Artist, post: &PostRow) -> Result<(), DomainError>;
    /// A post was deleted: send `Delete` to the artist's followers.
    async fn post_deleted(&self, artist: &Artist, post: &PostRow) -> Result<(), DomainError>;
    /// The artist's profile changed: send `Update` of the actor to followers.
    async fn actor_updated(&self, artist: &Artist) -> Result<(), DomainError>;
    /// A follow was accepted: send `Accept` to the follower.
    async fn follow_accepted(
        &self,
        artist: &Artist,
        follow: &FollowRow,
        follower: &RemoteActorRow,
    ) -> Result<(), DomainError>;
    /// A follow request was rejected: send `Reject` to the requester.
    async fn follow_rejected(
        &self,
        artist: &Artist,
        follow: &FollowRow,
        follower: &RemoteActorRow,
    ) -> Result<(), DomainError>;
}
