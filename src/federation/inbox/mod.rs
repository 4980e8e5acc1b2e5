//! The inbox: check, record, act. Every inbound activity passes the strict signature policy,
//! must be signed by its own actor, is recorded by id (a repeated delivery has one effect), and
//! then goes to the handler of its type. Unknown types are accepted and ignored.

mod announce;
mod create;
mod delete;
mod flag;
mod follow;
mod objects;
mod undo;
mod update;

use std::time::SystemTime;

use activitypub_federation::config::Data;
use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use serde_json::Value;

use super::{
    protocol::{activities::Envelope, same_origin},
    remote_actor::RemoteActor,
    signatures::{self, SignatureError, Window},
    FederationError,
};
use crate::{
    app::Ctx,
    db::{self, inbox_writer::InboxWrite},
    domain::{interactions::Interaction, moderation},
};

/// The parts of an HTTP request the inbox needs.
pub struct InboundRequest {
    pub method: Method,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Processes one POST to an inbox (personal or shared).
pub async fn receive(data: &Data<Ctx>, request: InboundRequest) -> Result<(), FederationError> {
    let config = &data.config;
    let checked = signatures::check_request(
        &request.method,
        &request.path_and_query,
        &request.headers,
        Some(&request.body),
        &config.domain,
        SystemTime::now(),
        Window {
            max_age: config.limits.signature_max_age,
            max_skew: config.limits.signature_max_skew,
        },
    )?;

    // serde_json stops at 128 levels of nesting, so deep JSON is an error here, not a crash.
    let value: Value = serde_json::from_slice(&request.body)
        .map_err(|e| FederationError::BadRequest(format!("body is not valid JSON: {e}")))?;
    // Read from the borrowed value: no copy of the whole activity.
    let envelope = <Envelope as serde::Deserialize>::deserialize(&value)
        .map_err(|e| FederationError::BadRequest(format!("not an activity: {e}")))?;
    let actor_id = envelope.actor.0.clone();
    if !same_origin(&envelope.id, &actor_id) {
        return Err(FederationError::BadRequest(
            "activity id and actor are on different hosts".to_owned(),
        ));
    }
    if data.urls.is_local(&actor_id) {
        return Err(FederationError::Forbidden(
            "local actors do not post to the inbox".to_owned(),
        ));
    }

    // Moderation comes before any fetch: a refused host is never contacted.
    let policies = &data.policies;
    let policy = policies
        .url_policy(&data.db, config.federation_mode, &actor_id)
        .await?;
    // The key normally lives on the actor's host; only a foreign key host needs its own check.
    let key_refused = moderation::url_host(&checked.key_id) != moderation::url_host(&actor_id)
        && policies
            .url_policy(&data.db, config.federation_mode, &checked.key_id)
            .await?
            .refused;
    if policy.refused || key_refused {
        return Err(FederationError::Forbidden(
            "this server does not federate with yours".to_owned(),
        ));
    }
    if policies.actor_blocked(&data.db, actor_id.as_str()).await? {
        return Err(FederationError::Forbidden(
            "you are blocked here".to_owned(),
        ));
    }

    let actor = verified_actor(data, &actor_id, &checked).await?;
    host_is_talking(data, &actor.row.domain).await?;

    // Boosts and likes are stored once per activity id with the interaction itself.
    match envelope.kind.as_str() {
        "Announce" => return announce::receive(data, &actor, value, Interaction::Boost).await,
        "Like" => return announce::receive(data, &actor, value, Interaction::Like).await,
        _ => {}
    }
    let received = InboxWrite::Received {
        ap_id: envelope.id.to_string(),
        actor_ap_id: actor.id.to_string(),
        kind: envelope.kind.clone(),
    };
    if !data.inbox_writer.write(received).await? {
        tracing::debug!(id = %envelope.id, "activity already received");
        return Ok(());
    }
    let result = match envelope.kind.as_str() {
        "Follow" => follow::receive(data, &actor, value, policy).await,
        "Flag" => flag::receive(data, &actor, value, policy).await,
        "Undo" => undo::receive(data, &actor, value).await,
        "Delete" => delete::receive(data, &actor, value).await,
        "Create" => create::receive(data, &actor, value, policy).await,
        "Update" => update::receive(data, &actor, value).await,
        other => {
            tracing::debug!(kind = other, id = %envelope.id, "ignoring activity type");
            Ok(())
        }
    };
    if result.is_err() {
        // Let a retry of this activity be processed again.
        db::activities::forget_received(&data.db, envelope.id.as_str()).await?;
    }
    result
}

/// A host that talks to us is alive again, whatever its past delivery failures. Hosts already
/// found healthy are not looked up again until this process records a failure or the cache's
/// TTL passes (so a failure recorded by another process is cleared within the TTL).
async fn host_is_talking(data: &Data<Ctx>, host: &str) -> Result<(), FederationError> {
    let changes = db::hosts::changes();
    if data.healthy_hosts.get(host, changes).is_some() {
        return Ok(());
    }
    if db::hosts::mark_available(&data.db, host).await? {
        tracing::info!(%host, "host is available again");
        data.delivery.wake();
    }
    data.healthy_hosts.put(host.to_owned(), changes, ());
    Ok(())
}

/// Fetches (or loads) the actor and checks that the request was signed with its key. A failed
/// check with a cached key is retried once with a fresh copy, in case the key was rotated.
pub(crate) async fn verified_actor(
    data: &Data<Ctx>,
    actor_id: &url::Url,
    checked: &signatures::CheckedRequest,
) -> Result<RemoteActor, FederationError> {
    let actor = RemoteActor::dereference(actor_id, data)
        .await
        .map_err(|e| {
            tracing::info!(%actor_id, error = %e, "cannot fetch the signing actor");
            FederationError::Signature(SignatureError::WrongKeyOwner)
        })?;
    if verify_with(data, &actor, checked).is_ok() {
        return Ok(actor);
    }
    let fresh = RemoteActor::refetch(actor_id, data)
        .await
        .map_err(|_| FederationError::Signature(SignatureError::Invalid))?;
    verify_with(data, &fresh, checked)?;
    Ok(fresh)
}

fn verify_with(
    data: &Data<Ctx>,
    actor: &RemoteActor,
    checked: &signatures::CheckedRequest,
) -> Result<(), SignatureError> {
    if actor.row.public_key_id != checked.key_id.as_str() {
        return Err(SignatureError::WrongKeyOwner);
    }
    // Parsed once per key and PEM, not once per request.
    let key = data
        .verifying_keys
        .get(&actor.row.public_key_id, &actor.row.public_key_pem)
        .map_err(|_| SignatureError::Invalid)?;
    checked.verify(&key)
}

/// Parses the activity as its own type, answering 400 when the shape is wrong.
fn parse<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, FederationError> {
    serde_json::from_value(value)
        .map_err(|e| FederationError::BadRequest(format!("malformed activity: {e}")))
}
