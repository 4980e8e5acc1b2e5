//! `Delete`: an actor deleting its own account removes its follows; deleting one of its replies
//! removes the reply.

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
    } else {
        // A reply of theirs; someone else's is untouched (the author is part of the query).
        let deleted = crate::domain::interactions::delete_reply(
            &data.db,
            &actor.row,
            delete.object.0.as_str(),
        )
        .await?;
        tracing::info!(actor = %actor.id, object = %delete.object.0, deleted, "delete");
    }
    Ok(())
}
