//! Cached remote actors.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDateTime;

use super::schema::remote_actors;
use super::{AsChangeset, Insertable, Queryable, Selectable, SelectableHelper};
use super::{Db, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = remote_actors)]
pub struct RemoteActorRow {
    pub id: i64,
    pub ap_id: String,
    pub username: String,
    pub domain: String,
    pub display_name: Option<String>,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub public_key_id: String,
    pub public_key_pem: String,
    pub url: Option<String>,
    pub fetched_at: NaiveDateTime,
}

impl RemoteActorRow {
    /// `user@host`, as fans write their handle.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.username, self.domain)
    }

    /// The name to show: the display name, or the username when there is none.
    pub fn shown_name(&self) -> String {
        self.display_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| self.username.clone())
    }

    /// Where people see this actor: its profile page, or its id when it names none.
    pub fn profile_url(&self) -> String {
        self.url.clone().unwrap_or_else(|| self.ap_id.clone())
    }
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = remote_actors, treat_none_as_null = true)]
pub struct NewRemoteActor {
    pub ap_id: String,
    pub username: String,
    pub domain: String,
    pub display_name: Option<String>,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub public_key_id: String,
    pub public_key_pem: String,
    pub url: Option<String>,
    pub fetched_at: NaiveDateTime,
}

/// Writes to `remote_actors` by this process; see [`changes`].
static CHANGES: AtomicU64 = AtomicU64::new(0);

/// A counter that grows after every write to `remote_actors` made by this process (a refresh,
/// a purge, a blocked actor). The inbox's cache of actor rows reads it before loading a row and
/// drops what was loaded before a change. Every writer of the table bumps it.
pub fn changes() -> u64 {
    AtomicU64::load(&CHANGES, Ordering::Acquire)
}

/// Records a write to `remote_actors` (also for writes made in other `db` modules), failed ones
/// too: a needless reload costs less than a stale key.
pub(crate) fn changed() {
    CHANGES.fetch_add(1, Ordering::AcqRel);
}

/// Inserts the actor or refreshes the stored copy.
pub async fn upsert(db: &Db, actor: &NewRemoteActor) -> DbResult<RemoteActorRow> {
    let row = with_conn!(db, conn => diesel::insert_into(remote_actors::table)
        .values(actor)
        .on_conflict(remote_actors::ap_id)
        .do_update()
        .set(actor)
        .returning(RemoteActorRow::as_returning())
        .get_result(conn)
        .await);
    changed();
    Ok(row?)
}

pub async fn by_ap_id(db: &Db, ap_id: &str) -> DbResult<Option<RemoteActorRow>> {
    with_conn!(db, conn => Ok(remote_actors::table
        .filter(remote_actors::ap_id.eq(ap_id))
        .select(RemoteActorRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

/// The cached actor whose key has this id.
pub async fn by_public_key_id(db: &Db, key_id: &str) -> DbResult<Option<RemoteActorRow>> {
    with_conn!(db, conn => Ok(remote_actors::table
        .filter(remote_actors::public_key_id.eq(key_id))
        .select(RemoteActorRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}
