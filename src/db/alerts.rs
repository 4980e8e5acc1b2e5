//! Fans' "alert me near …" subscriptions and the alerts sent.

use super::remote_actors::RemoteActorRow;
use super::schema::{alert_subscriptions, alerts_sent, remote_actors};
use super::{Db, DbResult, ExpressionMethods, QueryDsl, RunQueryDsl};
use super::{JoinOnDsl, Queryable, Selectable, SelectableHelper};
use crate::with_conn;

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
        diesel::insert_into(alert_subscriptions::table)
            .values((
                alert_subscriptions::artist_id.eq(artist_id),
                alert_subscriptions::remote_actor_id.eq(remote_actor_id),
                alert_subscriptions::place.eq(place),
                alert_subscriptions::latitude.eq(lat),
                alert_subscriptions::longitude.eq(lon),
                alert_subscriptions::radius_km.eq(radius_km),
                alert_subscriptions::created_at.eq(now),
            ))
            .on_conflict((alert_subscriptions::artist_id, alert_subscriptions::remote_actor_id))
            .do_update()
            .set((
                alert_subscriptions::place.eq(place),
                alert_subscriptions::latitude.eq(lat),
                alert_subscriptions::longitude.eq(lon),
                alert_subscriptions::radius_km.eq(radius_km),
                alert_subscriptions::created_at.eq(now),
            ))
            .execute(conn)
            .await?;
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
