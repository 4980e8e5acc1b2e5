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

/// Stores the boost or like, once per activity id and once per fan and object.
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
    let new = data
        .inbox_writer
        .write(InboxWrite::Interaction {
            activity_ap_id: activity.id.to_string(),
            interaction: NewInteraction {
                kind: what.as_str(),
                object,
                remote_actor_id: actor.row.id,
            },
        })
        .await?;
    // Debug, not info: a popular post brings thousands of these a minute, none needing an admin.
    tracing::debug!(fan = %actor.id, ?what, object = %activity.object.0, new, "interaction");
    Ok(())
}
