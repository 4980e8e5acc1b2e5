//! Fans' "alert me near …" subscriptions and the alerts sent.

use super::remote_actors::RemoteActorRow;
use super::schema::{alert_requests, alert_subscriptions, alerts_sent, remote_actors};
use super::{Db, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use super::{JoinOnDsl, Queryable, Selectable, SelectableHelper};
use crate::with_conn;
use diesel_async::AsyncConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = alert_subscriptions)]
pub struct Subscription {
    pub id: i64,
    pub artist_id: i64,
    pub remote_actor_id: i64,
    pub place: String,
    pub latitude: f64,
    pub longitude: f64,
    pub radius_km: f64,
    pub created_at: chrono::NaiveDateTime,
}

/// Sets a fan's subscription for an artist on a connection of either backend (one per fan and
/// artist; a new one replaces it), inside whatever transaction the caller holds.
macro_rules! upsert_subscription {
    ($conn:expr, $artist_id:expr, $remote_actor_id:expr, $place:expr, $lat:expr, $lon:expr, $radius_km:expr, $now:expr) => {
        diesel::insert_into(alert_subscriptions::table)
            .values((
                alert_subscriptions::artist_id.eq($artist_id),
                alert_subscriptions::remote_actor_id.eq($remote_actor_id),
                alert_subscriptions::place.eq($place),
                alert_subscriptions::latitude.eq($lat),
                alert_subscriptions::longitude.eq($lon),
                alert_subscriptions::radius_km.eq($radius_km),
                alert_subscriptions::created_at.eq($now),
            ))
            .on_conflict((
                alert_subscriptions::artist_id,
                alert_subscriptions::remote_actor_id,
            ))
            .do_update()
            .set((
                alert_subscriptions::place.eq($place),
                alert_subscriptions::latitude.eq($lat),
                alert_subscriptions::longitude.eq($lon),
                alert_subscriptions::radius_km.eq($radius_km),
                alert_subscriptions::created_at.eq($now),
            ))
            .execute($conn)
            .await?
    };
}

/// Sets a fan's subscription for an artist (one per fan and artist; a new one replaces it).
pub async fn subscribe(
    db: &Db,
    artist_id: i64,
    remote_actor_id: i64,
    place: &str,
    lat: f64,
    lon: f64,
    radius_km: f64,
) -> DbResult<()> {
    let now = super::now();
    with_conn!(db, conn => {
        upsert_subscription!(conn, artist_id, remote_actor_id, place, lat, lon, radius_km, now);
        Ok(())
    })
}

/// Deletes a fan's subscription (and with it their place). Returns whether there was one.
pub async fn unsubscribe(db: &Db, artist_id: i64, remote_actor_id: i64) -> DbResult<bool> {
    with_conn!(db, conn => {
        let n = diesel::delete(
            alert_subscriptions::table
                .filter(alert_subscriptions::artist_id.eq(artist_id))
                .filter(alert_subscriptions::remote_actor_id.eq(remote_actor_id)),
        )
        .execute(conn)
        .await?;
        Ok(n > 0)
    })
}

/// Every subscription for an artist, with the fan.
pub async fn for_artist(db: &Db, artist_id: i64) -> DbResult<Vec<(Subscription, RemoteActorRow)>> {
    with_conn!(db, conn => Ok(alert_subscriptions::table
        .inner_join(remote_actors::table.on(remote_actors::id.eq(alert_subscriptions::remote_actor_id)))
        .filter(alert_subscriptions::artist_id.eq(artist_id))
        .select((Subscription::as_select(), RemoteActorRow::as_select()))
        .load(conn)
        .await?))
}

/// Records an alert; false when this fan already got it.
pub async fn record_sent(
    db: &Db,
    show_id: i64,
    remote_actor_id: i64,
    change_key: &str,
) -> DbResult<bool> {
    with_conn!(db, conn => {
        let n = diesel::insert_into(alerts_sent::table)
            .values((
                alerts_sent::show_id.eq(show_id),
                alerts_sent::remote_actor_id.eq(remote_actor_id),
                alerts_sent::change_key.eq(change_key),
                alerts_sent::sent_at.eq(super::now()),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        Ok(n == 1)
    })
}

/// Whether a fan got an alert about a show.
pub async fn was_sent(
    db: &Db,
    show_id: i64,
    remote_actor_id: i64,
    change_key: &str,
) -> DbResult<bool> {
    with_conn!(db, conn => {
        let n: i64 = alerts_sent::table
            .filter(alerts_sent::show_id.eq(show_id))
            .filter(alerts_sent::remote_actor_id.eq(remote_actor_id))
            .filter(alerts_sent::change_key.eq(change_key))
            .count()
            .get_result(conn)
            .await?;
        Ok(n > 0)
    })
}

/// Subscribers per place for an artist: counts only, never who.
pub async fn counts_per_place(db: &Db, artist_id: i64) -> DbResult<Vec<(String, i64)>> {
    with_conn!(db, conn => Ok(alert_subscriptions::table
        .filter(alert_subscriptions::artist_id.eq(artist_id))
        .group_by(alert_subscriptions::place)
        .select((alert_subscriptions::place, diesel::dsl::count_star()))
        .order(diesel::dsl::count_star().desc())
        .load(conn)
        .await?))
}

/// Records (or renews) a web request for alerts that the fan has yet to confirm. Returns the
/// time of the previous request, if one was waiting, so callers can avoid messaging a fan twice
/// in a row.
pub async fn request(
    db: &Db,
    artist_id: i64,
    remote_actor_id: i64,
    place: &str,
    lat: f64,
    lon: f64,
    radius_km: f64,
) -> DbResult<Option<chrono::NaiveDateTime>> {
    let now = super::now();
    with_conn!(db, conn => conn
        .transaction::<_, super::DbError, _>(async move |conn| {
            let previous: Option<chrono::NaiveDateTime> = alert_requests::table
                .filter(alert_requests::artist_id.eq(artist_id))
                .filter(alert_requests::remote_actor_id.eq(remote_actor_id))
                .select(alert_requests::created_at)
                .get_result(conn)
                .await
                .optional()?;
            diesel::insert_into(alert_requests::table)
                .values((
                    alert_requests::artist_id.eq(artist_id),
                    alert_requests::remote_actor_id.eq(remote_actor_id),
                    alert_requests::place.eq(place),
                    alert_requests::latitude.eq(lat),
                    alert_requests::longitude.eq(lon),
                    alert_requests::radius_km.eq(radius_km),
                    alert_requests::created_at.eq(now),
                ))
                .on_conflict((alert_requests::artist_id, alert_requests::remote_actor_id))
                .do_update()
                .set((
                    alert_requests::place.eq(place),
                    alert_requests::latitude.eq(lat),
                    alert_requests::longitude.eq(lon),
                    alert_requests::radius_km.eq(radius_km),
                    // The confirmation window runs from the first request, so renewing
                    // cannot keep one alive forever.
                ))
                .execute(conn)
                .await?;
            Ok(previous)
        })
        .await)
}

/// Turns a fan's waiting request (made after `not_before`) into a subscription. Returns the place
/// and radius confirmed, or None when nothing was waiting.
pub async fn confirm_request(
    db: &Db,
    artist_id: i64,
    remote_actor_id: i64,
    not_before: chrono::NaiveDateTime,
) -> DbResult<Option<(String, f64)>> {
    let now = super::now();
    with_conn!(db, conn => conn
        .transaction::<_, super::DbError, _>(async move |conn| {
            let waiting: Option<(String, f64, f64, f64, chrono::NaiveDateTime)> = alert_requests::table
                .filter(alert_requests::artist_id.eq(artist_id))
                .filter(alert_requests::remote_actor_id.eq(remote_actor_id))
                .select((
                    alert_requests::place,
                    alert_requests::latitude,
                    alert_requests::longitude,
                    alert_requests::radius_km,
                    alert_requests::created_at,
                ))
                .get_result(conn)
                .await
                .optional()?;
            diesel::delete(
                alert_requests::table
                    .filter(alert_requests::artist_id.eq(artist_id))
                    .filter(alert_requests::remote_actor_id.eq(remote_actor_id)),
            )
            .execute(conn)
            .await?;
            let Some((place, lat, lon, radius_km, created_at)) = waiting else {
                return Ok(None);
            };
            if created_at < not_before {
                return Ok(None);
            }
            upsert_subscription!(conn, artist_id, remote_actor_id, &place, lat, lon, radius_km, now);
            Ok(Some((place, radius_km)))
        })
        .await)
}
