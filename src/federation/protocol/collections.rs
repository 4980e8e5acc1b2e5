//! Ordered collections (outbox, followers, following, featured) and their pages.

use serde::Serialize;
use url::Url;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollection<T: Serialize> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: Url,
    pub total_items: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<Url>,
    /// Inline items, for small collections such as `featured`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordered_items: Option<Vec<T>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollectionPage<T: Serialize> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: Url,
    pub part_of: Url,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Url>,
    pub ordered_items: Vec<T>,
}
