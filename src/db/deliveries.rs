//! The delivery queue: claiming due rows, recording outcomes, statistics and pruning.

use chrono::NaiveDateTime;
use diesel_async::AsyncConnection;

use super::schema::{deliveries, hosts, outbox_activities};
use super::{BoolExpressionMethods, Queryable, QueryableByName, Selectable, SelectableHelper};
use super::{Db, DbError, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use crate::with_conn;

/// A delivery a worker has claimed until its lease runs out.
#[derive(Debug, Clone, QueryableByName)]
#[diesel(table_name = deliveries)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub activity_id: i64,
    pub inbox: String,
    pub host: String,
    /// Attempts including this one.
    pub attempts: i32,
}

/// The claim, in each backend's parameter style. PostgreSQL skips rows another worker is
/// claiming (`FOR UPDATE SKIP LOCKED`); SQLite serialises writers, so its single
/// `UPDATE … RETURNING` is atomic as it is.
const CLAIM_PG: &str = "UPDATE deliveries SET locked_until = $1, attempts = attempts + 1 \
    WHERE id IN (SELECT id FROM deliveries \
        WHERE state = 'pending' AND next_attempt_at <= $2 \
          AND (locked_until IS NULL OR locked_until < $2) \
          AND host NOT IN (SELECT host FROM hosts WHERE unavailable_since IS NOT NULL) \
        ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
    RETURNING id, activity_id, inbox, host, attempts";
const CLAIM_SQLITE: &str = "UPDATE deliveries SET locked_until = ?1, attempts = attempts + 1 \
    WHERE id IN (SELECT id FROM deliveries \
        WHERE state = 'pending' AND next_attempt_at <= ?2 \
          AND (locked_until IS NULL OR locked_until < ?2) \
          AND host NOT IN (SELECT host FROM hosts WHERE unavailable_since IS NOT NULL) \
        ORDER BY next_attempt_at LIMIT ?3) \
    RETURNING id, activity_id, inbox, host, attempts";

/// Claims up to `limit` due deliveries for this worker until `lease_until`, skipping hosts
/// marked unavailable.
pub async fn claim(
    db: &Db,
    limit: i64,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> DbResult<Vec<ClaimedDelivery>> {
    use diesel::sql_types::{BigInt, Timestamp};
    let sql = match db {
        Db::Pg(_) => CLAIM_PG,
        Db::Sqlite(_) => CLAIM_SQLITE,
    };
    with_conn!(db, conn => Ok(diesel::sql_query(sql)
        .bind::<Timestamp, _>(lease_until)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await?))
}

/// The signing artist (`None`: the instance actor) and exact payload of an outgoing activity.
pub async fn payload(db: &Db, activity_id: i64) -> DbResult<Option<(Option<i64>, String)>> {
    with_conn!(db, conn => Ok(outbox_activities::table
        .find(activity_id)
        .select((outbox_activities::artist_id, outbox_activities::payload))
        .get_result(conn)
        .await
        .optional()?))
}

/// What became of one claimed delivery.
#[derive(Debug, Clone)]
pub enum Outcome {
    Delivered {
        status: i32,
    },
    Retry {
        at: NaiveDateTime,
        status: Option<i32>,
        error: String,
    },
    Failed {
        status: Option<i32>,
        error: String,
    },
    /// Not attempted (the worker is shutting down): give the claim back.
    Released,
}

/// Records a batch of outcomes in one transaction.
pub async fn record(db: &Db, outcomes: &[(i64, Outcome)]) -> DbResult<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let now = super::now();
    // Successes are the bulk: one statement per distinct status code.
    let mut delivered: std::collections::BTreeMap<i32, Vec<i64>> = Default::default();
    for (id, outcome) in outcomes {
        if let Outcome::Delivered { status } = outcome {
            delivered.entry(*status).or_default().push(*id);
        }
    }
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
                for (status, ids) in &delivered {
                    diesel::update(deliveries::table.filter(deliveries::id.eq_any(ids)))
                        .set((
                            deliveries::state.eq("delivered"),
                            deliveries::last_status.eq(Some(*status)),
                            deliveries::last_error.eq(None::<String>),
                            deliveries::locked_until.eq(None::<NaiveDateTime>),
                            deliveries::finished_at.eq(Some(now)),
                        ))
                        .execute(conn)
                        .await?;
                }
                for (id, outcome) in outcomes {
                    let row = deliveries::table.find(*id);
                    match outcome {
                        Outcome::Delivered { .. } => {}
                        Outcome::Retry { at, status, error } => {
                            diesel::update(row)
                                .set((
                                    deliveries::next_attempt_at.eq(*at),
                                    deliveries::last_status.eq(*status),
                                    deliveries::last_error.eq(Some(error)),
                                    deliveries::locked_until.eq(None::<NaiveDateTime>),
                                ))
                                .execute(conn)
                                .await?;
                        }
                        Outcome::Failed { status, error } => {
                            diesel::update(row)
                                .set((
                                    deliveries::state.eq("failed"),
                                    deliveries::last_status.eq(*status),
                                    deliveries::last_error.eq(Some(error)),
                                    deliveries::locked_until.eq(None::<NaiveDateTime>),
                                    deliveries::finished_at.eq(Some(now)),
                                ))
                                .execute(conn)
                                .await?;
                        }
                        Outcome::Released => {
                            diesel::update(row)
                                .set((
                                    deliveries::locked_until.eq(None::<NaiveDateTime>),
                                    deliveries::attempts.eq(deliveries::attempts - 1),
                                ))
                                .execute(conn)
                                .await?;
                        }
                    }
                }
                Ok(())
        })
        .await)
}

/// Counts for `/metrics` and `roadie admin queue`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct QueueStats {
    /// Deliveries waiting (due now or later).
    pub pending: i64,
    /// Pending deliveries whose time has come and that nobody holds.
    pub due: i64,
    /// Pending deliveries held by a worker right now.
    pub claimed: i64,
    pub delivered: i64,
    pub failed: i64,
    pub unavailable_hosts: i64,
}

pub async fn stats(db: &Db, now: NaiveDateTime) -> DbResult<QueueStats> {
    with_conn!(db, conn => {
        let by_state: Vec<(String, i64)> = deliveries::table
            .group_by(deliveries::state)
            .select((deliveries::state, diesel::dsl::count_star()))
            .load(conn)
            .await?;
        let pending = deliveries::table.filter(deliveries::state.eq("pending"));
        let due: i64 = pending
            .filter(deliveries::next_attempt_at.le(now))
            .filter(deliveries::locked_until.is_null().or(deliveries::locked_until.lt(now)))
            .count()
            .get_result(conn)
            .await?;
        let claimed: i64 = pending
            .filter(deliveries::locked_until.ge(now))
            .count()
            .get_result(conn)
            .await?;
        let unavailable_hosts: i64 = hosts::table
            .filter(hosts::unavailable_since.is_not_null())
            .count()
            .get_result(conn)
            .await?;
        let count = |state: &str| by_state.iter().find(|(s, _)| s == state).map(|(_, n)| *n).unwrap_or(0);
        Ok(QueueStats {
            pending: count("pending"),
            delivered: count("delivered"),
            failed: count("failed"),
            due,
            claimed,
            unavailable_hosts,
        })
    })
}

/// Deletes finished deliveries older than `finished_before`, and gives up on deliveries still
/// pending since before `pending_before` (a host that stayed unavailable). Returns
/// `(pruned, expired)`.
pub async fn prune(
    db: &Db,
    finished_before: NaiveDateTime,
    pending_before: NaiveDateTime,
) -> DbResult<(usize, usize)> {
    let now = super::now();
    with_conn!(db, conn => {
        let pruned = diesel::delete(
            deliveries::table
                .filter(deliveries::state.ne("pending"))
                .filter(deliveries::finished_at.lt(finished_before)),
        )
        .execute(conn)
        .await?;
        let expired = diesel::update(
            deliveries::table
                .filter(deliveries::state.eq("pending"))
                .filter(deliveries::created_at.lt(pending_before)),
        )
        .set((
            deliveries::state.eq("failed"),
            deliveries::last_error.eq(Some("expired: never delivered")),
            deliveries::finished_at.eq(Some(now)),
        ))
        .execute(conn)
        .await?;
        Ok((pruned, expired))
    })
}

/// Makes every claimed pending delivery claimable again at once, as if the leases had expired
/// (after a crash, when the admin knows no worker is running). Returns how many were released.
pub async fn release_all_claims(db: &Db) -> DbResult<usize> {
    with_conn!(db, conn => Ok(diesel::update(
        deliveries::table
            .filter(deliveries::state.eq("pending"))
            .filter(deliveries::locked_until.is_not_null()),
    )
    .set(deliveries::locked_until.eq(None::<NaiveDateTime>))
    .execute(conn)
    .await?))
}

/// A delivery as an admin or a test sees it.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub activity_id: i64,
    pub inbox: String,
    pub host: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

/// The deliveries of one inbox, oldest first.
pub async fn for_inbox(db: &Db, inbox: &str) -> DbResult<Vec<DeliveryRow>> {
    with_conn!(db, conn => Ok(deliveries::table
        .filter(deliveries::inbox.eq(inbox))
        .order(deliveries::id.asc())
        .select(DeliveryRow::as_select())
        .load(conn)
        .await?))
}

/// Makes a host's pending deliveries due now ("retry now" in the admin screens). Returns how
/// many there are.
pub async fn retry_host_now(db: &Db, host: &str) -> DbResult<usize> {
    let now = super::now();
    with_conn!(db, conn => Ok(diesel::update(
        deliveries::table
            .filter(deliveries::host.eq(host))
            .filter(deliveries::state.eq("pending")),
    )
    .set(deliveries::next_attempt_at.eq(now))
    .execute(conn)
    .await?))
}
