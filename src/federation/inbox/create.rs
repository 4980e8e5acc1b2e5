//! `Create{Note}`: a reply to a local post or release (or to a reply under one), or a direct
//! message to an artist, which is a command.

use activitypub_federation::config::Data;
use serde_json::Value;

use super::{objects::public_object, parse};
use crate::{
    app::Ctx,
    db::{self, interactions::NewReply},
    domain::{interactions, moderation::HostPolicy},
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
    policy: HostPolicy,
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
    let target = match &note.in_reply_to {
        Some(r) => resolve_target(data, &r.0).await?,
        None => None,
    };
    let Some((in_reply_to, object)) = note.in_reply_to.clone().zip(target) else {
        // Not a reply to anything of ours: a private message to an artist is a command.
        if !note.is_public() {
            // Each artist once, and only so many addresses read: a note addressed 10,000 times
            // costs no more than one addressed a few times.
            let mut seen = std::collections::BTreeSet::new();
            for address in note
                .audience()
                .into_iter()
                .take(data.config.limits.max_addressees)
            {
                let Some(username) = url::Url::parse(&address)
                    .ok()
                    .and_then(|u| data.urls.username_of(&u))
                else {
                    continue;
                };
                if !seen.insert(username.clone()) {
                    continue;
                }
                if let Some(artist) = db::artists::by_username(&data.db, &username).await? {
                    let command = crate::domain::messages::handle(
                        &data.db,
                        data.publisher.as_ref(),
                        &artist,
                        &actor.row,
                        note.content.as_deref().unwrap_or_default(),
                        note.id.as_str(),
                    )
                    .await?;
                    tracing::info!(fan = %actor.id, artist = %artist.username, ?command, "direct message");
                }
            }
        } else {
            tracing::debug!(id = %note.id, "ignoring a note that is not about anything of ours");
        }
        return Ok(());
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
    if new && policy.silenced {
        // Replies from a silenced server stay off public pages; the artist may show them.
        if let Some(reply) = db::interactions::reply_by_ap_id(&data.db, note.id.as_str()).await? {
            db::interactions::moderate_reply(&data.db, reply.id, true, false).await?;
        }
    }
    tracing::info!(fan = %actor.id, reply = %note.id, new, "reply");
    Ok(())
}

/// The local object a reply is about: one of ours directly, or through a reply we keep.
async fn resolve_target(
    data: &Data<Ctx>,
    in_reply_to: &url::Url,
) -> Result<Option<db::interactions::ObjectKey>, FederationError> {
    if let Some(object) = public_object(data, in_reply_to).await? {
        return Ok(Some(object));
    }
    Ok(
        match db::interactions::reply_by_ap_id(&data.db, in_reply_to.as_str()).await? {
            Some(parent) if parent.deleted_at.is_none() => Some(db::interactions::ObjectKey {
                artist_id: parent.artist_id,
                kind: if parent.object_kind == "post" {
                    "post"
                } else {
                    "release"
                },
                id: parent.object_id,
            }),
            _ => None,
        },
    )
}
