//! Activities sent (the outbox) and ids of activities received (for de-duplication).

use chrono::NaiveDateTime;

use super::schema::{outbox_activities, received_activities};
use super::{Db, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use crate::with_conn;

pub async fn count_listed(db: &Db, artist_id: i64) -> DbResult<i64> {
    with_conn!(db, conn => Ok(outbox_activities::table
        .filter(outbox_activities::artist_id.eq(artist_id))
        .filter(outbox_activities::listed.eq(true))
        .count()
        .get_result(conn)
        .await?))
}

/// One page of listed activities, newest first: `(row id, payload JSON)`, rows below `before`.
pub async fn listed_page(
    db: &Db,
    artist_id: i64,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<(i64, String)>> {
    with_conn!(db, conn => {
        let mut query = outbox_activities::table
            .filter(outbox_activities::artist_id.eq(artist_id))
            .filter(outbox_activities::listed.eq(true))
            .order(outbox_activities::id.desc())
            .limit(limit)
            .select((outbox_activities::id, outbox_activities::payload))
            .into_boxed();
        if let Some(before) = before {
            query = query.filter(outbox_activities::id.lt(before));
        }
        Ok(query.load(conn).await?)
    })
}

/// The stored payload of a sent activity, by its id.
pub async fn sent_payload(db: &Db, ap_id: &str) -> DbResult<Option<(String, NaiveDateTime)>> {
    with_conn!(db, conn => Ok(outbox_activities::table
        .filter(outbox_activities::ap_id.eq(ap_id))
        .select((outbox_activities::payload, outbox_activities::published_at))
        .get_result(conn)
        .await
        .optional()?))
}

/// Forgets a received id again, so a retry of an activity whose handling failed is processed.
pub async fn forget_received(db: &Db, ap_id: &str) -> DbResult<()> {
    with_conn!(db, conn => {
        diesel::delete(received_activities::table.filter(received_activities::ap_id.eq(ap_id)))
            .execute(conn)
            .await?;
        Ok(())
    })
}
