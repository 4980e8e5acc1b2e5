//! Tour dates. Every change to a show stores the activity announcing it in the same transaction.

use chrono::NaiveDateTime;
use diesel_async::AsyncConnection;

use super::outbox::Outgoing;
use super::schema::{outbox_activities, shows};
use super::{AsChangeset, Insertable, Queryable, Selectable, SelectableHelper};
use super::{Db, DbError, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use crate::with_conn;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = shows)]
pub struct ShowRow {
    pub id: i64,
    pub artist_id: i64,
    pub starts_at: NaiveDateTime,
    pub ends_at: Option<NaiveDateTime>,
    pub doors_at: Option<NaiveDateTime>,
    pub timezone: String,
    pub venue_name: String,
    pub street_address: String,
    pub postal_code: String,
    pub city: String,
    pub region: String,
    pub country: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub ticket_url: Option<String>,
    pub price_note: String,
    /// JSON list of names.
    pub support_acts: String,
    pub poster_media_id: Option<String>,
    pub status: String,
    pub description_source: String,
    pub description_html: String,
    pub published_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    /// When the artist pinned the show to their profile (`featured`).
    pub pinned_at: Option<NaiveDateTime>,
}

/// What an artist writes about a show.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = shows, treat_none_as_null = true)]
pub struct ShowFields {
    pub starts_at: NaiveDateTime,
    pub ends_at: Option<NaiveDateTime>,
    pub doors_at: Option<NaiveDateTime>,
    pub timezone: String,
    pub venue_name: String,
    pub street_address: String,
    pub postal_code: String,
    pub city: String,
    pub region: String,
    pub country: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub ticket_url: Option<String>,
    pub price_note: String,
    pub support_acts: String,
    pub poster_media_id: Option<String>,
    pub status: String,
    pub description_source: String,
    pub description_html: String,
}

/// Builds the activity for a show, inside the transaction.
pub type Announce<'a> = Box<dyn FnOnce(&ShowRow) -> Outgoing + Send + 'a>;

/// Inserts a show and its `Create`.
pub async fn insert(
    db: &Db,
    artist_id: i64,
    fields: &ShowFields,
    announce: Announce<'_>,
) -> DbResult<ShowRow> {
    let now = super::now();
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let show: ShowRow = diesel::insert_into(shows::table)
                .values((
                    fields,
                    shows::artist_id.eq(artist_id),
                    shows::published_at.eq(now),
                    shows::updated_at.eq(now),
                ))
                .returning(ShowRow::as_returning())
                .get_result(conn)
                .await?;
            crate::store_outgoing!(conn, artist_id, &announce(&show))?;
            Ok(show)
        })
        .await)
}

/// Replaces a show's fields and stores its `Update`.
pub async fn update(
    db: &Db,
    show: &ShowRow,
    fields: &ShowFields,
    announce: Announce<'_>,
) -> DbResult<ShowRow> {
    let now = super::now();
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let updated: ShowRow = diesel::update(shows::table.find(show.id))
                .set((fields, shows::updated_at.eq(now)))
                .returning(ShowRow::as_returning())
                .get_result(conn)
                .await?;
            crate::store_outgoing!(conn, updated.artist_id, &announce(&updated))?;
            Ok(updated)
        })
        .await)
}

/// Marks a show deleted, unlists its activities and stores its `Delete`. False when it was
/// deleted already.
pub async fn delete(
    db: &Db,
    show: &ShowRow,
    object_ap_id: &str,
    announce: Announce<'_>,
) -> DbResult<bool> {
    let now = super::now();
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let n = diesel::update(shows::table.find(show.id).filter(shows::deleted_at.is_null()))
                .set(shows::deleted_at.eq(Some(now)))
                .execute(conn)
                .await?;
            if n == 0 {
                return Ok(false);
            }
            diesel::update(outbox_activities::table.filter(outbox_activities::object_ap_id.eq(object_ap_id)))
                .set(outbox_activities::listed.eq(false))
                .execute(conn)
                .await?;
            let deleted = ShowRow { deleted_at: Some(now), ..show.clone() };
            crate::store_outgoing!(conn, show.artist_id, &announce(&deleted))?;
            Ok(true)
        })
        .await)
}

pub async fn by_id(db: &Db, id: i64) -> DbResult<Option<ShowRow>> {
    with_conn!(db, conn => Ok(shows::table
        .find(id)
        .select(ShowRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

/// An artist's shows (not deleted) starting after `from`, soonest first.
pub async fn of_artist(
    db: &Db,
    artist_id: i64,
    from: Option<NaiveDateTime>,
    limit: i64,
) -> DbResult<Vec<ShowRow>> {
    with_conn!(db, conn => {
        let mut query = shows::table
            .filter(shows::artist_id.eq(artist_id))
            .filter(shows::deleted_at.is_null())
            .order(shows::starts_at.asc())
            .limit(limit)
            .select(ShowRow::as_select())
            .into_boxed();
        if let Some(from) = from {
            query = query.filter(shows::starts_at.ge(from));
        }
        Ok(query.load(conn).await?)
    })
}

/// Upcoming shows of the whole instance, soonest first (instance calendar).
pub async fn upcoming(db: &Db, from: NaiveDateTime, limit: i64) -> DbResult<Vec<ShowRow>> {
    with_conn!(db, conn => Ok(shows::table
        .filter(shows::deleted_at.is_null())
        .filter(shows::starts_at.ge(from))
        .order(shows::starts_at.asc())
        .limit(limit)
        .select(ShowRow::as_select())
        .load(conn)
        .await?))
}

/// An artist's past shows (not deleted), latest first, for the tour page.
pub async fn past_of_artist(
    db: &Db,
    artist_id: i64,
    before: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<ShowRow>> {
    with_conn!(db, conn => Ok(shows::table
        .filter(shows::artist_id.eq(artist_id))
        .filter(shows::deleted_at.is_null())
        .filter(shows::starts_at.lt(before))
        .order(shows::starts_at.desc())
        .limit(limit)
        .select(ShowRow::as_select())
        .load(conn)
        .await?))
}

/// Pins or unpins a show and stores the `Add`/`Remove` that tells followers' servers. False when
/// nothing changed (already pinned, or not pinned).
pub async fn set_pinned(
    db: &Db,
    show: &ShowRow,
    pinned: bool,
    announce: Announce<'_>,
) -> DbResult<bool> {
    let now = super::now();
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let target = shows::table.find(show.id).filter(shows::deleted_at.is_null());
            let n = if pinned {
                diesel::update(target.filter(shows::pinned_at.is_null()))
                    .set(shows::pinned_at.eq(Some(now)))
                    .execute(conn)
                    .await?
            } else {
                diesel::update(target.filter(shows::pinned_at.is_not_null()))
                    .set(shows::pinned_at.eq(None::<NaiveDateTime>))
                    .execute(conn)
                    .await?
            };
            if n == 0 {
                return Ok(false);
            }
            let changed = ShowRow { pinned_at: pinned.then_some(now), ..show.clone() };
            crate::store_outgoing!(conn, show.artist_id, &announce(&changed))?;
            Ok(true)
        })
        .await)
}

/// An artist's pinned shows (not deleted), most recently pinned first.
pub async fn pinned_of_artist(db: &Db, artist_id: i64) -> DbResult<Vec<ShowRow>> {
    with_conn!(db, conn => Ok(shows::table
        .filter(shows::artist_id.eq(artist_id))
        .filter(shows::deleted_at.is_null())
        .filter(shows::pinned_at.is_not_null())
        .order(shows::pinned_at.desc())
        .select(ShowRow::as_select())
        .load(conn)
        .await?))
}
