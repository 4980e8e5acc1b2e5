//! Signed GETs ("authorized fetch"): who is asking for a document. Same policy as the inbox,
//! without a digest (a GET has no body). Key ids come as `ACTOR#main-key` (Mastodon) or
//! `ACTOR/main-key` (GoToSocial, whose key URL serves a stub naming the actor); some servers
//! (Gancio) sign `(request-target)` without the query string, which is accepted too.

use std::time::SystemTime;

use activitypub_federation::config::Data;
use axum::http::{HeaderMap, Method};
use url::Url;

use super::{
    inbox::verified_actor,
    remote_actor::RemoteActor,
    signatures::{self, SignatureError, Window},
    FederationError,
};
use crate::{app::Ctx, db};

/// Verifies a signed GET and returns the signing actor.
pub async fn verify(
    data: &Data<Ctx>,
    path: &str,
    path_and_query: &str,
    headers: &HeaderMap,
) -> Result<RemoteActor, FederationError> {
    let config = &data.config;
    let window = Window {
        max_age: config.limits.signature_max_age,
        max_skew: config.limits.signature_max_skew,
    };
    let check = |target: &str| {
        signatures::check_request(
            &Method::GET,
            target,
            headers,
            None,
            &config.domain,
            SystemTime::now(),
            window,
        )
    };
    let checked = check(path_and_query)?;
    let actor_id = signer_id(data, &checked.key_id).await?;
    match verified_actor(data, &actor_id, &checked).await {
        Err(FederationError::Signature(SignatureError::Invalid)) if path != path_and_query => {
            let without_query = check(path)?;
            verified_actor(data, &actor_id, &without_query).await
        }
        other => other,
    }
}

/// The actor a key id belongs to: known from an earlier fetch, or the key URL without its
/// fragment (the federation library follows a key document to the actor it names).
async fn signer_id(data: &Data<Ctx>, key_id: &Url) -> Result<Url, FederationError> {
    if let Some(row) = db::remote_actors::by_public_key_id(&data.db, key_id.as_str()).await? {
        if let Ok(id) = Url::parse(&row.ap_id) {
            return Ok(id);
        }
    }
    let mut url = key_id.clone();
    url.set_fragment(None);
    if data.urls.is_local(&url) {
        return Err(FederationError::Signature(SignatureError::WrongKeyOwner));
    }
    let actor = RemoteActor::dereference(&url, data).await.map_err(|e| {
        tracing::info!(%key_id, error = %e, "cannot fetch the signing key's actor");
        FederationError::Signature(SignatureError::WrongKeyOwner)
    })?;
    Ok(actor.id)
}
