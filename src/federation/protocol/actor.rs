//! Actor documents: the artist `Person` and instance `Application` Roadie serves, and the remote
//! actor shape it reads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

/// `publicKey` of an actor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKey {
    pub id: Url,
    pub owner: Url,
    pub public_key_pem: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<Url>,
}

/// A profile link, shown by Mastodon as a table row (`PropertyValue`).
#[derive(Debug, Clone, Serialize)]
pub struct PropertyValue {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    /// HTML, usually one link.
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: Url,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// A local actor as served: an artist (`Person`) or the instance actor (`Application`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalActor {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: Url,
    pub preferred_username: String,
    pub name: String,
    pub summary: String,
    pub url: Url,
    pub inbox: Url,
    pub outbox: Url,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub followers: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub following: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featured: Option<Url>,
    /// FEP-8a8e: the actor's upcoming events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upcoming_events: Option<Url>,
    pub endpoints: Endpoints,
    pub public_key: PublicKey,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<Image>,
    /// The header image (Mastodon shows it above the profile).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    pub attachment: Vec<PropertyValue>,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub published: DateTime<Utc>,
    /// Domains whose pages may credit this actor (`fediverse:creator`), shown by Mastodon.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attribution_domains: Vec<String>,
}

/// The fields Roadie reads from a remote actor. Unknown fields are ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteActorJson {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub inbox: Url,
    #[serde(default)]
    pub endpoints: Option<Endpoints>,
    pub public_key: PublicKey,
    #[serde(default)]
    pub url: Option<serde_json::Value>,
}

/// Actor types Mastodon accepts, and so does Roadie.
pub const ACTOR_TYPES: &[&str] = &["Person", "Service", "Application", "Group", "Organization"];
