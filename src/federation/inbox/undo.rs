//! `Undo` of an activity the same actor sent earlier: a follow, a boost or a like.

use activitypub_federation::config::Data;
use serde_json::Value;

use super::{objects::public_object, parse};
use crate::{
    app::Ctx,
    db,
    domain::{
        follows,
        interactions::{self, Interaction},
    },
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
    let interaction = match undone.kind.as_deref() {
        Some("Announce") => Some(Interaction::Boost),
        Some("Like") => Some(Interaction::Like),
        _ => None,
    };
    if let Some(what) = interaction {
        let about = match &undone.object {
            Some(object) => public_object(data, &object.0).await?.map(|o| (what, o)),
            None => None,
        };
        let removed = interactions::undo(&data.db, &actor.row, undone.id.as_str(), about).await?;
        tracing::info!(fan = %actor.id, ?what, removed, "undo");
        return Ok(());
    }
    if undone.kind.is_none() {
        // Only the id: it may be a boost or like as well as a follow.
        let removed = interactions::undo(&data.db, &actor.row, undone.id.as_str(), None).await?;
        if removed > 0 {
            tracing::info!(fan = %actor.id, removed, "undo by id");
            return Ok(());
        }
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
