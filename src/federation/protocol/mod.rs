//! ActivityStreams wire types: what Roadie serves and sends, and the shapes it accepts.
//! Nothing here touches the database; conversion to domain values happens in `inbox` and
//! `outbox`.

pub mod activities;
pub mod actor;
pub mod collections;
pub mod note;

use std::sync::LazyLock;

use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use url::Url;

/// The ActivityStreams public collection.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// `@context` of every document Roadie serves: ActivityStreams, security (keys), and the
/// Mastodon extension terms Roadie uses.
pub static CONTEXT: LazyLock<Value> = LazyLock::new(|| {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "sensitive": "as:sensitive",
            "Hashtag": "as:Hashtag",
            "blurhash": "toot:blurhash",
            "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
            "toot": "http://joinmastodon.org/ns#",
            "featured": {"@id": "toot:featured", "@type": "@id"},
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "attributionDomains": {"@id": "toot:attributionDomains", "@type": "@id"},
            "schema": "http://schema.org#",
            "mz": "https://joinmobilizon.org/ns#",
            "upcomingEvents": {"@id": "https://w3id.org/fep/8a8e#upcomingEvents", "@type": "@id"},
            "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
            "externalParticipationUrl": {"@id": "mz:externalParticipationUrl", "@type": "schema:URL"},
            "timezone": {"@id": "mz:timezone", "@type": "schema:Text"},
            "category": "schema:category",
            "eventStatus": "schema:eventStatus",
            "PostalAddress": "schema:PostalAddress",
            "address": {"@id": "schema:address", "@type": "schema:PostalAddress"},
            "streetAddress": "schema:streetAddress",
            "postalCode": "schema:postalCode",
            "addressLocality": "schema:addressLocality",
            "addressRegion": "schema:addressRegion",
            "addressCountry": "schema:addressCountry",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value"
        }
    ])
});

/// Serialises a document with Roadie's `@context` in front.
#[derive(serde::Serialize)]
pub struct WithContext<'a, T> {
    #[serde(rename = "@context")]
    pub context: &'a Value,
    #[serde(flatten)]
    pub inner: T,
}

impl<T> WithContext<'static, T> {
    pub fn new(inner: T) -> Self {
        WithContext {
            context: &CONTEXT,
            inner,
        }
    }
}

/// A reference to an object that may arrive as its id or embedded with an `id` field.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectRef(pub Url);

impl<'de> Deserialize<'de> for ObjectRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Id(Url),
            Object { id: Url },
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Id(u) | Raw::Object { id: u } => ObjectRef(u),
        })
    }
}

/// True when two URLs are on the same host (and port).
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}
