//! `Note` (an artist's post) and `Tombstone` (what a deleted one becomes).

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: Url,
    pub attributed_to: Url,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub content: String,
    pub media_type: &'static str,
    pub url: Url,
    pub published: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    pub sensitive: bool,
    pub attachment: Vec<serde_json::Value>,
    pub tag: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tombstone {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: Url,
    pub former_type: &'static str,
    pub deleted: DateTime<Utc>,
}
