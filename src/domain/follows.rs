//! Fans following artists: requests, approval, and unfollowing.

use super::{DomainError, Publisher};
use crate::db::{self, artists::Artist, remote_actors::RemoteActorRow, Db};

/// What became of a follow request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowOutcome {
    Accepted,
    Pending,
}

/// Records a follow request; accepts it at once unless the artist approves followers by hand.
/// A repeated request for an accepted follow is accepted again (the follower may have lost our
/// first `Accept`); one that is still pending stays pending. With `needs_approval` (a silenced
/// server) the request waits for the artist even if they accept followers automatically.
pub async fn request(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    follower: &RemoteActorRow,
    follow_ap_id: &str,
    needs_approval: bool,
) -> Result<FollowOutcome, DomainError> {
    let auto_accept = !artist.manually_approves_followers && !needs_approval;
    let follow = db::follows::record(
        db,
        artist.id,
        follower.id,
        follow_ap_id,
        auto_accept,
        |follow| publisher.follow_accepted(artist, follow, follower),
    )
    .await?;
    if follow.accepted {
        publisher.queued();
        Ok(FollowOutcome::Accepted)
    } else {
        Ok(FollowOutcome::Pending)
    }
}

/// Removes the follows a remote actor undid, found by their `Follow` id or, failing that, by the
/// artist it named. Returns how many were removed.
pub async fn undo(
    db: &Db,
    follower: &RemoteActorRow,
    follow_ap_id: &str,
    artist: Option<&Artist>,
) -> Result<usize, DomainError> {
    let mut removed = 0;
    for follow in db::follows::by_follow_ap_id(db, follower.id, follow_ap_id).await? {
        removed += usize::from(db::follows::delete(db, &follow, None).await?);
    }
    if removed == 0 {
        if let Some(artist) = artist {
            if let Some(follow) = db::follows::between(db, artist.id, follower.id).await? {
                removed += usize::from(db::follows::delete(db, &follow, None).await?);
            }
        }
    }
    Ok(removed)
}

/// Approves a pending request of one of the artist's followers and sends `Accept`.
pub async fn approve(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    follow_id: i64,
) -> Result<(), DomainError> {
    let (follow, follower) = pending_of(db, artist, follow_id).await?;
    if db::follows::accept(db, &follow, |f| {
        publisher.follow_accepted(artist, f, &follower)
    })
    .await?
    {
        publisher.queued();
    }
    Ok(())
}

/// Rejects a pending request and sends `Reject`.
pub async fn reject(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    follow_id: i64,
) -> Result<(), DomainError> {
    let (follow, follower) = pending_of(db, artist, follow_id).await?;
    let reject =
        Box::new(|f: &db::follows::FollowRow| publisher.follow_rejected(artist, f, &follower));
    if db::follows::delete(db, &follow, Some(reject)).await? {
        publisher.queued();
    }
    Ok(())
}

async fn pending_of(
    db: &Db,
    artist: &Artist,
    follow_id: i64,
) -> Result<(db::follows::FollowRow, RemoteActorRow), DomainError> {
    db::follows::pending(db, artist.id)
        .await?
        .into_iter()
        .find(|(f, _)| f.id == follow_id)
        .ok_or(DomainError::NotFound("follow request"))
}

/// A remote actor deleted their account: forget their follows.
pub async fn actor_deleted(db: &Db, follower: &RemoteActorRow) -> Result<usize, DomainError> {
    Ok(db::follows::delete_all_of_actor(db, follower.id).await?)
}
