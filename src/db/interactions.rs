//! Boosts and likes of local objects by remote actors, and replies to them.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDateTime;

use super::remote_actors::RemoteActorRow;
use super::schema::{artists, interactions, posts, releases, remote_actors, replies};
use super::{Db, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use super::{Insertable, JoinOnDsl, Queryable, Selectable, SelectableHelper};
use crate::with_conn;

/// A local object that fans interact with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectKey {
    pub artist_id: i64,
    /// `post` or `release`.
    pub kind: &'static str,
    pub id: i64,
}

/// Writes by this process that may have made a post or release stop being public; see
/// [`object_changes`].
static OBJECT_CHANGES: AtomicU64 = AtomicU64::new(0);

/// A counter that grows after every write that may take a post or release out of
/// [`public_object`]'s answers (a deleted post, an updated or deleted release). The inbox keeps
/// positive answers under it; a new post or release is simply not cached yet.
pub fn object_changes() -> u64 {
    AtomicU64::load(&OBJECT_CHANGES, Ordering::Acquire)
}

/// Records such a write (called by `db::posts` and `db::releases`).
pub(crate) fn objects_changed() {
    OBJECT_CHANGES.fetch_add(1, Ordering::AcqRel);
}

/// The post or release `id` of the local artist `username`, if fans may interact with it: a
/// public or unlisted post, a published release, not deleted. One query, as the inbox asks this
/// for every boost and like.
pub async fn public_object(
    db: &Db,
    username: &str,
    kind: &'static str,
    id: i64,
) -> DbResult<Option<ObjectKey>> {
    let artist_id: Option<i64> = with_conn!(db, conn => match kind {
        "post" => posts::table
            .inner_join(artists::table)
            .filter(artists::username.eq(username))
            .filter(posts::id.eq(id))
            .filter(posts::deleted_at.is_null())
            .filter(posts::visibility.ne("followers"))
            .select(artists::id)
            .get_result(conn)
            .await
            .optional()?,
        _ => releases::table
            .inner_join(artists::table)
            .filter(artists::username.eq(username))
            .filter(releases::id.eq(id))
            .filter(releases::deleted_at.is_null())
            .filter(releases::state.eq("published"))
            .select(artists::id)
            .get_result(conn)
            .await
            .optional()?,
    });
    Ok(artist_id.map(|artist_id| ObjectKey {
        artist_id,
        kind,
        id,
    }))
}

/// Removes a fan's boost or like named by its activity id. Returns how many went.
pub async fn undo_activity(db: &Db, remote_actor_id: i64, activity_ap_id: &str) -> DbResult<usize> {
    with_conn!(db, conn => Ok(diesel::delete(
        interactions::table
            .filter(interactions::remote_actor_id.eq(remote_actor_id))
            .filter(interactions::activity_ap_id.eq(activity_ap_id)),
    )
    .execute(conn)
    .await?))
}

/// Removes a fan's boost or like of an object (an `Undo` whose inner activity id is unknown).
pub async fn undo_object(
    db: &Db,
    remote_actor_id: i64,
    kind: &str,
    object: ObjectKey,
) -> DbResult<usize> {
    with_conn!(db, conn => Ok(diesel::delete(
        interactions::table
            .filter(interactions::remote_actor_id.eq(remote_actor_id))
            .filter(interactions::kind.eq(kind))
            .filter(interactions::object_kind.eq(object.kind))
            .filter(interactions::object_id.eq(object.id)),
    )
    .execute(conn)
    .await?))
}

/// How often an object was boosted, liked and replied to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub boosts: i64,
    pub likes: i64,
    pub replies: i64,
}

pub async fn counts(db: &Db, object: ObjectKey) -> DbResult<Counts> {
    with_conn!(db, conn => {
        let by_kind: Vec<(String, i64)> = interactions::table
            .filter(interactions::object_kind.eq(object.kind))
            .filter(interactions::object_id.eq(object.id))
            .group_by(interactions::kind)
            .select((interactions::kind, diesel::dsl::count_star()))
            .load(conn)
            .await?;
        let replies: i64 = replies::table
            .filter(replies::object_kind.eq(object.kind))
            .filter(replies::object_id.eq(object.id))
            .filter(replies::deleted_at.is_null())
            .filter(replies::hidden.eq(false))
            .count()
            .get_result(conn)
            .await?;
        let n = |k: &str| by_kind.iter().find(|(kind, _)| kind == k).map(|(_, n)| *n).unwrap_or(0);
        Ok(Counts { boosts: n("announce"), likes: n("like"), replies })
    })
}

/// Fans who boosted an artist's objects, with how many distinct objects each boosted since
/// `since` (all time when `None`), most first.
pub async fn top_boosters(
    db: &Db,
    artist_id: i64,
    since: Option<NaiveDateTime>,
    limit: i64,
) -> DbResult<Vec<(RemoteActorRow, i64)>> {
    with_conn!(db, conn => {
        let mut query = interactions::table
            .inner_join(remote_actors::table.on(remote_actors::id.eq(interactions::remote_actor_id)))
            .filter(interactions::artist_id.eq(artist_id))
            .filter(interactions::kind.eq("announce"))
            .group_by(remote_actors::id)
            .select((remote_actors::id, diesel::dsl::count_star()))
            .order((diesel::dsl::count_star().desc(), remote_actors::id.asc()))
            .limit(limit)
            .into_boxed();
        if let Some(since) = since {
            query = query.filter(interactions::created_at.ge(since));
        }
        let ranked: Vec<(i64, i64)> = query.load(conn).await?;
        let mut out = Vec::with_capacity(ranked.len());
        for (actor_id, points) in ranked {
            let actor: RemoteActorRow = remote_actors::table
                .find(actor_id)
                .select(RemoteActorRow::as_select())
                .get_result(conn)
                .await?;
            out.push((actor, points));
        }
        Ok(out)
    })
}

/// A reply as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = replies)]
pub struct ReplyRow {
    pub id: i64,
    pub ap_id: String,
    pub artist_id: i64,
    pub object_kind: String,
    pub object_id: i64,
    pub in_reply_to: String,
    pub remote_actor_id: i64,
    pub url: Option<String>,
    pub content_html: String,
    pub published_at: NaiveDateTime,
    pub updated_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    pub hidden: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = replies)]
pub struct NewReply {
    pub ap_id: String,
    pub artist_id: i64,
    pub object_kind: String,
    pub object_id: i64,
    pub in_reply_to: String,
    pub remote_actor_id: i64,
    pub url: Option<String>,
    pub content_html: String,
    pub published_at: NaiveDateTime,
}

/// Stores a reply once; false when its id was known already.
pub async fn insert_reply(db: &Db, reply: &NewReply) -> DbResult<bool> {
    with_conn!(db, conn => {
        let n = diesel::insert_into(replies::table)
            .values(reply)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        Ok(n == 1)
    })
}

pub async fn reply_by_ap_id(db: &Db, ap_id: &str) -> DbResult<Option<ReplyRow>> {
    with_conn!(db, conn => Ok(replies::table
        .filter(replies::ap_id.eq(ap_id))
        .select(ReplyRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

/// Replaces the text of a reply, if `remote_actor_id` wrote it. Returns whether it changed.
pub async fn update_reply(
    db: &Db,
    ap_id: &str,
    remote_actor_id: i64,
    content_html: &str,
) -> DbResult<bool> {
    with_conn!(db, conn => {
        let n = diesel::update(
            replies::table
                .filter(replies::ap_id.eq(ap_id))
                .filter(replies::remote_actor_id.eq(remote_actor_id))
                .filter(replies::deleted_at.is_null()),
        )
        .set((replies::content_html.eq(content_html), replies::updated_at.eq(Some(super::now()))))
        .execute(conn)
        .await?;
        Ok(n == 1)
    })
}

/// Marks a reply deleted, if `remote_actor_id` wrote it.
pub async fn delete_reply(db: &Db, ap_id: &str, remote_actor_id: i64) -> DbResult<bool> {
    with_conn!(db, conn => {
        let n = diesel::update(
            replies::table
                .filter(replies::ap_id.eq(ap_id))
                .filter(replies::remote_actor_id.eq(remote_actor_id))
                .filter(replies::deleted_at.is_null()),
        )
        .set(replies::deleted_at.eq(Some(super::now())))
        .execute(conn)
        .await?;
        Ok(n == 1)
    })
}

/// Visible replies under an object, newest first, with their authors.
pub async fn replies_to(
    db: &Db,
    object: ObjectKey,
    limit: i64,
) -> DbResult<Vec<(ReplyRow, RemoteActorRow)>> {
    with_conn!(db, conn => Ok(replies::table
        .inner_join(remote_actors::table.on(remote_actors::id.eq(replies::remote_actor_id)))
        .filter(replies::object_kind.eq(object.kind))
        .filter(replies::object_id.eq(object.id))
        .filter(replies::deleted_at.is_null())
        .filter(replies::hidden.eq(false))
        .order(replies::published_at.desc())
        .limit(limit)
        .select((ReplyRow::as_select(), RemoteActorRow::as_select()))
        .load(conn)
        .await?))
}

/// All replies to an artist's objects, newest first, with their authors (hidden ones too).
pub async fn replies_for_artist(
    db: &Db,
    artist_id: i64,
    limit: i64,
) -> DbResult<Vec<(ReplyRow, RemoteActorRow)>> {
    with_conn!(db, conn => Ok(replies::table
        .inner_join(remote_actors::table.on(remote_actors::id.eq(replies::remote_actor_id)))
        .filter(replies::artist_id.eq(artist_id))
        .filter(replies::deleted_at.is_null())
        .order(replies::published_at.desc())
        .limit(limit)
        .select((ReplyRow::as_select(), RemoteActorRow::as_select()))
        .load(conn)
        .await?))
}

/// One reply to an artist's objects, with its author.
pub async fn reply_of_artist(
    db: &Db,
    artist_id: i64,
    id: i64,
) -> DbResult<Option<(ReplyRow, RemoteActorRow)>> {
    with_conn!(db, conn => Ok(replies::table
        .inner_join(remote_actors::table.on(remote_actors::id.eq(replies::remote_actor_id)))
        .filter(replies::artist_id.eq(artist_id))
        .filter(replies::id.eq(id))
        .filter(replies::deleted_at.is_null())
        .select((ReplyRow::as_select(), RemoteActorRow::as_select()))
        .get_result(conn)
        .await
        .optional()?))
}

/// Any reply not deleted, with its author (for admins).
pub async fn reply_with_author(db: &Db, id: i64) -> DbResult<Option<(ReplyRow, RemoteActorRow)>> {
    with_conn!(db, conn => Ok(replies::table
        .inner_join(remote_actors::table.on(remote_actors::id.eq(replies::remote_actor_id)))
        .filter(replies::id.eq(id))
        .filter(replies::deleted_at.is_null())
        .select((ReplyRow::as_select(), RemoteActorRow::as_select()))
        .get_result(conn)
        .await
        .optional()?))
}

/// Hides or shows a reply (the artist's moderation); `remove` deletes it from Roadie.
pub async fn moderate_reply(db: &Db, id: i64, hidden: bool, remove: bool) -> DbResult<()> {
    with_conn!(db, conn => {
        let row = replies::table.find(id);
        if remove {
            diesel::update(row).set(replies::deleted_at.eq(Some(super::now()))).execute(conn).await?;
        } else {
            diesel::update(row).set(replies::hidden.eq(hidden)).execute(conn).await?;
        }
        Ok(())
    })
}

/// Boosts, likes and visible replies per post or release of an artist, most boosted first:
/// `(object_kind, object_id, counts)`.
pub async fn counts_by_object(
    db: &Db,
    artist_id: i64,
    limit: usize,
) -> DbResult<Vec<(String, i64, Counts)>> {
    let (by_kind, replied) = with_conn!(db, conn => {
        let by_kind: Vec<(String, i64, String, i64)> = interactions::table
            .filter(interactions::artist_id.eq(artist_id))
            .group_by((interactions::object_kind, interactions::object_id, interactions::kind))
            .select((
                interactions::object_kind,
                interactions::object_id,
                interactions::kind,
                diesel::dsl::count_star(),
            ))
            .load(conn)
            .await?;
        let replied: Vec<(String, i64, i64)> = replies::table
            .filter(replies::artist_id.eq(artist_id))
            .filter(replies::deleted_at.is_null())
            .filter(replies::hidden.eq(false))
            .group_by((replies::object_kind, replies::object_id))
            .select((replies::object_kind, replies::object_id, diesel::dsl::count_star()))
            .load(conn)
            .await?;
        (by_kind, replied)
    });
    let mut by_object: std::collections::HashMap<(String, i64), Counts> =
        std::collections::HashMap::new();
    for (object_kind, object_id, kind, n) in by_kind {
        let counts = by_object.entry((object_kind, object_id)).or_default();
        match kind.as_str() {
            "announce" => counts.boosts = n,
            "like" => counts.likes = n,
            _ => {}
        }
    }
    for (object_kind, object_id, n) in replied {
        by_object
            .entry((object_kind, object_id))
            .or_default()
            .replies = n;
    }
    let mut out: Vec<(String, i64, Counts)> = by_object
        .into_iter()
        .map(|((kind, id), counts)| (kind, id, counts))
        .collect();
    out.sort_by(|a, b| {
        (b.2.boosts + b.2.likes + b.2.replies)
            .cmp(&(a.2.boosts + a.2.likes + a.2.replies))
            .then_with(|| b.1.cmp(&a.1))
    });
    out.truncate(limit);
    Ok(out)
}

/// A boost or like as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = interactions)]
pub struct InteractionRow {
    pub id: i64,
    /// `announce` or `like`.
    pub kind: String,
    pub object_kind: String,
    pub object_id: i64,
    pub created_at: NaiveDateTime,
}

/// The latest boosts and likes of an artist's objects, newest first, with their fans.
pub async fn recent_for_artist(
    db: &Db,
    artist_id: i64,
    limit: i64,
) -> DbResult<Vec<(InteractionRow, RemoteActorRow)>> {
    with_conn!(db, conn => Ok(interactions::table
        .inner_join(remote_actors::table.on(remote_actors::id.eq(interactions::remote_actor_id)))
        .filter(interactions::artist_id.eq(artist_id))
        .order((interactions::created_at.desc(), interactions::id.desc()))
        .limit(limit)
        .select((InteractionRow::as_select(), RemoteActorRow::as_select()))
        .load(conn)
        .await?))
}
