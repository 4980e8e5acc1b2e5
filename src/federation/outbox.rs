//! The federation side of [`Publisher`]: turns domain events into signed activities, records
//! them in the artist's outbox and hands them to the delivery engine, one POST per shared inbox.

use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use serde::Serialize;
use url::Url;

use super::{
    keys::SigningKey,
    objects,
    protocol::{
        activities::{FollowEcho, Outbound},
        WithContext,
    },
};
use crate::{
    db::{
        self, artists::Artist, follows::FollowRow, posts::PostRow, remote_actors::RemoteActorRow,
        Db,
    },
    delivery::{Delivery, Signer},
    domain::{DomainError, Publisher},
    urls::Urls,
};

/// Publishes through ActivityPub.
pub struct FederationPublisher {
    db: Db,
    urls: Urls,
    delivery: Delivery,
    /// Parsed private keys by artist id: parsing a PEM costs more than signing.
    keys: Mutex<HashMap<i64, Arc<SigningKey>>>,
}

impl FederationPublisher {
    pub fn new(db: Db, urls: Urls, delivery: Delivery) -> Self {
        FederationPublisher {
            db,
            urls,
            delivery,
            keys: Mutex::new(HashMap::new()),
        }
    }

    fn signer(&self, artist: &Artist) -> Result<Signer, DomainError> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let key = match keys.get(&artist.id) {
            Some(k) => k.clone(),
            None => {
                let k = Arc::new(
                    SigningKey::from_pem(&artist.private_key_pem)
                        .map_err(|e| DomainError::Internal(e.to_string()))?,
                );
                keys.insert(artist.id, k.clone());
                k
            }
        };
        Ok(Signer {
            key_id: self.urls.key_id(&artist.username),
            key,
        })
    }

    /// One inbox per follower server: the shared inbox where there is one, else the personal one.
    async fn follower_inboxes(&self, artist: &Artist) -> Result<Vec<Url>, DomainError> {
        let inboxes: BTreeSet<String> = db::follows::follower_inboxes(&self.db, artist.id)
            .await?
            .into_iter()
            .map(|(inbox, shared)| shared.unwrap_or(inbox))
            .collect();
        Ok(inboxes.iter().filter_map(|i| Url::parse(i).ok()).collect())
    }

    fn send<T: Serialize>(
        &self,
        artist: &Artist,
        activity: &Outbound<T>,
        inboxes: Vec<Url>,
    ) -> Result<Arc<[u8]>, DomainError> {
        let body: Arc<[u8]> = serde_json::to_vec(&WithContext::new(activity))
            .map_err(|e| DomainError::Internal(e.to_string()))?
            .into();
        if !inboxes.is_empty() {
            self.delivery
                .enqueue(self.signer(artist)?, body.clone(), inboxes);
        }
        Ok(body)
    }

    fn follow_response(
        &self,
        kind: &'static str,
        artist: &Artist,
        follow: &FollowRow,
        follower: &RemoteActorRow,
    ) -> Result<(), DomainError> {
        let actor = self.urls.actor(&artist.username);
        let follower_id =
            Url::parse(&follower.ap_id).map_err(|e| DomainError::Internal(e.to_string()))?;
        let follow_id =
            Url::parse(&follow.follow_ap_id).map_err(|e| DomainError::Internal(e.to_string()))?;
        let inbox =
            Url::parse(&follower.inbox).map_err(|e| DomainError::Internal(e.to_string()))?;
        let activity = Outbound {
            kind,
            id: self.urls.new_activity(),
            actor: actor.clone(),
            to: vec![follower_id.to_string()],
            cc: Vec::new(),
            published: None,
            object: FollowEcho {
                kind: "Follow",
                id: follow_id,
                actor: follower_id,
                object: actor,
            },
        };
        self.send(artist, &activity, vec![inbox])?;
        Ok(())
    }
}

#[async_trait]
impl Publisher for FederationPublisher {
    async fn post_created(&self, artist: &Artist, post: &PostRow) -> Result<(), DomainError> {
        let note = objects::post_note(artist, post, &self.urls);
        let activity = Outbound {
            kind: "Create",
            id: self.urls.post_activity(&artist.username, post.id),
            actor: note.attributed_to.clone(),
            to: note.to.clone(),
            cc: note.cc.clone(),
            published: Some(note.published),
            object: note,
        };
        let inboxes = self.follower_inboxes(artist).await?;
        let body = self.send(artist, &activity, inboxes)?;
        let listed = post.visibility != "followers";
        db::activities::insert_sent(
            &self.db,
            artist.id,
            activity.id.as_str(),
            "Create",
            activity.object.id.as_str(),
            std::str::from_utf8(&body).unwrap_or_default(),
            listed,
        )
        .await?;
        Ok(())
    }

    async fn post_deleted(&self, artist: &Artist, post: &PostRow) -> Result<(), DomainError> {
        let mut post = post.clone();
        post.deleted_at.get_or_insert_with(db::now);
        let tombstone = objects::post_tombstone(artist, &post, &self.urls);
        let visibility = crate::domain::posts::Visibility::parse(&post.visibility)
            .unwrap_or(crate::domain::posts::Visibility::Followers);
        let (to, cc) = objects::addressing(visibility, &self.urls.followers(&artist.username));
        let activity = Outbound {
            kind: "Delete",
            id: self.urls.new_activity(),
            actor: self.urls.actor(&artist.username),
            to,
            cc,
            published: Some(tombstone.deleted),
            object: tombstone,
        };
        let inboxes = self.follower_inboxes(artist).await?;
        let body = self.send(artist, &activity, inboxes)?;
        let object_id = activity.object.id.as_str();
        db::activities::unlist_for_object(&self.db, object_id).await?;
        db::activities::insert_sent(
            &self.db,
            artist.id,
            activity.id.as_str(),
            "Delete",
            object_id,
            std::str::from_utf8(&body).unwrap_or_default(),
            false,
        )
        .await?;
        Ok(())
    }

    async fn actor_updated(&self, artist: &Artist) -> Result<(), DomainError> {
        let actor = objects::artist_actor(artist, &self.urls);
        let activity = Outbound {
            kind: "Update",
            id: self.urls.new_activity(),
            actor: actor.id.clone(),
            to: vec![crate::federation::protocol::PUBLIC.to_owned()],
            cc: vec![self.urls.followers(&artist.username).to_string()],
            published: Some(artist.updated_at.and_utc()),
            object: actor,
        };
        let inboxes = self.follower_inboxes(artist).await?;
        self.send(artist, &activity, inboxes)?;
        Ok(())
    }

    async fn follow_accepted(
        &self,
        artist: &Artist,
        follow: &FollowRow,
        follower: &RemoteActorRow,
    ) -> Result<(), DomainError> {
        self.follow_response("Accept", artist, follow, follower)
    }

    async fn follow_rejected(
        &self,
        artist: &Artist,
        follow: &FollowRow,
        follower: &RemoteActorRow,
    ) -> Result<(), DomainError> {
        self.follow_response("Reject", artist, follow, follower)
    }
}
