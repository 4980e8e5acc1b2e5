//! Remote actors following local artists, pending or accepted.

use chrono::NaiveDateTime;

use diesel_async::AsyncConnection;

use super::outbox::Outgoing;
use super::schema::{follows, remote_actors};
use super::{Db, DbError, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use super::{JoinOnDsl, Queryable, Selectable, SelectableHelper};
use crate::db::remote_actors::RemoteActorRow;
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = follows)]
pub struct FollowRow {
    pub id: i64,
    pub artist_id: i64,
    pub remote_actor_id: i64,
    /// Id of the `Follow` activity, echoed in our `Accept`/`Reject`.
    pub follow_ap_id: String,
    pub accepted: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Records a follow request, accepted or pending. A repeated request for an existing follow only
/// refreshes the `Follow` id and keeps its state, so there is never a second row. When the
/// resulting follow is accepted, the `Accept` built by `respond` is stored in the same
/// transaction.
pub async fn record(
    db: &Db,
    artist_id: i64,
    remote_actor_id: i64,
    follow_ap_id: &str,
    accepted: bool,
    respond: impl FnOnce(&FollowRow) -> Outgoing + Send,
) -> DbResult<FollowRow> {
    let now = super::now();
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
                let follow: FollowRow = diesel::insert_into(follows::table)
                    .values((
                        follows::artist_id.eq(artist_id),
                        follows::remote_actor_id.eq(remote_actor_id),
                        follows::follow_ap_id.eq(follow_ap_id),
                        follows::accepted.eq(accepted),
                        follows::created_at.eq(now),
                        follows::updated_at.eq(now),
                    ))
                    .on_conflict((follows::artist_id, follows::remote_actor_id))
                    .do_update()
                    .set((follows::follow_ap_id.eq(follow_ap_id), follows::updated_at.eq(now)))
                    .returning(FollowRow::as_returning())
                    .get_result(conn)
                    .await?;
                if follow.accepted {
                    crate::store_outgoing!(conn, artist_id, &respond(&follow))?;
                }
                Ok(follow)
        })
        .await)
}

/// Records an accepted follow without answering it: for imports and benchmarks, where the
/// follower was accepted elsewhere already. An existing follow is left as it is.
pub async fn import_accepted(
    db: &Db,
    artist_id: i64,
    remote_actor_id: i64,
    follow_ap_id: &str,
) -> DbResult<()> {
    let now = super::now();
    with_conn!(db, conn => {
        diesel::insert_into(follows::table)
            .values((
                follows::artist_id.eq(artist_id),
                follows::remote_actor_id.eq(remote_actor_id),
                follows::follow_ap_id.eq(follow_ap_id),
                follows::accepted.eq(true),
                follows::created_at.eq(now),
                follows::updated_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        Ok(())
    })
}

pub async fn by_id(db: &Db, id: i64) -> DbResult<Option<FollowRow>> {
    with_conn!(db, conn => Ok(follows::table
        .find(id)
        .select(FollowRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

pub async fn between(db: &Db, artist_id: i64, remote_actor_id: i64) -> DbResult<Option<FollowRow>> {
    with_conn!(db, conn => Ok(follows::table
        .filter(follows::artist_id.eq(artist_id))
        .filter(follows::remote_actor_id.eq(remote_actor_id))
        .select(FollowRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

/// Finds follows of one remote actor by the id of their `Follow` activity.
pub async fn by_follow_ap_id(
    db: &Db,
    remote_actor_id: i64,
    follow_ap_id: &str,
) -> DbResult<Vec<FollowRow>> {
    with_conn!(db, conn => Ok(follows::table
        .filter(follows::remote_actor_id.eq(remote_actor_id))
        .filter(follows::follow_ap_id.eq(follow_ap_id))
        .select(FollowRow::as_select())
        .load(conn)
        .await?))
}

/// Accepts a pending follow and stores the `Accept` built by `respond`, in one transaction.
/// Returns false, changing nothing, when it was not pending.
pub async fn accept(
    db: &Db,
    follow: &FollowRow,
    respond: impl FnOnce(&FollowRow) -> Outgoing + Send,
) -> DbResult<bool> {
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
                let n = diesel::update(follows::table.find(follow.id).filter(follows::accepted.eq(false)))
                    .set((follows::accepted.eq(true), follows::updated_at.eq(super::now())))
                    .execute(conn)
                    .await?;
                if n == 1 {
                    crate::store_outgoing!(conn, follow.artist_id, &respond(follow))?;
                }
                Ok(n == 1)
        })
        .await)
}

/// Builds the activity that answers a follow (an `Accept` or `Reject`).
pub type Respond<'a> = Box<dyn FnOnce(&FollowRow) -> Outgoing + Send + 'a>;

/// Deletes a follow; with `respond`, also stores the activity it builds (a `Reject`) in the same
/// transaction. Returns whether a follow was deleted.
pub async fn delete(db: &Db, follow: &FollowRow, respond: Option<Respond<'_>>) -> DbResult<bool> {
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
                let n = diesel::delete(follows::table.find(follow.id)).execute(conn).await?;
                if n == 1 {
                    if let Some(respond) = respond {
                        crate::store_outgoing!(conn, follow.artist_id, &respond(follow))?;
                    }
                }
                Ok(n == 1)
        })
        .await)
}

/// Deletes every follow of a remote actor (their account was deleted).
pub async fn delete_all_of_actor(db: &Db, remote_actor_id: i64) -> DbResult<usize> {
    with_conn!(db, conn => Ok(diesel::delete(
        follows::table.filter(follows::remote_actor_id.eq(remote_actor_id)),
    )
    .execute(conn)
    .await?))
}

pub async fn count_accepted(db: &Db, artist_id: i64) -> DbResult<i64> {
    with_conn!(db, conn => Ok(follows::table
        .filter(follows::artist_id.eq(artist_id))
        .filter(follows::accepted.eq(true))
        .count()
        .get_result(conn)
        .await?))
}

/// Pending follow requests of an artist, oldest first, with the requesting actor.
pub async fn pending(db: &Db, artist_id: i64) -> DbResult<Vec<(FollowRow, RemoteActorRow)>> {
    with_conn!(db, conn => Ok(follows::table
        .inner_join(remote_actors::table.on(remote_actors::id.eq(follows::remote_actor_id)))
        .filter(follows::artist_id.eq(artist_id))
        .filter(follows::accepted.eq(false))
        .order(follows::id.asc())
        .select((FollowRow::as_select(), RemoteActorRow::as_select()))
        .load(conn)
        .await?))
}
