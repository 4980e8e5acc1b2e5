//! Uploaded media files (images and audio) as stored: the row, not the bytes.

use chrono::NaiveDateTime;

use super::schema::media;
use super::{Db, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
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
        .first(conn)
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
