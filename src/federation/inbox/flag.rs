//! `Flag`: a remote server reports one of our artists or their posts. It becomes a report for
//! the admin, unless the reporting server's domain has `reject_reports`.

use activitypub_federation::config::Data;
use serde_json::Value;

use crate::{
    app::Ctx,
    db,
    domain::moderation::{self, HostPolicy},
    federation::{remote_actor::RemoteActor, FederationError},
};

/// At most this many objects of one report are kept.
const MAX_OBJECTS: usize = 50;
/// Longest comment kept, in characters.
const MAX_COMMENT: usize = 5000;

pub async fn receive(
    data: &Data<Ctx>,
    actor: &RemoteActor,
    value: Value,
    policy: HostPolicy,
) -> Result<(), FederationError> {
    if policy.reject_reports {
        tracing::info!(reporter = %actor.id, "ignoring a report from a domain whose reports are rejected");
        return Ok(());
    }
    let id = value["id"].as_str().unwrap_or_default().to_owned();
    let ids: Vec<url::Url> = match &value["object"] {
        Value::Array(items) => items.iter().filter_map(object_id).collect(),
        other => object_id(other).into_iter().collect(),
    };
    // Only what is ours is kept: a report names our artists and objects, nothing else.
    let mut target = None;
    let mut objects = Vec::new();
    for url in ids
        .into_iter()
        .filter(|u| data.urls.is_local(u))
        .take(MAX_OBJECTS)
    {
        let username = data
            .urls
            .username_of(&url)
            .or_else(|| data.urls.local_object(&url).map(|(u, _, _)| u));
        if let Some(username) = username {
            if db::artists::by_username(&data.db, &username)
                .await?
                .is_some()
            {
                target.get_or_insert(data.urls.actor(&username).to_string());
                objects.push(url.to_string());
            }
        }
    }
    if target.is_none() {
        tracing::debug!(%id, "ignoring a report about nothing of ours");
        return Ok(());
    }
    let comment: String = value["content"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .take(MAX_COMMENT)
        .collect();
    let new = moderation::receive_report(
        &data.db,
        &id,
        actor.id.as_str(),
        target,
        &objects,
        &crate::domain::posts::sanitize_html(&comment),
    )
    .await?;
    tracing::info!(reporter = %actor.id, %id, new, "report received");
    Ok(())
}

fn object_id(v: &Value) -> Option<url::Url> {
    match v {
        Value::String(s) => url::Url::parse(s).ok(),
        Value::Object(o) => o.get("id")?.as_str().and_then(|s| url::Url::parse(s).ok()),
        _ => None,
    }
}
