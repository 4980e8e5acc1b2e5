//! `Create{Note}` replying to a local post or release, or to a reply under one.

use activitypub_federation::config::Data;
use serde_json::Value;

use super::{objects::public_object, parse};
use crate::{
    app::Ctx,
    db::{self, interactions::NewReply},
    domain::interactions,
    federation::{
        protocol::{activities::CreateNote, same_origin},
        remote_actor::RemoteActor,
        FederationError,
    },
};

pub async fn receive(
    data: &Data<Ctx>,
    actor: &RemoteActor,
    value: Value,
) -> Result<(), FederationError> {
    let create: CreateNote = parse(value)?;
    let note = create.object;
    if create.actor.0 != actor.id || note.attributed_to.0 != actor.id {
        return Err(FederationError::Forbidden(
            "a note must be created by its author".to_owned(),
        ));
    }
    if !same_origin(&note.id, &actor.id) {
        return Err(FederationError::BadRequest(
            "note id is on another host than its author".to_owned(),
        ));
    }
    let Some(in_reply_to) = note.in_reply_to else {
        tracing::debug!(id = %note.id, "ignoring a note that replies to nothing");
        return Ok(());
    };
    // A reply to one of our objects, or to a reply we keep under one of them.
    let object = match public_object(data, &in_reply_to.0).await? {
        Some(object) => object,
        None => match db::interactions::reply_by_ap_id(&data.db, in_reply_to.0.as_str()).await? {
            Some(parent) if parent.deleted_at.is_none() => db::interactions::ObjectKey {
                artist_id: parent.artist_id,
                kind: if parent.object_kind == "post" {
                    "post"
                } else {
                    "release"
                },
                id: parent.object_id,
            },
            _ => {
                tracing::debug!(id = %note.id, "ignoring a reply to something not ours");
                return Ok(());
            }
        },
    };
    let new = interactions::reply(
        &data.db,
        NewReply {
            ap_id: note.id.to_string(),
            artist_id: object.artist_id,
            object_kind: object.kind.to_owned(),
            object_id: object.id,
            in_reply_to: in_reply_to.0.to_string(),
            remote_actor_id: actor.row.id,
            url: note.url.and_then(|u| u.as_str().map(str::to_owned)),
            content_html: note.content.unwrap_or_default(),
            published_at: note
                .published
                .map(|p| p.naive_utc())
                .unwrap_or_else(db::now),
        },
    )
    .await?;
    tracing::info!(fan = %actor.id, reply = %note.id, new, "reply");
    Ok(())
}
