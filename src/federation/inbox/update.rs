//! `Update` of a reply by its author. Anything else is ignored.

use activitypub_federation::config::Data;
use serde_json::Value;

use super::parse;
use crate::{
    app::Ctx,
    domain::interactions,
    federation::{protocol::activities::UpdateNote, remote_actor::RemoteActor, FederationError},
};

pub async fn receive(
    data: &Data<Ctx>,
    actor: &RemoteActor,
    value: Value,
) -> Result<(), FederationError> {
    let update: UpdateNote = parse(value)?;
    if update.actor.0 != actor.id {
        return Err(FederationError::Forbidden(
            "actor may only update its own objects".to_owned(),
        ));
    }
    if update.object.kind.as_deref() != Some("Note") {
        tracing::debug!(kind = ?update.object.kind, "ignoring update of a non-note");
        return Ok(());
    }
    // The author check is in the query: someone else's update matches no row.
    let changed = interactions::edit_reply(
        &data.db,
        &actor.row,
        update.object.id.as_str(),
        update.object.content.as_deref().unwrap_or_default(),
    )
    .await?;
    tracing::info!(fan = %actor.id, reply = %update.object.id, changed, "reply update");
    Ok(())
}
