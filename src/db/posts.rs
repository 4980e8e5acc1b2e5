//! Short text posts of local artists.

use chrono::NaiveDateTime;

use super::schema::posts;
use super::{Db, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
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
}

pub async fn insert(
    db: &Db,
    artist_id: i64,
    content_source: &str,
    content_html: &str,
    visibility: &str,
) -> DbResult<PostRow> {
    with_conn!(db, conn => Ok(diesel::insert_into(posts::table)
        .values((
            posts::artist_id.eq(artist_id),
            posts::content_source.eq(content_source),
            posts::content_html.eq(content_html),
            posts::visibility.eq(visibility),
            posts::published_at.eq(super::now()),
        ))
        .returning(PostRow::as_returning())
        .get_result(conn)
        .await?))
}

pub async fn by_id(db: &Db, id: i64) -> DbResult<Option<PostRow>> {
    with_conn!(db, conn => Ok(posts::table
        .find(id)
        .select(PostRow::as_select())
        .first(conn)
        .await
        .optional()?))
}

/// Marks a post deleted (it then serves a Tombstone); false if it was already deleted.
pub async fn mark_deleted(db: &Db, id: i64) -> DbResult<bool> {
    with_conn!(db, conn => {
        let n = diesel::update(posts::table.find(id).filter(posts::deleted_at.is_null()))
            .set(posts::deleted_at.eq(super::now()))
            .execute(conn)
            .await?;
        Ok(n == 1)
    })
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
