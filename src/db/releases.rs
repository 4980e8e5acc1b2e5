//! Releases and their tracks. Every function that changes a published release stores the
//! activity announcing it in the same transaction (see `db::outbox`).

use chrono::{NaiveDate, NaiveDateTime};
use diesel_async::AsyncConnection;

use super::outbox::Outgoing;
use super::schema::{outbox_activities, releases, tracks};
use super::{AsChangeset, Insertable, Queryable, Selectable, SelectableHelper};
use super::{Db, DbError, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use crate::with_conn;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = releases)]
pub struct ReleaseRow {
    pub id: i64,
    pub artist_id: i64,
    pub title: String,
    pub kind: String,
    pub release_date: Option<NaiveDate>,
    pub description_source: String,
    pub description_html: String,
    pub cover_media_id: Option<String>,
    /// JSON list of links (see `domain::releases::ReleaseLink`).
    pub links: String,
    /// JSON list of hashtag names, without `#`.
    pub hashtags: String,
    pub license: String,
    pub credits: String,
    /// `draft`, `scheduled` or `published`.
    pub state: String,
    pub publish_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = tracks)]
pub struct TrackRow {
    pub id: i64,
    pub release_id: i64,
    pub position: i32,
    pub title: String,
    pub duration_secs: Option<i32>,
    pub preview_media_id: Option<String>,
}

/// The fields of a release an artist writes (everything but ids, state and times).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = releases, treat_none_as_null = true)]
pub struct ReleaseFields {
    pub title: String,
    pub kind: String,
    pub release_date: Option<NaiveDate>,
    pub description_source: String,
    pub description_html: String,
    pub cover_media_id: Option<String>,
    pub links: String,
    pub hashtags: String,
    pub license: String,
    pub credits: String,
}

/// A track as written (position comes from its place in the list).
#[derive(Debug, Clone)]
pub struct TrackFields {
    pub title: String,
    pub duration_secs: Option<i32>,
    pub preview_media_id: Option<String>,
}

/// Builds the activity for a release and its tracks, inside the transaction.
pub type Announce<'a> = Box<dyn FnOnce(&ReleaseRow, &[TrackRow]) -> Outgoing + Send + 'a>;

macro_rules! replace_tracks {
    ($conn:expr, $release_id:expr, $tracks:expr) => {{
        diesel::delete(tracks::table.filter(tracks::release_id.eq($release_id)))
            .execute($conn)
            .await?;
        for (i, t) in $tracks.iter().enumerate() {
            diesel::insert_into(tracks::table)
                .values((
                    tracks::release_id.eq($release_id),
                    tracks::position.eq(i as i32 + 1),
                    tracks::title.eq(&t.title),
                    tracks::duration_secs.eq(t.duration_secs),
                    tracks::preview_media_id.eq(&t.preview_media_id),
                ))
                .execute($conn)
                .await?;
        }
        tracks::table
            .filter(tracks::release_id.eq($release_id))
            .order(tracks::position.asc())
            .select(TrackRow::as_select())
            .load($conn)
            .await?
    }};
}

/// Inserts a release in `state` with its tracks; when `announce` is given (a release published
/// at once) the `Create` it builds is stored in the same transaction.
pub async fn insert(
    db: &Db,
    artist_id: i64,
    fields: &ReleaseFields,
    tracks_in: &[TrackFields],
    state: &str,
    publish_at: Option<NaiveDateTime>,
    announce: Option<Announce<'_>>,
) -> DbResult<(ReleaseRow, Vec<TrackRow>)> {
    let now = super::now();
    let published_at = (state == "published").then_some(now);
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let release: ReleaseRow = diesel::insert_into(releases::table)
                .values((
                    fields,
                    releases::artist_id.eq(artist_id),
                    releases::state.eq(state),
                    releases::publish_at.eq(publish_at),
                    releases::published_at.eq(published_at),
                    releases::created_at.eq(now),
                    releases::updated_at.eq(now),
                ))
                .returning(ReleaseRow::as_returning())
                .get_result(conn)
                .await?;
            let tracks: Vec<TrackRow> = replace_tracks!(conn, release.id, tracks_in);
            if let Some(announce) = announce {
                crate::store_outgoing!(conn, artist_id, &announce(&release, &tracks))?;
            }
            Ok((release, tracks))
        })
        .await)
}

/// Replaces a release's fields and tracks, and its state/publish time; with `announce` (an
/// already published release, or one published by this change) the activity it builds is
/// stored in the same transaction.
pub async fn update(
    db: &Db,
    release: &ReleaseRow,
    fields: &ReleaseFields,
    tracks_in: &[TrackFields],
    state: &str,
    publish_at: Option<NaiveDateTime>,
    announce: Option<Announce<'_>>,
) -> DbResult<(ReleaseRow, Vec<TrackRow>)> {
    let now = super::now();
    let published_at = match (state, release.published_at) {
        ("published", None) => Some(now),
        (_, earlier) => earlier,
    };
    let written = with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let updated: ReleaseRow = diesel::update(releases::table.find(release.id))
                .set((
                    fields,
                    releases::state.eq(state),
                    releases::publish_at.eq(publish_at),
                    releases::published_at.eq(published_at),
                    releases::updated_at.eq(now),
                ))
                .returning(ReleaseRow::as_returning())
                .get_result(conn)
                .await?;
            let tracks: Vec<TrackRow> = replace_tracks!(conn, release.id, tracks_in);
            if let Some(announce) = announce {
                crate::store_outgoing!(conn, updated.artist_id, &announce(&updated, &tracks))?;
            }
            Ok((updated, tracks))
        })
        .await);
    // Whatever the outcome: a needless refresh costs less than a stale answer.
    super::interactions::objects_changed();
    written
}

/// Publishes a scheduled or draft release now, once: the state change is guarded, so when two
/// processes try, only one stores the `Create`. Returns false when it was published already.
pub async fn publish(db: &Db, release: &ReleaseRow, announce: Announce<'_>) -> DbResult<bool> {
    let now = super::now();
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let updated: Option<ReleaseRow> = diesel::update(
                releases::table
                    .find(release.id)
                    .filter(releases::state.ne("published"))
                    .filter(releases::deleted_at.is_null()),
            )
            .set((
                releases::state.eq("published"),
                releases::published_at.eq(Some(now)),
                releases::updated_at.eq(now),
            ))
            .returning(ReleaseRow::as_returning())
            .get_result(conn)
            .await
            .optional()?;
            let Some(updated) = updated else {
                return Ok(false);
            };
            let tracks: Vec<TrackRow> = tracks::table
                .filter(tracks::release_id.eq(updated.id))
                .order(tracks::position.asc())
                .select(TrackRow::as_select())
                .load(conn)
                .await?;
            crate::store_outgoing!(conn, updated.artist_id, &announce(&updated, &tracks))?;
            Ok(true)
        })
        .await)
}

/// Marks a release deleted; when it was published, unlists its activities and stores the
/// `Delete` built by `announce`, in one transaction. False when it was deleted already.
pub async fn delete(
    db: &Db,
    release: &ReleaseRow,
    object_ap_id: &str,
    announce: Option<Announce<'_>>,
) -> DbResult<bool> {
    let now = super::now();
    let written = with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let n = diesel::update(releases::table.find(release.id).filter(releases::deleted_at.is_null()))
                .set(releases::deleted_at.eq(Some(now)))
                .execute(conn)
                .await?;
            if n == 0 {
                return Ok(false);
            }
            if let Some(announce) = announce {
                diesel::update(outbox_activities::table.filter(outbox_activities::object_ap_id.eq(object_ap_id)))
                    .set(outbox_activities::listed.eq(false))
                    .execute(conn)
                    .await?;
                let deleted = ReleaseRow { deleted_at: Some(now), ..release.clone() };
                crate::store_outgoing!(conn, release.artist_id, &announce(&deleted, &[]))?;
            }
            Ok(true)
        })
        .await);
    // Whatever the outcome: a needless refresh costs less than a stale answer.
    super::interactions::objects_changed();
    written
}

pub async fn by_id(db: &Db, id: i64) -> DbResult<Option<ReleaseRow>> {
    with_conn!(db, conn => Ok(releases::table
        .find(id)
        .select(ReleaseRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

pub async fn tracks_of(db: &Db, release_id: i64) -> DbResult<Vec<TrackRow>> {
    with_conn!(db, conn => Ok(tracks::table
        .filter(tracks::release_id.eq(release_id))
        .order(tracks::position.asc())
        .select(TrackRow::as_select())
        .load(conn)
        .await?))
}

/// An artist's releases, newest first: all of them, or only published ones.
pub async fn of_artist(
    db: &Db,
    artist_id: i64,
    published_only: bool,
    limit: i64,
) -> DbResult<Vec<ReleaseRow>> {
    with_conn!(db, conn => {
        let mut query = releases::table
            .filter(releases::artist_id.eq(artist_id))
            .filter(releases::deleted_at.is_null())
            .order((releases::published_at.desc(), releases::id.desc()))
            .limit(limit)
            .select(ReleaseRow::as_select())
            .into_boxed();
        if published_only {
            query = query.filter(releases::state.eq("published"));
        }
        Ok(query.load(conn).await?)
    })
}

/// Scheduled releases whose time has come, oldest first.
pub async fn due(db: &Db, now: NaiveDateTime, limit: i64) -> DbResult<Vec<ReleaseRow>> {
    with_conn!(db, conn => Ok(releases::table
        .filter(releases::state.eq("scheduled"))
        .filter(releases::deleted_at.is_null())
        .filter(releases::publish_at.le(now))
        .order(releases::publish_at.asc())
        .limit(limit)
        .select(ReleaseRow::as_select())
        .load(conn)
        .await?))
}

/// Published releases of the whole instance, newest first (feeds).
pub async fn recent_published(db: &Db, limit: i64) -> DbResult<Vec<ReleaseRow>> {
    with_conn!(db, conn => Ok(releases::table
        .filter(releases::state.eq("published"))
        .filter(releases::deleted_at.is_null())
        .order(releases::published_at.desc())
        .limit(limit)
        .select(ReleaseRow::as_select())
        .load(conn)
        .await?))
}
