//! `Delete`: an actor deleting its own account removes its follows.

use activitypub_federation::config::Data;
use serde_json::Value;

use super::parse;
use crate::{
    app::Ctx,
    domain::follows,
    federation::{protocol::activities::Delete, remote_actor::RemoteActor, FederationError},
};

pub async fn receive(
    data: &Data<Ctx>,
    actor: &RemoteActor,
    value: Value,
) -> Result<(), FederationError> {
    let delete: Delete = parse(value)?;
    if delete.actor.0 != actor.id {
        return Err(FederationError::Forbidden(
            "actor may only delete its own objects".to_owned(),
        ));
    }
    if delete.object.0 == actor.id {
        let removed = follows::actor_deleted(&data.db, &actor.row).await?;
        tracing::info!(actor = %actor.id, removed, "remote actor deleted");
    }
    Ok(())
}
