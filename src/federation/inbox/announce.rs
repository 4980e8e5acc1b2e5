//! `Announce` (a boost) and `Like` of a local post or release.

use activitypub_federation::config::Data;
use serde_json::Value;

use super::{objects::public_object, parse};
use crate::{
    app::Ctx,
    domain::interactions::{self, Interaction},
    federation::{
        protocol::activities::ObjectActivity, remote_actor::RemoteActor, FederationError,
    },
};

pub async fn receive(
    data: &Data<Ctx>,
    actor: &RemoteActor,
    value: Value,
    what: Interaction,
) -> Result<(), FederationError> {
    let activity: ObjectActivity = parse(value)?;
    if activity.actor.0 != actor.id {
        return Err(FederationError::Forbidden(
            "actor may only act for itself".to_owned(),
        ));
    }
    // Boosts of other servers' objects, and of anything not public, are none of our business.
    let Some(object) = public_object(data, &activity.object.0).await? else {
        tracing::debug!(object = %activity.object.0, "ignoring interaction with an object that is not ours or not public");
        return Ok(());
    };
    let new =
        interactions::record(&data.db, what, object, &actor.row, activity.id.as_str()).await?;
    tracing::info!(fan = %actor.id, ?what, object = %activity.object.0, new, "interaction");
    Ok(())
}
