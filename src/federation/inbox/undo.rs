//! `Undo` of an activity the same actor sent earlier. Only `Undo{Follow}` has an effect so far.

use activitypub_federation::config::Data;
use serde_json::Value;

use super::parse;
use crate::{
    app::Ctx,
    db,
    domain::follows,
    federation::{protocol::activities::Undo, remote_actor::RemoteActor, FederationError},
};

pub async fn receive(
    data: &Data<Ctx>,
    actor: &RemoteActor,
    value: Value,
) -> Result<(), FederationError> {
    let undo: Undo = parse(value)?;
    if undo.actor.0 != actor.id {
        return Err(FederationError::Forbidden(
            "actor may only undo its own activities".to_owned(),
        ));
    }
    let undone = undo.object;
    // An undone activity is on its actor's host; anything else cannot be theirs.
    if !crate::federation::protocol::same_origin(&undone.id, &actor.id) {
        return Err(FederationError::Forbidden(
            "cannot undo another actor's activity".to_owned(),
        ));
    }
    match undone.kind.as_deref() {
        Some("Follow") | None => {
            let artist = match undone
                .object
                .as_ref()
                .and_then(|o| data.urls.username_of(&o.0))
            {
                Some(username) => db::artists::by_username(&data.db, &username).await?,
                None => None,
            };
            // Lookups are by this actor's own follows, so nobody can undo someone else's.
            let removed =
                follows::undo(&data.db, &actor.row, undone.id.as_str(), artist.as_ref()).await?;
            tracing::info!(follower = %actor.id, removed, "undo follow");
            Ok(())
        }
        Some(other) => {
            tracing::debug!(kind = other, "ignoring undo of unsupported activity");
            Ok(())
        }
    }
}
