//! Uploaded media files (images and audio) as stored: the row, not the bytes.

use chrono::NaiveDateTime;
use diesel_async::AsyncConnection;

use super::schema::{media, releases, shows, tracks};
use super::{Db, DbError, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use super::{Insertable, Queryable, Selectable, SelectableHelper};
use crate::with_conn;

/// One stored file and what processing learnt about it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = media)]
pub struct MediaRow {
    /// Random id (UUID, simple form); the stored file names derive from it.
    pub id: String,
    pub artist_id: i64,
    /// `image` or `audio`.
    pub kind: String,
    /// The type Roadie detected from the content and serves the file with.
    pub content_type: String,
    /// Name of the stored file under the media directory (and in `/media/{file_name}`).
    pub file_name: String,
    pub size_bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i64>,
    pub blurhash: Option<String>,
    /// A smaller image for previews, under the media directory.
    pub thumbnail_file: Option<String>,
    pub alt_text: String,
    /// Focal point as Mastodon uses it: x and y in -1.0..=1.0, centre 0,0.
    pub focal_x: Option<f64>,
    pub focal_y: Option<f64>,
    pub created_at: NaiveDateTime,
}

pub async fn insert(db: &Db, row: &MediaRow) -> DbResult<()> {
    with_conn!(db, conn => {
        diesel::insert_into(media::table).values(row).execute(conn).await?;
        Ok(())
    })
}

pub async fn by_id(db: &Db, id: &str) -> DbResult<Option<MediaRow>> {
    with_conn!(db, conn => Ok(media::table
        .find(id)
        .select(MediaRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

/// Several files at once (the covers on a profile page), in one query.
pub async fn by_ids(db: &Db, ids: &[&str]) -> DbResult<Vec<MediaRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    with_conn!(db, conn => Ok(media::table
        .filter(media::id.eq_any(ids))
        .select(MediaRow::as_select())
        .load(conn)
        .await?))
}

/// Changes the description (alt text) and focal point of one of an artist's files.
pub async fn update_description(
    db: &Db,
    id: &str,
    artist_id: i64,
    alt_text: &str,
    focal: Option<(f64, f64)>,
) -> DbResult<Option<MediaRow>> {
    with_conn!(db, conn => Ok(diesel::update(
        media::table.find(id).filter(media::artist_id.eq(artist_id)),
    )
    .set((
        media::alt_text.eq(alt_text),
        media::focal_x.eq(focal.map(|f| f.0)),
        media::focal_y.eq(focal.map(|f| f.1)),
    ))
    .returning(MediaRow::as_returning())
    .get_result(conn)
    .await
    .optional()?))
}

/// How many media files an artist has.
pub async fn count_by_artist(db: &Db, artist_id: i64) -> DbResult<i64> {
    with_conn!(db, conn => Ok(media::table
        .filter(media::artist_id.eq(artist_id))
        .count()
        .get_result(conn)
        .await?))
}

/// What [`delete_unused`] did.
#[derive(Debug)]
pub enum MediaDeletion {
    /// The row is gone; its files may now be removed.
    Deleted(Box<MediaRow>),
    /// Not one of this artist's files.
    NotFound,
    /// A release (cover, track preview) or show (poster) that is not deleted uses it.
    InUse,
}

/// Deletes one of an artist's media rows unless something live uses it. Deleted releases and
/// shows let go of it in the same transaction (their tombstones name no file).
pub async fn delete_unused(db: &Db, id: &str, artist_id: i64) -> DbResult<MediaDeletion> {
    let id = id.to_owned();
    with_conn!(db, conn => {
        let id = id.clone();
        conn.transaction::<_, DbError, _>(async move |conn| {
            let Some(row) = media::table
                .find(&id)
                .filter(media::artist_id.eq(artist_id))
                .select(MediaRow::as_select())
                .get_result(conn)
                .await
                .optional()?
            else {
                return Ok(MediaDeletion::NotFound);
            };
            let live_releases = releases::table
                .filter(releases::deleted_at.is_null())
                .select(releases::id);
            let covers: i64 = releases::table
                .filter(releases::deleted_at.is_null())
                .filter(releases::cover_media_id.eq(&id))
                .count()
                .get_result(conn)
                .await?;
            let previews: i64 = tracks::table
                .filter(tracks::release_id.eq_any(live_releases))
                .filter(tracks::preview_media_id.eq(&id))
                .count()
                .get_result(conn)
                .await?;
            let posters: i64 = shows::table
                .filter(shows::deleted_at.is_null())
                .filter(shows::poster_media_id.eq(&id))
                .count()
                .get_result(conn)
                .await?;
            if covers + previews + posters > 0 {
                return Ok(MediaDeletion::InUse);
            }
            diesel::update(releases::table.filter(releases::cover_media_id.eq(&id)))
                .set(releases::cover_media_id.eq(None::<String>))
                .execute(conn)
                .await?;
            diesel::update(tracks::table.filter(tracks::preview_media_id.eq(&id)))
                .set(tracks::preview_media_id.eq(None::<String>))
                .execute(conn)
                .await?;
            diesel::update(shows::table.filter(shows::poster_media_id.eq(&id)))
                .set(shows::poster_media_id.eq(None::<String>))
                .execute(conn)
                .await?;
            diesel::delete(media::table.find(&id)).execute(conn).await?;
            Ok(MediaDeletion::Deleted(Box::new(row)))
        })
        .await
    })
}
