//! The rules of Roadie in plain Rust: artists, posts, follows. No axum, no SQL text, no
//! ActivityStreams JSON; what must leave the instance goes through [`Publisher`].

pub mod accounts;
pub mod alerts;
pub mod artists;
pub mod follows;
pub mod instance;
pub mod interactions;
pub mod messages;
pub mod moderation;
pub mod passes;
pub mod posts;
pub mod releases;
pub mod shows;

use crate::db::{
    artists::Artist,
    follows::FollowRow,
    media::MediaRow,
    outbox::Outgoing,
    posts::PostRow,
    releases::{ReleaseRow, TrackRow},
    remote_actors::RemoteActorRow,
    shows::ShowRow,
    DbError,
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
    /// The user may not do this (a role is missing).
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The outbox interface: builds the activity that announces a change. The domain stores it,
/// with its deliveries, in the change's own transaction; federation implements the building.
pub trait Publisher: Send + Sync {
    /// A post was created: `Create` for the artist's followers.
    fn post_created(&self, artist: &Artist, post: &PostRow) -> Outgoing;
    /// A post was deleted: `Delete` for the artist's followers.
    fn post_deleted(&self, artist: &Artist, post: &PostRow) -> Outgoing;
    /// The artist's profile changed: `Update` of the actor for followers.
    fn actor_updated(&self, artist: &Artist) -> Outgoing;
    /// A follow was accepted: `Accept` for the follower.
    fn follow_accepted(
        &self,
        artist: &Artist,
        follow: &FollowRow,
        follower: &RemoteActorRow,
    ) -> Outgoing;
    /// A follow request was rejected: `Reject` for the requester.
    fn follow_rejected(
        &self,
        artist: &Artist,
        follow: &FollowRow,
        follower: &RemoteActorRow,
    ) -> Outgoing;
    /// A release was published: `Create` for followers.
    fn release_published(
        &self,
        artist: &Artist,
        release: &ReleaseRow,
        tracks: &[TrackRow],
        media: &releases::MediaSet,
    ) -> Outgoing;
    /// A published release changed: `Update` for followers.
    fn release_updated(
        &self,
        artist: &Artist,
        release: &ReleaseRow,
        tracks: &[TrackRow],
        media: &releases::MediaSet,
    ) -> Outgoing;
    /// A published release was deleted: `Delete` for followers.
    fn release_deleted(&self, artist: &Artist, release: &ReleaseRow) -> Outgoing;
    /// The id under which a release is published.
    fn release_object_id(&self, artist: &Artist, release: &ReleaseRow) -> String;
    /// A show was announced: `Create{Event}` for followers.
    fn show_published(
        &self,
        artist: &Artist,
        show: &ShowRow,
        poster: Option<&MediaRow>,
    ) -> Outgoing;
    /// A show changed: `Update{Event}` whose summary starts with `what_changed` (may be empty).
    fn show_updated(
        &self,
        artist: &Artist,
        show: &ShowRow,
        what_changed: &str,
        poster: Option<&MediaRow>,
    ) -> Outgoing;
    /// A show was deleted: `Delete` for followers.
    fn show_deleted(&self, artist: &Artist, show: &ShowRow) -> Outgoing;
    /// The id under which a show is published.
    fn show_object_id(&self, artist: &Artist, show: &ShowRow) -> String;
    /// A show was pinned to (or unpinned from) the profile: `Add`/`Remove` on `featured`, as
    /// Mastodon sends for pinned posts, so followers' servers refresh the pinned list.
    fn show_pinned(&self, artist: &Artist, show: &ShowRow, pinned: bool) -> Outgoing;
    /// The artist was suspended: `Delete` of the actor for followers' servers.
    fn actor_deleted(&self, artist: &Artist) -> Outgoing;
    /// A report about a remote actor (and some of their objects): a `Flag` from the instance
    /// actor to the actor's server.
    fn report_sent(&self, target: &RemoteActorRow, objects: &[String], comment: &str) -> Outgoing;
    /// New deliveries were committed: a chance to start sending at once.
    fn queued(&self);
}
