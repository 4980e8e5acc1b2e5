//! `Announce` (a boost) and `Like` of a local post or release.

use activitypub_federation::config::Data;
use serde_json::Value;

use super::{objects::public_object, parse};
use crate::{
    app::Ctx,
    db::inbox_writer::{InboxWrite, NewInteraction},
    domain::interactions::Interaction,
    federation::{
        protocol::activities::ObjectActivity, remote_actor::RemoteActor, FederationError,
    },
};

/// Stores the boost or like with `received` (the activity's record) in one write.
pub async fn receive(
    data: &Data<Ctx>,
    actor: &RemoteActor,
    value: Value,
    what: Interaction,
    mut received: InboxWrite,
) -> Result<(), FederationError> {
    let activity: ObjectActivity = parse(value)?;
    if activity.actor.0 != actor.id {
        return Err(FederationError::Forbidden(
            "actor may only act for itself".to_owned(),
        ));
    }
    // Boosts of other servers' objects, and of anything not public, are none of our business:
    // only the activity's id is recorded.
    let object = public_object(data, &activity.object.0).await?;
    received.interaction = object.map(|object| NewInteraction {
        kind: what.as_str(),
        object,
        remote_actor_id: actor.row.id,
    });
    let written = data.inbox_writer.write(received).await?;
    match object {
        None => {
            tracing::debug!(object = %activity.object.0, "ignoring interaction with an object that is not ours or not public")
        }
        Some(_) if !written.new_activity => {
            tracing::debug!(id = %activity.id, "activity already received")
        }
        Some(_) => {
            tracing::info!(fan = %actor.id, ?what, object = %activity.object.0, new = written.new_interaction, "interaction")
        }
    }
    Ok(())
}
