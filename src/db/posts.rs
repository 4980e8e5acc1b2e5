//! Short text posts of local artists.

use chrono::NaiveDateTime;

use diesel_async::AsyncConnection;

use super::outbox::Outgoing;
use super::schema::{outbox_activities, posts};
use super::{Db, DbError, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use super::{Queryable, Selectable, SelectableHelper};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct PostRow {
    pub id: i64,
    pub artist_id: i64,
    /// What the artist wrote (Markdown).
    pub content_source: String,
    /// The sanitised HTML rendered from it, as federated.
    pub content_html: String,
    pub visibility: String,
    pub published_at: NaiveDateTime,
    pub updated_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    /// The object this post answers (a fan's reply or message).
    pub in_reply_to: Option<String>,
    /// JSON list of mentioned actors (see `domain::posts::Mention`).
    pub mentions: String,
}

/// A new post's fields.
#[derive(Debug, Clone)]
pub struct NewPost<'a> {
    pub artist_id: i64,
    pub content_source: &'a str,
    pub content_html: &'a str,
    pub visibility: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub mentions: &'a str,
}

/// Inserts a post and, in the same transaction, the activity announcing it (built by
/// `announce` from the stored row) with its deliveries.
pub async fn insert_published(
    db: &Db,
    new: &NewPost<'_>,
    announce: impl FnOnce(&PostRow) -> Outgoing + Send,
) -> DbResult<PostRow> {
    let artist_id = new.artist_id;
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
                let post: PostRow = diesel::insert_into(posts::table)
                    .values((
                        posts::artist_id.eq(artist_id),
                        posts::content_source.eq(new.content_source),
                        posts::content_html.eq(new.content_html),
                        posts::visibility.eq(new.visibility),
                        posts::published_at.eq(super::now()),
                        posts::in_reply_to.eq(new.in_reply_to),
                        posts::mentions.eq(new.mentions),
                    ))
                    .returning(PostRow::as_returning())
                    .get_result(conn)
                    .await?;
                let outgoing = announce(&post);
                crate::store_outgoing!(conn, artist_id, &outgoing)?;
                Ok(post)
        })
        .await)
}

pub async fn by_id(db: &Db, id: i64) -> DbResult<Option<PostRow>> {
    with_conn!(db, conn => Ok(posts::table
        .find(id)
        .select(PostRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

/// Marks a post deleted (it then serves a Tombstone), takes its activities out of the outbox
/// listing and stores the `Delete` built by `announce`, all in one transaction. Returns false,
/// changing nothing, when it was already deleted.
pub async fn delete_published(
    db: &Db,
    post: &PostRow,
    object_ap_id: &str,
    announce: impl FnOnce(&PostRow) -> Outgoing + Send,
) -> DbResult<bool> {
    let written = with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
                let now = super::now();
                let n = diesel::update(posts::table.find(post.id).filter(posts::deleted_at.is_null()))
                    .set(posts::deleted_at.eq(now))
                    .execute(conn)
                    .await?;
                if n == 0 {
                    return Ok(false);
                }
                diesel::update(
                    outbox_activities::table.filter(outbox_activities::object_ap_id.eq(object_ap_id)),
                )
                .set(outbox_activities::listed.eq(false))
                .execute(conn)
                .await?;
                let deleted = PostRow { deleted_at: Some(now), ..post.clone() };
                let outgoing = announce(&deleted);
                crate::store_outgoing!(conn, post.artist_id, &outgoing)?;
                Ok(true)
        })
        .await);
    // Whatever the outcome: a needless refresh costs less than a stale answer.
    super::interactions::objects_changed();
    written
}

/// Count of an artist's posts that are not deleted.
pub async fn count_live(db: &Db, artist_id: i64) -> DbResult<i64> {
    with_conn!(db, conn => Ok(posts::table
        .filter(posts::artist_id.eq(artist_id))
        .filter(posts::deleted_at.is_null())
        .count()
        .get_result(conn)
        .await?))
}

/// Count of all live posts on the instance, for NodeInfo.
pub async fn count_all_live(db: &Db) -> DbResult<i64> {
    with_conn!(db, conn => Ok(posts::table
        .filter(posts::deleted_at.is_null())
        .count()
        .get_result(conn)
        .await?))
}

/// Newest public posts of an artist, for the profile page.
pub async fn recent_public(db: &Db, artist_id: i64, limit: i64) -> DbResult<Vec<PostRow>> {
    with_conn!(db, conn => Ok(posts::table
        .filter(posts::artist_id.eq(artist_id))
        .filter(posts::deleted_at.is_null())
        .filter(posts::visibility.eq("public"))
        .order(posts::id.desc())
        .limit(limit)
        .select(PostRow::as_select())
        .load(conn)
        .await?))
}

/// Newest public posts of the whole instance, for the instance feed.
pub async fn recent_public_all(db: &Db, limit: i64) -> DbResult<Vec<PostRow>> {
    with_conn!(db, conn => Ok(posts::table
        .filter(posts::deleted_at.is_null())
        .filter(posts::visibility.eq("public"))
        .order(posts::id.desc())
        .limit(limit)
        .select(PostRow::as_select())
        .load(conn)
        .await?))
}
