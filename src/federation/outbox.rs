//! The federation side of [`Publisher`]: turns domain events into the exact activity JSON that
//! is stored with its deliveries (in the domain change's transaction) and later signed and sent
//! by the delivery engine, one POST per shared inbox.

use serde::Serialize;

use super::{
    objects,
    protocol::{
        activities::{CollectionChange, FollowEcho, Outbound},
        note::Tombstone,
        WithContext, PUBLIC,
    },
};
use crate::{
    db::{
        artists::Artist,
        follows::FollowRow,
        media::MediaRow,
        outbox::{Audience, Outgoing},
        posts::PostRow,
        releases::{ReleaseRow, TrackRow},
        remote_actors::RemoteActorRow,
        shows::ShowRow,
    },
    delivery::Delivery,
    domain::{posts::Visibility, releases::MediaSet, Publisher},
    urls::Urls,
};

/// Publishes through ActivityPub.
pub struct FederationPublisher {
    urls: Urls,
    delivery: Delivery,
}

impl FederationPublisher {
    pub fn new(urls: Urls, delivery: Delivery) -> Self {
        FederationPublisher { urls, delivery }
    }

    /// `Delete{Tombstone}`, addressed like the object was.
    fn delete(
        &self,
        artist: &Artist,
        tombstone: Tombstone,
        visibility: Visibility,
        audience: Audience,
    ) -> Outgoing {
        let (to, cc) = objects::addressing(visibility, &self.urls.followers(&artist.username));
        let activity = Outbound {
            kind: "Delete",
            id: self.urls.new_activity().to_string(),
            actor: self.urls.actor(&artist.username).to_string(),
            to,
            cc,
            published: Some(tombstone.deleted),
            object: tombstone,
        };
        outgoing(&activity, activity.object.id.to_string(), false, audience)
    }

    fn follow_response(
        &self,
        kind: &'static str,
        artist: &Artist,
        follow: &FollowRow,
        follower: &RemoteActorRow,
    ) -> Outgoing {
        let actor = self.urls.actor(&artist.username).to_string();
        let activity = Outbound {
            kind,
            id: self.urls.new_activity().to_string(),
            actor: actor.clone(),
            to: vec![follower.ap_id.clone()],
            cc: Vec::new(),
            published: None,
            object: FollowEcho {
                kind: "Follow",
                id: follow.follow_ap_id.clone(),
                actor: follower.ap_id.clone(),
                object: actor,
            },
        };
        outgoing(
            &activity,
            follow.follow_ap_id.clone(),
            false,
            Audience::inbox(follower.inbox.clone(), follower.domain.clone()),
        )
    }
}

/// A report sent to another server.
#[derive(Serialize)]
struct FlagActivity {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    actor: String,
    content: String,
    object: Vec<String>,
}

/// Followers (unless it is a direct message) and everyone the post mentions.
fn post_audience(post: &PostRow, visibility: Visibility) -> Audience {
    let base = if visibility == Visibility::Direct {
        Audience::default()
    } else {
        Audience::followers()
    };
    crate::domain::posts::mentions(post)
        .into_iter()
        .fold(base, |audience, m| audience.and_inbox(m.inbox, m.host))
}

/// Serialises an activity with its context into the [`Outgoing`] the database stores.
fn outgoing<T: Serialize>(
    activity: &Outbound<T>,
    object_ap_id: String,
    listed: bool,
    audience: Audience,
) -> Outgoing {
    Outgoing {
        ap_id: activity.id.clone(),
        kind: activity.kind,
        object_ap_id,
        // Our own types always serialise.
        payload: serde_json::to_string(&WithContext::new(activity)).unwrap_or_default(),
        listed,
        audience,
    }
}

impl Publisher for FederationPublisher {
    fn post_created(&self, artist: &Artist, post: &PostRow) -> Outgoing {
        let note = objects::post_note(artist, post, &self.urls);
        let activity = Outbound {
            kind: "Create",
            id: self
                .urls
                .post_activity(&artist.username, post.id)
                .to_string(),
            actor: note.attributed_to.to_string(),
            to: note.to.clone(),
            cc: note.cc.clone(),
            published: Some(note.published),
            object: note,
        };
        let visibility = Visibility::parse(&post.visibility).unwrap_or(Visibility::Followers);
        let listed = matches!(visibility, Visibility::Public | Visibility::Unlisted);
        outgoing(
            &activity,
            activity.object.id.to_string(),
            listed,
            post_audience(post, visibility),
        )
    }

    fn post_deleted(&self, artist: &Artist, post: &PostRow) -> Outgoing {
        let tombstone = objects::post_tombstone(artist, post, &self.urls);
        let visibility = Visibility::parse(&post.visibility).unwrap_or(Visibility::Followers);
        self.delete(
            artist,
            tombstone,
            visibility,
            post_audience(post, visibility),
        )
    }

    fn actor_updated(&self, artist: &Artist) -> Outgoing {
        let actor = objects::artist_actor(artist, &self.urls);
        let activity = Outbound {
            kind: "Update",
            id: self.urls.new_activity().to_string(),
            actor: actor.id.to_string(),
            to: vec![PUBLIC.to_owned()],
            cc: vec![self.urls.followers(&artist.username).to_string()],
            published: Some(artist.updated_at.and_utc()),
            object: actor,
        };
        outgoing(
            &activity,
            activity.actor.clone(),
            false,
            Audience::followers(),
        )
    }

    fn follow_accepted(
        &self,
        artist: &Artist,
        follow: &FollowRow,
        follower: &RemoteActorRow,
    ) -> Outgoing {
        self.follow_response("Accept", artist, follow, follower)
    }

    fn follow_rejected(
        &self,
        artist: &Artist,
        follow: &FollowRow,
        follower: &RemoteActorRow,
    ) -> Outgoing {
        self.follow_response("Reject", artist, follow, follower)
    }

    fn release_published(
        &self,
        artist: &Artist,
        release: &ReleaseRow,
        tracks: &[TrackRow],
        media: &MediaSet,
    ) -> Outgoing {
        let note = objects::release_note(artist, release, tracks, media, &self.urls);
        let activity = Outbound {
            kind: "Create",
            id: self
                .urls
                .release_activity(&artist.username, release.id)
                .to_string(),
            actor: note.attributed_to.to_string(),
            to: note.to.clone(),
            cc: note.cc.clone(),
            published: Some(note.published),
            object: note,
        };
        outgoing(
            &activity,
            activity.object.id.to_string(),
            true,
            Audience::followers(),
        )
    }

    fn release_updated(
        &self,
        artist: &Artist,
        release: &ReleaseRow,
        tracks: &[TrackRow],
        media: &MediaSet,
    ) -> Outgoing {
        let note = objects::release_note(artist, release, tracks, media, &self.urls);
        let activity = Outbound {
            kind: "Update",
            id: self.urls.new_activity().to_string(),
            actor: note.attributed_to.to_string(),
            to: note.to.clone(),
            cc: note.cc.clone(),
            published: note.updated,
            object: note,
        };
        outgoing(
            &activity,
            activity.object.id.to_string(),
            false,
            Audience::followers(),
        )
    }

    fn release_deleted(&self, artist: &Artist, release: &ReleaseRow) -> Outgoing {
        let tombstone = objects::release_tombstone(artist, release, &self.urls);
        self.delete(artist, tombstone, Visibility::Public, Audience::followers())
    }

    fn release_object_id(&self, artist: &Artist, release: &ReleaseRow) -> String {
        self.urls.release(&artist.username, release.id).to_string()
    }

    fn show_published(
        &self,
        artist: &Artist,
        show: &ShowRow,
        poster: Option<&MediaRow>,
    ) -> Outgoing {
        let event = objects::show_event(artist, show, poster, "", &self.urls);
        let activity = Outbound {
            kind: "Create",
            id: self
                .urls
                .show_activity(&artist.username, show.id)
                .to_string(),
            actor: self.urls.actor(&artist.username).to_string(),
            to: vec![PUBLIC.to_owned()],
            cc: vec![self.urls.followers(&artist.username).to_string()],
            published: Some(show.published_at.and_utc()),
            object: event,
        };
        let id = self.urls.show(&artist.username, show.id).to_string();
        outgoing(&activity, id, true, Audience::followers())
    }

    fn show_updated(
        &self,
        artist: &Artist,
        show: &ShowRow,
        what_changed: &str,
        poster: Option<&MediaRow>,
    ) -> Outgoing {
        let event = objects::show_event(artist, show, poster, what_changed, &self.urls);
        let activity = Outbound {
            kind: "Update",
            id: self.urls.new_activity().to_string(),
            actor: self.urls.actor(&artist.username).to_string(),
            to: vec![PUBLIC.to_owned()],
            cc: vec![self.urls.followers(&artist.username).to_string()],
            published: Some(show.updated_at.and_utc()),
            object: event,
        };
        let id = self.urls.show(&artist.username, show.id).to_string();
        outgoing(&activity, id, false, Audience::followers())
    }

    fn show_deleted(&self, artist: &Artist, show: &ShowRow) -> Outgoing {
        let tombstone = objects::show_tombstone(artist, show, &self.urls);
        self.delete(artist, tombstone, Visibility::Public, Audience::followers())
    }

    fn show_object_id(&self, artist: &Artist, show: &ShowRow) -> String {
        self.urls.show(&artist.username, show.id).to_string()
    }

    fn show_pinned(&self, artist: &Artist, show: &ShowRow, pinned: bool) -> Outgoing {
        let object = self.urls.show(&artist.username, show.id).to_string();
        let activity = CollectionChange {
            kind: if pinned { "Add" } else { "Remove" },
            id: self.urls.new_activity().to_string(),
            actor: self.urls.actor(&artist.username).to_string(),
            to: vec![PUBLIC.to_owned()],
            cc: vec![self.urls.followers(&artist.username).to_string()],
            object: object.clone(),
            target: self.urls.featured(&artist.username).to_string(),
        };
        Outgoing {
            ap_id: activity.id.clone(),
            kind: activity.kind,
            object_ap_id: object,
            // Our own types always serialise.
            payload: serde_json::to_string(&WithContext::new(&activity)).unwrap_or_default(),
            listed: false,
            audience: Audience::followers(),
        }
    }

    fn actor_deleted(&self, artist: &Artist) -> Outgoing {
        let actor = self.urls.actor(&artist.username).to_string();
        let activity = Outbound {
            kind: "Delete",
            id: format!("{actor}#delete/{}", uuid::Uuid::new_v4()),
            actor: actor.clone(),
            to: vec![PUBLIC.to_owned()],
            cc: Vec::new(),
            published: None,
            object: actor.clone(),
        };
        outgoing(&activity, actor, false, Audience::followers())
    }

    fn report_sent(&self, target: &RemoteActorRow, objects: &[String], comment: &str) -> Outgoing {
        // Mastodon's shape (`ActivityPub::FlagSerializer`): the instance actor reports, so the
        // reporter stays anonymous; `object` is the account, then its statuses.
        let flag = FlagActivity {
            kind: "Flag",
            id: self.urls.new_activity().to_string(),
            actor: self.urls.instance_actor().to_string(),
            content: comment.to_owned(),
            object: std::iter::once(target.ap_id.clone())
                .chain(objects.iter().cloned())
                .collect(),
        };
        Outgoing {
            ap_id: flag.id.clone(),
            kind: "Flag",
            object_ap_id: target.ap_id.clone(),
            payload: serde_json::to_string(&WithContext::new(&flag)).unwrap_or_default(),
            listed: false,
            audience: Audience::inbox(target.inbox.clone(), target.domain.clone()),
        }
    }

    fn queued(&self) {
        self.delivery.wake();
    }
}
