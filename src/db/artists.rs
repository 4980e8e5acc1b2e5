//! Local artists.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDateTime;

use diesel_async::AsyncConnection;

use super::outbox::Outgoing;
use super::schema::artists;
use super::{Db, DbError, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use super::{Insertable, Queryable, Selectable, SelectableHelper};
use crate::with_conn;

/// A local artist as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = artists)]
pub struct Artist {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// Profile text, already rendered to sanitised HTML.
    pub summary: String,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
    /// JSON list of `{"name": …, "url": …}` profile links.
    pub links: String,
    /// An avatar URL set from outside; nothing sets one today (see `avatar_file`).
    pub avatar_url: Option<String>,
    pub public_key_pem: String,
    pub private_key_pem: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Stored file name (under `/media/`) of the avatar, one of the artist's image uploads.
    pub avatar_file: Option<String>,
    /// Stored file name of the header image.
    pub header_file: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = artists)]
pub struct NewArtist<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub summary: &'a str,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
    pub links: &'a str,
    pub public_key_pem: &'a str,
    pub private_key_pem: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Committed writes to `artists` by this process; see [`changes`].
static CHANGES: AtomicU64 = AtomicU64::new(0);

/// A counter that grows after every committed write to `artists` made by this process. Caches
/// of documents built from artist rows (`http::cache`) read it before loading a row and drop
/// what was built before a change. Every function here that writes `artists` bumps it.
pub fn changes() -> u64 {
    AtomicU64::load(&CHANGES, Ordering::Acquire)
}

/// Records a committed write to `artists` (also for writes made in other `db` modules).
pub(crate) fn changed() {
    CHANGES.fetch_add(1, Ordering::AcqRel);
}

pub async fn insert(db: &Db, new: &NewArtist<'_>) -> DbResult<Artist> {
    let artist = with_conn!(db, conn => diesel::insert_into(artists::table)
        .values(new)
        .returning(Artist::as_returning())
        .get_result(conn)
        .await)?;
    changed();
    Ok(artist)
}

pub async fn by_username(db: &Db, username: &str) -> DbResult<Option<Artist>> {
    with_conn!(db, conn => Ok(artists::table
        .filter(artists::username.eq(username))
        .select(Artist::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

pub async fn by_id(db: &Db, id: i64) -> DbResult<Option<Artist>> {
    with_conn!(db, conn => Ok(artists::table
        .find(id)
        .select(Artist::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

/// Artists in username order, for the home page.
pub async fn list(db: &Db, limit: i64) -> DbResult<Vec<Artist>> {
    with_conn!(db, conn => Ok(artists::table
        .order(artists::username.asc())
        .limit(limit)
        .select(Artist::as_select())
        .load(conn)
        .await?))
}

pub async fn count(db: &Db) -> DbResult<i64> {
    with_conn!(db, conn => Ok(artists::table.count().get_result(conn).await?))
}

/// Profile fields an artist may change; `None` leaves a field as it is.
#[derive(Debug, Default, diesel::AsChangeset)]
#[diesel(table_name = artists)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub summary: Option<String>,
    pub links: Option<String>,
    pub manually_approves_followers: Option<bool>,
    pub discoverable: Option<bool>,
    /// `Some(None)` removes the avatar.
    pub avatar_file: Option<Option<String>>,
    /// `Some(None)` removes the header.
    pub header_file: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
}

/// Applies profile changes and stores the `Update` built by `announce` from the updated
/// artist, in one transaction.
pub async fn update_profile(
    db: &Db,
    id: i64,
    changes: &ProfileChanges,
    announce: impl FnOnce(&Artist) -> Outgoing + Send,
) -> DbResult<Artist> {
    let artist = with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
                let artist: Artist = diesel::update(artists::table.find(id))
                    .set(changes)
                    .returning(Artist::as_returning())
                    .get_result(conn)
                    .await?;
                crate::store_outgoing!(conn, artist.id, &announce(&artist))?;
                Ok(artist)
        })
        .await)?;
    changed();
    Ok(artist)
}
