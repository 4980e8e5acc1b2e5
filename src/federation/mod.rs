//! Everything that speaks ActivityPub: wire types, signatures, fetching remote actors, the
//! inbox handlers and the outbox that turns domain events into activities.

pub mod client;
pub mod error;
pub mod inbox;
pub mod instance_actor;
pub mod keys;
pub mod objects;
pub mod outbox;
pub mod protocol;
pub mod remote_actor;
pub mod signatures;
pub mod signed_fetch;
pub mod webfinger;

pub use error::FederationError;

/// The content type of every ActivityPub document Roadie serves and sends.
pub const ACTIVITY_JSON: &str = "application/activity+json";
/// The JSON-LD content type with the ActivityStreams profile, equally accepted.
pub const LD_JSON_AS: &str =
    r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#;
