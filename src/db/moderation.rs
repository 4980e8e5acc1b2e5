//! Moderation tables: domain blocks and allows, blocked actors, reports, admin tokens and the
//! audit log. Changes that remove data (a suspension) run in one transaction with the audit
//! entry that records them.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDateTime;
use diesel_async::AsyncConnection;

use super::schema::{
    actor_blocks, admin_tokens, artists, audit_log, deliveries, domain_allows, domain_blocks,
    outbox_activities, pass_links, remote_actors, reports, sessions, users,
};
use super::{AsChangeset, Insertable, Queryable, Selectable, SelectableHelper};
use super::{Db, DbError, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = domain_blocks)]
pub struct DomainBlockRow {
    pub id: i64,
    pub domain: String,
    pub severity: String,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A block as written (added, updated or imported); `domain` is already normalised.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = domain_blocks, treat_none_as_null = true)]
pub struct NewDomainBlock {
    pub domain: String,
    pub severity: String,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = domain_allows)]
pub struct DomainAllowRow {
    pub id: i64,
    pub domain: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub created_at: NaiveDateTime,
}

/// One audit log entry to write with an admin action.
#[derive(Debug, Clone)]
pub struct Audit {
    /// Who acted: an admin token's label, or `cli`.
    pub actor: String,
    pub action: &'static str,
    pub target: String,
    pub detail: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = actor_blocks)]
pub struct ActorBlockRow {
    pub id: i64,
    pub actor_ap_id: String,
    pub comment: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct ReportRow {
    pub id: i64,
    pub direction: String,
    pub ap_id: String,
    pub origin: String,
    pub target_actor: Option<String>,
    pub object_ids: String,
    pub comment: String,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_by: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = reports)]
pub struct NewReport {
    pub direction: String,
    pub ap_id: String,
    pub origin: String,
    pub target_actor: Option<String>,
    pub object_ids: String,
    pub comment: String,
    pub created_at: NaiveDateTime,
}

/// Inserts the audit entries on `$conn` inside the caller's transaction.
macro_rules! write_audit {
    ($conn:expr, $audit:expr, $now:expr) => {{
        for a in $audit {
            diesel::insert_into(audit_log::table)
                .values((
                    audit_log::actor.eq(&a.actor),
                    audit_log::action.eq(a.action),
                    audit_log::target.eq(&a.target),
                    audit_log::detail.eq(&a.detail),
                    audit_log::created_at.eq($now),
                ))
                .execute($conn)
                .await?;
        }
    }};
}

/// Committed writes to the moderation rules (domain blocks, allows, actor blocks) by this
/// process; see [`rules_changes`].
static RULE_CHANGES: AtomicU64 = AtomicU64::new(0);

/// A counter that grows after every write to the moderation rules made by this process.
/// `domain::moderation::Policies` reads it before loading the rules and reloads them when it
/// moved. Every function here that writes a rule bumps it.
pub fn rules_changes() -> u64 {
    AtomicU64::load(&RULE_CHANGES, Ordering::Acquire)
}

/// Called after every rule write, failed ones too: a needless reload costs less than a stale rule.
fn rules_changed() {
    RULE_CHANGES.fetch_add(1, Ordering::AcqRel);
}

/// The ids of all blocked actors.
pub async fn blocked_actor_ids(db: &Db) -> DbResult<Vec<String>> {
    with_conn!(db, conn => Ok(actor_blocks::table
        .select(actor_blocks::actor_ap_id)
        .load(conn)
        .await?))
}

/// The domains of all allowed hosts (allowlist mode).
pub async fn allowed_domains(db: &Db) -> DbResult<Vec<String>> {
    with_conn!(db, conn => Ok(domain_allows::table
        .select(domain_allows::domain)
        .load(conn)
        .await?))
}

pub async fn list_blocks(db: &Db) -> DbResult<Vec<DomainBlockRow>> {
    with_conn!(db, conn => Ok(domain_blocks::table
        .order(domain_blocks::domain.asc())
        .select(DomainBlockRow::as_select())
        .load(conn)
        .await?))
}

pub async fn block_by_id(db: &Db, id: i64) -> DbResult<Option<DomainBlockRow>> {
    with_conn!(db, conn => Ok(domain_blocks::table
        .find(id)
        .select(DomainBlockRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

pub async fn block_by_domain(db: &Db, domain: &str) -> DbResult<Option<DomainBlockRow>> {
    with_conn!(db, conn => Ok(domain_blocks::table
        .filter(domain_blocks::domain.eq(domain))
        .select(DomainBlockRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

/// Inserts or updates `blocks` (by domain) in one transaction. Hosts for which `purge` answers
/// true lose everything Roadie holds of them: their cached actors (and with them, by cascade,
/// follows, boosts, likes, replies and alert subscriptions), pending deliveries and pass links.
/// `purge` gets a host without port. Writes `audit` in the same transaction.
pub async fn write_blocks(
    db: &Db,
    blocks: &[NewDomainBlock],
    purge: &(dyn Fn(&str) -> bool + Send + Sync),
    audit: &[Audit],
) -> DbResult<Vec<DomainBlockRow>> {
    let now = super::now();
    let written = with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let mut written = Vec::with_capacity(blocks.len());
            for block in blocks {
                let row: DomainBlockRow = diesel::insert_into(domain_blocks::table)
                    .values((block, domain_blocks::created_at.eq(now), domain_blocks::updated_at.eq(now)))
                    .on_conflict(domain_blocks::domain)
                    .do_update()
                    .set((block, domain_blocks::updated_at.eq(now)))
                    .returning(DomainBlockRow::as_returning())
                    .get_result(conn)
                    .await?;
                written.push(row);
            }
            let actors: Vec<(i64, String)> = remote_actors::table
                .select((remote_actors::id, remote_actors::domain))
                .load(conn)
                .await?;
            let doomed: Vec<i64> = actors
                .into_iter()
                .filter(|(_, domain)| purge(strip_port(domain)))
                .map(|(id, _)| id)
                .collect();
            for chunk in doomed.chunks(500) {
                diesel::delete(remote_actors::table.filter(remote_actors::id.eq_any(chunk)))
                    .execute(conn)
                    .await?;
            }
            let hosts: Vec<String> = deliveries::table
                .filter(deliveries::state.eq("pending"))
                .select(deliveries::host)
                .distinct()
                .load(conn)
                .await?;
            let hosts: Vec<String> = hosts.into_iter().filter(|h| purge(strip_port(h))).collect();
            if !hosts.is_empty() {
                diesel::delete(
                    deliveries::table
                        .filter(deliveries::state.eq("pending"))
                        .filter(deliveries::host.eq_any(&hosts)),
                )
                .execute(conn)
                .await?;
            }
            let handles: Vec<String> = pass_links::table.select(pass_links::handle).load(conn).await?;
            let handles: Vec<String> = handles
                .into_iter()
                .filter(|h| h.rsplit_once('@').is_some_and(|(_, host)| purge(strip_port(host))))
                .collect();
            if !handles.is_empty() {
                diesel::delete(pass_links::table.filter(pass_links::handle.eq_any(&handles)))
                    .execute(conn)
                    .await?;
            }
            write_audit!(conn, audit, now);
            Ok(written)
        })
        .await);
    rules_changed();
    // Remote actors may have been deleted (a purge, a blocked actor).
    super::remote_actors::changed();
    written
}

/// Deletes a block; returns whether it existed.
pub async fn delete_block(db: &Db, id: i64, audit: &[Audit]) -> DbResult<bool> {
    let now = super::now();
    let written = with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let n = diesel::delete(domain_blocks::table.find(id)).execute(conn).await?;
            if n == 1 {
                write_audit!(conn, audit, now);
            }
            Ok(n == 1)
        })
        .await);
    rules_changed();
    written
}

pub async fn list_allows(db: &Db) -> DbResult<Vec<DomainAllowRow>> {
    with_conn!(db, conn => Ok(domain_allows::table
        .order(domain_allows::domain.asc())
        .select(DomainAllowRow::as_select())
        .load(conn)
        .await?))
}

/// Adds an allowed domain (or returns the existing row).
pub async fn insert_allow(db: &Db, domain: &str, audit: &[Audit]) -> DbResult<DomainAllowRow> {
    let now = super::now();
    let written = with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            diesel::insert_into(domain_allows::table)
                .values((domain_allows::domain.eq(domain), domain_allows::created_at.eq(now)))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            let row = domain_allows::table
                .filter(domain_allows::domain.eq(domain))
                .select(DomainAllowRow::as_select())
                .get_result(conn)
                .await?;
            write_audit!(conn, audit, now);
            Ok(row)
        })
        .await);
    rules_changed();
    written
}

pub async fn delete_allow(db: &Db, id: i64, audit: &[Audit]) -> DbResult<bool> {
    let now = super::now();
    let written = with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let n = diesel::delete(domain_allows::table.find(id)).execute(conn).await?;
            if n == 1 {
                write_audit!(conn, audit, now);
            }
            Ok(n == 1)
        })
        .await);
    rules_changed();
    written
}

/// Writes audit entries on their own (for actions whose change is elsewhere).
pub async fn audit(db: &Db, audit: &[Audit]) -> DbResult<()> {
    let now = super::now();
    with_conn!(db, conn => {
        write_audit!(conn, audit, now);
        Ok(())
    })
}

/// The newest `limit` audit entries, newest first.
pub async fn audit_entries(db: &Db, limit: i64) -> DbResult<Vec<AuditRow>> {
    with_conn!(db, conn => Ok(audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
        .await?))
}

pub async fn insert_admin_token(db: &Db, label: &str, token_hash: &str) -> DbResult<()> {
    with_conn!(db, conn => {
        diesel::insert_into(admin_tokens::table)
            .values((
                admin_tokens::label.eq(label),
                admin_tokens::token_hash.eq(token_hash),
                admin_tokens::created_at.eq(super::now()),
            ))
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// The label of the admin token with this hash, if there is one.
pub async fn admin_label_for_hash(db: &Db, token_hash: &str) -> DbResult<Option<String>> {
    with_conn!(db, conn => Ok(admin_tokens::table
        .filter(admin_tokens::token_hash.eq(token_hash))
        .select(admin_tokens::label)
        .get_result(conn)
        .await
        .optional()?))
}

pub async fn list_actor_blocks(db: &Db) -> DbResult<Vec<ActorBlockRow>> {
    with_conn!(db, conn => Ok(actor_blocks::table
        .order(actor_blocks::id.asc())
        .select(ActorBlockRow::as_select())
        .load(conn)
        .await?))
}

/// Blocks an actor and forgets the cached copy, which removes (by cascade) their follows,
/// boosts, likes, replies and alert subscriptions.
pub async fn insert_actor_block(
    db: &Db,
    ap_id: &str,
    comment: &str,
    audit: &[Audit],
) -> DbResult<ActorBlockRow> {
    let now = super::now();
    let written = with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            diesel::insert_into(actor_blocks::table)
                .values((
                    actor_blocks::actor_ap_id.eq(ap_id),
                    actor_blocks::comment.eq(comment),
                    actor_blocks::created_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            diesel::delete(remote_actors::table.filter(remote_actors::ap_id.eq(ap_id)))
                .execute(conn)
                .await?;
            let row = actor_blocks::table
                .filter(actor_blocks::actor_ap_id.eq(ap_id))
                .select(ActorBlockRow::as_select())
                .get_result(conn)
                .await?;
            write_audit!(conn, audit, now);
            Ok(row)
        })
        .await);
    rules_changed();
    // Remote actors may have been deleted (a purge, a blocked actor).
    super::remote_actors::changed();
    written
}

pub async fn delete_actor_block(db: &Db, id: i64, audit: &[Audit]) -> DbResult<bool> {
    let now = super::now();
    let written = with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let n = diesel::delete(actor_blocks::table.find(id)).execute(conn).await?;
            if n == 1 {
                write_audit!(conn, audit, now);
            }
            Ok(n == 1)
        })
        .await);
    rules_changed();
    written
}

/// Stores a received report once (by the `Flag`'s id); returns whether it was new.
pub async fn insert_report(db: &Db, report: &NewReport) -> DbResult<bool> {
    with_conn!(db, conn => Ok(diesel::insert_into(reports::table)
        .values(report)
        .on_conflict_do_nothing()
        .execute(conn)
        .await? == 1))
}

/// Stores a report Roadie sends, with the `Flag` built by `announce` (from the instance actor)
/// and the audit entry, in one transaction.
pub async fn insert_sent_report(
    db: &Db,
    report: &NewReport,
    outgoing: &super::outbox::Outgoing,
    audit: &[Audit],
) -> DbResult<ReportRow> {
    let now = super::now();
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let row = diesel::insert_into(reports::table)
                .values(report)
                .returning(ReportRow::as_returning())
                .get_result(conn)
                .await?;
            crate::store_outgoing!(conn, None::<i64>, outgoing)?;
            write_audit!(conn, audit, now);
            Ok(row)
        })
        .await)
}

pub async fn list_reports(db: &Db, resolved: bool) -> DbResult<Vec<ReportRow>> {
    with_conn!(db, conn => {
        let query = reports::table
            .order(reports::id.desc())
            .select(ReportRow::as_select())
            .into_boxed();
        let query = if resolved {
            query.filter(reports::resolved_at.is_not_null())
        } else {
            query.filter(reports::resolved_at.is_null())
        };
        Ok(query.load(conn).await?)
    })
}

pub async fn report_by_id(db: &Db, id: i64) -> DbResult<Option<ReportRow>> {
    with_conn!(db, conn => Ok(reports::table
        .find(id)
        .select(ReportRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

/// Marks a report resolved by `by`; returns false when it is unknown or already resolved.
pub async fn resolve_report(db: &Db, id: i64, by: &str, audit: &[Audit]) -> DbResult<bool> {
    let now = super::now();
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let n = diesel::update(reports::table.find(id).filter(reports::resolved_at.is_null()))
                .set((reports::resolved_at.eq(now), reports::resolved_by.eq(by)))
                .execute(conn)
                .await?;
            if n == 1 {
                write_audit!(conn, audit, now);
            }
            Ok(n == 1)
        })
        .await)
}

/// Suspends (`Some(since)`) or reinstates (`None`) a web user; suspending ends all their
/// sessions. Returns whether the user exists. Writes `audit` in the same transaction.
pub async fn set_user_suspended(
    db: &Db,
    user_id: i64,
    since: Option<NaiveDateTime>,
    audit: &[Audit],
) -> DbResult<bool> {
    let now = super::now();
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let n = diesel::update(users::table.find(user_id))
                .set(users::suspended_at.eq(since))
                .execute(conn)
                .await?;
            if n == 1 {
                if since.is_some() {
                    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id)))
                        .execute(conn)
                        .await?;
                }
                write_audit!(conn, audit, now);
            }
            Ok(n == 1)
        })
        .await)
}

/// When the artist was suspended, if they are.
pub async fn artist_suspended_at(db: &Db, artist_id: i64) -> DbResult<Option<NaiveDateTime>> {
    with_conn!(db, conn => Ok(artists::table
        .find(artist_id)
        .select(artists::suspended_at)
        .get_result::<Option<NaiveDateTime>>(conn)
        .await
        .optional()?
        .flatten()))
}

/// Every suspended artist's id and when they were suspended.
pub async fn suspended_artists(db: &Db) -> DbResult<Vec<(i64, NaiveDateTime)>> {
    let rows: Vec<(i64, Option<NaiveDateTime>)> = with_conn!(db, conn => artists::table
        .filter(artists::suspended_at.is_not_null())
        .select((artists::id, artists::suspended_at))
        .load(conn)
        .await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, at)| at.map(|at| (id, at)))
        .collect())
}

/// Suspends an artist: marks the row and stores the activities built by `announce` (`Update`
/// then `Delete` of the actor, to followers), in one transaction; each activity's deliveries
/// are due `spacing` after the previous one's, so they arrive in order. Returns false when the
/// artist was suspended already.
pub async fn suspend_artist(
    db: &Db,
    artist_id: i64,
    announce: Vec<super::outbox::Outgoing>,
    spacing: chrono::Duration,
    audit: &[Audit],
) -> DbResult<bool> {
    let now = super::now();
    let result = with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let n = diesel::update(artists::table.find(artist_id).filter(artists::suspended_at.is_null()))
                .set(artists::suspended_at.eq(now))
                .execute(conn)
                .await?;
            if n == 1 {
                for (i, outgoing) in announce.iter().enumerate() {
                    crate::store_outgoing!(conn, artist_id, outgoing)?;
                    if i > 0 {
                        let due = now + spacing * i32::try_from(i).unwrap_or(1);
                        let activity = outbox_activities::table
                            .filter(outbox_activities::ap_id.eq(&outgoing.ap_id))
                            .select(outbox_activities::id);
                        diesel::update(deliveries::table.filter(deliveries::activity_id.eq_any(activity)))
                            .set(deliveries::next_attempt_at.eq(due))
                            .execute(conn)
                            .await?;
                    }
                }
                write_audit!(conn, audit, now);
            }
            Ok(n == 1)
        })
        .await);
    if matches!(result, Ok(true)) {
        // Cached actor and WebFinger documents must not outlive the change.
        super::artists::changed();
    }
    result
}

/// Lifts a suspension; returns false when the artist was not suspended.
pub async fn unsuspend_artist(db: &Db, artist_id: i64, audit: &[Audit]) -> DbResult<bool> {
    let now = super::now();
    let result = with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            let n = diesel::update(artists::table.find(artist_id).filter(artists::suspended_at.is_not_null()))
                .set(artists::suspended_at.eq(None::<NaiveDateTime>))
                .execute(conn)
                .await?;
            if n == 1 {
                write_audit!(conn, audit, now);
            }
            Ok(n == 1)
        })
        .await);
    if matches!(result, Ok(true)) {
        // Cached actor and WebFinger documents must not outlive the change.
        super::artists::changed();
    }
    result
}

/// `host:port` → `host` (also for bracketed IPv6 literals).
pub fn strip_port(host: &str) -> &str {
    if let Some(end) = host.find("]:") {
        return &host[..=end];
    }
    match host.split_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}
