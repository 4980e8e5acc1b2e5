//! Health of remote hosts: failures on distinct days make a host unavailable until it talks to
//! us again (as Mastodon does) or an admin resets it.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDateTime;

use super::schema::hosts;
use super::{Db, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use super::{Queryable, Selectable, SelectableHelper};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = hosts)]
pub struct HostRow {
    pub host: String,
    pub failure_days: i32,
    pub last_failure_day: Option<String>,
    pub last_error: Option<String>,
    pub unavailable_since: Option<NaiveDateTime>,
    pub last_success_at: Option<NaiveDateTime>,
}

/// Recorded failures by this process; see [`changes`].
static CHANGES: AtomicU64 = AtomicU64::new(0);

/// A counter that grows whenever this process records a delivery failure. The inbox remembers
/// hosts it found healthy under a value of this counter and checks them again once it moved.
pub fn changes() -> u64 {
    AtomicU64::load(&CHANGES, Ordering::Acquire)
}

pub async fn get(db: &Db, host: &str) -> DbResult<Option<HostRow>> {
    with_conn!(db, conn => Ok(hosts::table
        .find(host)
        .select(HostRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

/// Records a failed delivery on `day` (`YYYY-MM-DD`). Returns true when this made the host
/// unavailable (failures on `threshold_days` distinct days).
pub async fn record_failure(
    db: &Db,
    host: &str,
    day: &str,
    error: &str,
    threshold_days: i32,
) -> DbResult<bool> {
    let existing = get(db, host).await?;
    let now = super::now();
    let (failure_days, newly_unavailable, unavailable_since) = match &existing {
        Some(row) => {
            let days = if row.last_failure_day.as_deref() == Some(day) {
                row.failure_days
            } else {
                row.failure_days + 1
            };
            let unavailable = row.unavailable_since.is_none() && days >= threshold_days;
            (
                days,
                unavailable,
                row.unavailable_since.or(unavailable.then_some(now)),
            )
        }
        None => {
            let unavailable = threshold_days <= 1;
            (1, unavailable, unavailable.then_some(now))
        }
    };
    with_conn!(db, conn => {
        diesel::insert_into(hosts::table)
            .values((
                hosts::host.eq(host),
                hosts::failure_days.eq(failure_days),
                hosts::last_failure_day.eq(day),
                hosts::last_error.eq(error),
                hosts::unavailable_since.eq(unavailable_since),
            ))
            .on_conflict(hosts::host)
            .do_update()
            .set((
                hosts::failure_days.eq(failure_days),
                hosts::last_failure_day.eq(day),
                hosts::last_error.eq(error),
                hosts::unavailable_since.eq(unavailable_since),
            ))
            .execute(conn)
            .await?;
        CHANGES.fetch_add(1, Ordering::AcqRel);
        Ok(newly_unavailable)
    })
}

/// Clears a host's failures: a delivery succeeded, it sent us a valid signed request, or an
/// admin reset it. Returns whether the host had been unavailable.
pub async fn mark_available(db: &Db, host: &str) -> DbResult<bool> {
    let Some(row) = get(db, host).await? else {
        return Ok(false);
    };
    let was_unavailable = row.unavailable_since.is_some();
    if row.failure_days == 0 && !was_unavailable {
        return Ok(false);
    }
    with_conn!(db, conn => {
        diesel::update(hosts::table.find(host))
            .set((
                hosts::failure_days.eq(0),
                hosts::last_failure_day.eq(None::<String>),
                hosts::unavailable_since.eq(None::<NaiveDateTime>),
                hosts::last_success_at.eq(Some(super::now())),
            ))
            .execute(conn)
            .await?;
        Ok(was_unavailable)
    })
}

/// Hosts with recorded failures, unavailable ones first.
pub async fn with_failures(db: &Db) -> DbResult<Vec<HostRow>> {
    with_conn!(db, conn => Ok(hosts::table
        .filter(hosts::failure_days.gt(0))
        .order((hosts::unavailable_since.is_null(), hosts::host))
        .select(HostRow::as_select())
        .load(conn)
        .await?))
}
