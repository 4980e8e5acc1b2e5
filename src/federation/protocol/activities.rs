//! Activities: the envelope every inbound activity shares, the inbound shapes Roadie acts on,
//! and the outbound ones it sends.

use serde::{Deserialize, Serialize};
use url::Url;

use super::ObjectRef;

/// What every inbound activity must have before it is looked at further.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: ObjectRef,
}

/// `Follow` of a local artist.
#[derive(Debug, Clone, Deserialize)]
pub struct Follow {
    pub id: Url,
    pub actor: ObjectRef,
    pub object: ObjectRef,
}

/// `Undo`: its object is the undone activity, by id or embedded.
#[derive(Debug, Clone, Deserialize)]
pub struct Undo {
    pub id: Url,
    pub actor: ObjectRef,
    pub object: UndoneActivity,
}

/// The activity an `Undo` names. Only the id is sure to be there.
#[derive(Debug, Clone)]
pub struct UndoneActivity {
    pub id: Url,
    pub kind: Option<String>,
    pub object: Option<ObjectRef>,
}

impl<'de> Deserialize<'de> for UndoneActivity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Id(Url),
            Embedded {
                id: Url,
                #[serde(rename = "type")]
                kind: Option<String>,
                object: Option<ObjectRef>,
            },
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Id(id) => UndoneActivity {
                id,
                kind: None,
                object: None,
            },
            Raw::Embedded { id, kind, object } => UndoneActivity { id, kind, object },
        })
    }
}

/// `Delete`: Roadie acts on an actor deleting itself.
#[derive(Debug, Clone, Deserialize)]
pub struct Delete {
    pub id: Url,
    pub actor: ObjectRef,
    pub object: ObjectRef,
}

/// The `Follow` Roadie echoes inside its `Accept`/`Reject`.
#[derive(Debug, Clone, Serialize)]
pub struct FollowEcho {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub actor: String,
    pub object: String,
}

/// An outbound activity (`Create`, `Delete`, `Accept`, `Reject`, …) with an embedded object.
#[derive(Debug, Clone, Serialize)]
pub struct Outbound<T: Serialize> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub actor: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<chrono::DateTime<chrono::Utc>>,
    pub object: T,
}

/// `Add`/`Remove` of an object (by id) to one of the actor's collections, e.g. `featured`.
#[derive(Debug, Clone, Serialize)]
pub struct CollectionChange {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub actor: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub object: String,
    pub target: String,
}

/// An activity about one object: `Announce`, `Like`.
#[derive(Debug, Clone, Deserialize)]
pub struct ObjectActivity {
    pub id: Url,
    pub actor: ObjectRef,
    pub object: ObjectRef,
}

/// The `Note` fields Roadie reads from a reply.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundNote {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub attributed_to: ObjectRef,
    pub in_reply_to: Option<ObjectRef>,
    pub content: Option<String>,
    pub published: Option<chrono::DateTime<chrono::Utc>>,
    pub url: Option<serde_json::Value>,
    #[serde(default)]
    pub to: Option<serde_json::Value>,
    #[serde(default)]
    pub cc: Option<serde_json::Value>,
}

impl InboundNote {
    /// Every address in `to` and `cc` (each may be one string or a list).
    pub fn audience(&self) -> Vec<String> {
        let mut out = Vec::new();
        for field in [&self.to, &self.cc].into_iter().flatten() {
            match field {
                serde_json::Value::String(s) => out.push(s.clone()),
                serde_json::Value::Array(items) => {
                    out.extend(items.iter().filter_map(|v| v.as_str().map(str::to_owned)))
                }
                _ => {}
            }
        }
        out
    }

    /// Addressed to everyone (public or unlisted).
    pub fn is_public(&self) -> bool {
        self.audience()
            .iter()
            .any(|a| a == super::PUBLIC || a == "as:Public" || a == "Public")
    }
}

/// `Create` of a `Note`.
#[derive(Debug, Clone, Deserialize)]
pub struct CreateNote {
    pub id: Url,
    pub actor: ObjectRef,
    pub object: InboundNote,
}

/// The object of an `Update`, as far as Roadie reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct UpdatedObject {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub content: Option<String>,
}

/// `Update` of an object.
#[derive(Debug, Clone, Deserialize)]
pub struct UpdateNote {
    pub id: Url,
    pub actor: ObjectRef,
    pub object: UpdatedObject,
}
