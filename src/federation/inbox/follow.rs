//! `Follow` of a local artist.

use activitypub_federation::config::Data;
use serde_json::Value;

use super::parse;
use crate::{
    app::Ctx,
    db,
    domain::{follows, moderation::HostPolicy},
    federation::{protocol::activities::Follow, remote_actor::RemoteActor, FederationError},
};

pub async fn receive(
    data: &Data<Ctx>,
    actor: &RemoteActor,
    value: Value,
    policy: HostPolicy,
) -> Result<(), FederationError> {
    let follow: Follow = parse(value)?;
    if follow.actor.0 != actor.id {
        return Err(FederationError::Forbidden(
            "actor may only follow for itself".to_owned(),
        ));
    }
    let username = data
        .urls
        .username_of(&follow.object.0)
        .ok_or(FederationError::NotFound("local artist"))?;
    let artist = db::artists::by_username(&data.db, &username)
        .await?
        .ok_or(FederationError::NotFound("artist"))?;
    if crate::domain::moderation::artist_suspended(&data.db, &artist.username).await? {
        return Err(crate::domain::DomainError::Gone("artist").into());
    }
    let outcome = follows::request(
        &data.db,
        data.publisher.as_ref(),
        &artist,
        &actor.row,
        follow.id.as_str(),
        // A silenced server's fans wait for the artist's approval, as on Mastodon.
        policy.silenced,
    )
    .await?;
    tracing::info!(artist = %artist.username, follower = %actor.id, ?outcome, "follow request");
    Ok(())
}
