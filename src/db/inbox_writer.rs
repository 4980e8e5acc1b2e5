//! The inbox's writes, batched. Each delivery's "record the activity id, and store the fan's
//! boost or like" joins whatever other deliveries are waiting, and one transaction commits them
//! all. A delivery is answered only after its batch committed, so an accepted activity is still
//! stored; under load the commit (a WAL flush on PostgreSQL, the write lock and a WAL append on
//! SQLite) is paid once per batch instead of twice per delivery. When nothing else waits, a
//! batch is one delivery and nothing is delayed.

use std::collections::HashSet;

use diesel::Connection;
use tokio::sync::{mpsc, oneshot};

use super::interactions::ObjectKey;
use super::{Db, DbError, DbResult};

/// Most deliveries committed together: bounds one transaction's time and size.
const MAX_BATCH: usize = 256;

/// One received activity to record, with the boost or like it carries, if any.
#[derive(Debug, Clone)]
pub struct InboxWrite {
    /// The activity's id; recorded once (`received_activities`), so a repeat has no effect.
    pub ap_id: String,
    pub actor_ap_id: String,
    /// The activity's type.
    pub kind: String,
    /// Stored in the same transaction, only when the activity is new.
    pub interaction: Option<NewInteraction>,
}

/// A boost or like of a local object (`interactions`).
#[derive(Debug, Clone, Copy)]
pub struct NewInteraction {
    /// `announce` or `like`.
    pub kind: &'static str,
    pub object: ObjectKey,
    pub remote_actor_id: i64,
}

/// What one write changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// False when the activity was received before: the caller does nothing more.
    pub new_activity: bool,
    /// False when there was no interaction or the fan had already boosted or liked the object.
    pub new_interaction: bool,
}

type Job = (InboxWrite, oneshot::Sender<DbResult<Written>>);

/// The handle deliveries use; the writer task ends when the last handle is dropped.
#[derive(Clone)]
pub struct InboxWriter {
    queue: mpsc::Sender<Job>,
}

impl InboxWriter {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(db: Db) -> InboxWriter {
        let (queue, jobs) = mpsc::channel(MAX_BATCH * 4);
        tokio::spawn(run(db, jobs));
        InboxWriter { queue }
    }

    /// Records `write` and returns once it is committed.
    pub async fn write(&self, write: InboxWrite) -> DbResult<Written> {
        let stopped = || DbError::Pool("the inbox writer has stopped".to_owned());
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((write, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(db: Db, mut queue: mpsc::Receiver<Job>) {
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (writes, replies): (Vec<InboxWrite>, Vec<_>) = jobs.drain(..).unzip();
        match write_batch(&db, &writes).await {
            Ok(written) => {
                for (reply, written) in replies.into_iter().zip(written) {
                    // The delivery may have gone (client hung up); what was written stays.
                    let _ = reply.send(Ok(written));
                }
            }
            Err(e) if writes.len() == 1 => {
                let _ = replies.into_iter().next().map(|reply| reply.send(Err(e)));
            }
            // One bad write (say, a fan purged meanwhile) must not fail the others: each is
            // tried again alone, and only its own error reaches its delivery.
            Err(e) => {
                tracing::warn!(error = %e, writes = writes.len(), "batched inbox write failed, writing one by one");
                for (write, reply) in writes.iter().zip(replies) {
                    let one = write_batch(&db, std::slice::from_ref(write))
                        .await
                        .map(|written| written[0]);
                    let _ = reply.send(one);
                }
            }
        }
    }
}

/// Writes `batch` in one transaction; one [`Written`] per write, in order.
async fn write_batch(db: &Db, batch: &[InboxWrite]) -> DbResult<Vec<Written>> {
    let now = super::now();
    match db {
        Db::Pg(pool) => {
            let mut conn = pool.get().await?;
            pg::write(&mut conn, batch, now).await
        }
        Db::Sqlite(pool) => {
            let mut conn = pool.get().await?;
            let batch = batch.to_vec();
            // One hand-over to a blocking thread for the whole batch, not one per statement.
            Ok(conn
                .spawn_blocking(move |conn| {
                    conn.transaction(|conn| sqlite::write(conn, &batch, now))
                })
                .await?)
        }
    }
}

/// Which writes of a batch carry an activity seen for the first time: those whose id the insert
/// returned, and of an id given twice only the first.
fn first_new(batch: &[InboxWrite], new_ids: &HashSet<String>) -> Vec<bool> {
    let mut claimed = HashSet::new();
    batch
        .iter()
        .map(|w| new_ids.contains(&w.ap_id) && claimed.insert(w.ap_id.as_str()))
        .collect()
}

/// PostgreSQL: two multi-row inserts per batch, whatever its size.
mod pg {
    use std::collections::HashSet;

    use chrono::NaiveDateTime;
    use diesel_async::{AsyncConnection, AsyncPgConnection};

    use super::{first_new, InboxWrite, Written};
    use crate::db::schema::{interactions, received_activities};
    use crate::db::{DbError, DbResult, ExpressionMethods, RunQueryDsl};

    pub(super) async fn write(
        conn: &mut AsyncPgConnection,
        batch: &[InboxWrite],
        now: NaiveDateTime,
    ) -> DbResult<Vec<Written>> {
        conn.transaction::<_, DbError, _>(async move |conn| {
            let received: Vec<_> = batch
                .iter()
                .map(|w| {
                    (
                        received_activities::ap_id.eq(&w.ap_id),
                        received_activities::actor_ap_id.eq(&w.actor_ap_id),
                        received_activities::kind.eq(&w.kind),
                        received_activities::received_at.eq(now),
                    )
                })
                .collect();
            let new_ids: HashSet<String> = diesel::insert_into(received_activities::table)
                .values(received)
                .on_conflict_do_nothing()
                .returning(received_activities::ap_id)
                .get_results::<String>(conn)
                .await?
                .into_iter()
                .collect();
            let new_activity = first_new(batch, &new_ids);
            let stored: Vec<_> = batch
                .iter()
                .zip(&new_activity)
                .filter(|(_, new)| **new)
                .filter_map(|(w, _)| {
                    let i = w.interaction?;
                    Some((
                        interactions::kind.eq(i.kind),
                        interactions::artist_id.eq(i.object.artist_id),
                        interactions::object_kind.eq(i.object.kind),
                        interactions::object_id.eq(i.object.id),
                        interactions::remote_actor_id.eq(i.remote_actor_id),
                        interactions::activity_ap_id.eq(&w.ap_id),
                        interactions::created_at.eq(now),
                    ))
                })
                .collect();
            let new_interactions: HashSet<String> = if stored.is_empty() {
                HashSet::new()
            } else {
                diesel::insert_into(interactions::table)
                    .values(stored)
                    .on_conflict_do_nothing()
                    .returning(interactions::activity_ap_id)
                    .get_results::<String>(conn)
                    .await?
                    .into_iter()
                    .collect()
            };
            Ok(batch
                .iter()
                .zip(new_activity)
                .map(|(w, new)| Written {
                    new_activity: new,
                    new_interaction: new && new_interactions.contains(&w.ap_id),
                })
                .collect())
        })
        .await
    }
}

/// SQLite: one row at a time (diesel has no multi-row insert with `RETURNING` for SQLite), on
/// the blocking thread that holds the connection; each statement is prepared once and cached.
mod sqlite {
    use chrono::NaiveDateTime;
    use diesel::{sqlite::SqliteConnection, ExpressionMethods, QueryResult, RunQueryDsl};

    use super::{InboxWrite, Written};
    use crate::db::schema::{interactions, received_activities};

    pub(super) fn write(
        conn: &mut SqliteConnection,
        batch: &[InboxWrite],
        now: NaiveDateTime,
    ) -> QueryResult<Vec<Written>> {
        let mut written = Vec::with_capacity(batch.len());
        for w in batch {
            let new_activity = diesel::insert_into(received_activities::table)
                .values((
                    received_activities::ap_id.eq(&w.ap_id),
                    received_activities::actor_ap_id.eq(&w.actor_ap_id),
                    received_activities::kind.eq(&w.kind),
                    received_activities::received_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?
                == 1;
            let new_interaction = match w.interaction {
                Some(i) if new_activity => {
                    diesel::insert_into(interactions::table)
                        .values((
                            interactions::kind.eq(i.kind),
                            interactions::artist_id.eq(i.object.artist_id),
                            interactions::object_kind.eq(i.object.kind),
                            interactions::object_id.eq(i.object.id),
                            interactions::remote_actor_id.eq(i.remote_actor_id),
                            interactions::activity_ap_id.eq(&w.ap_id),
                            interactions::created_at.eq(now),
                        ))
                        .on_conflict_do_nothing()
                        .execute(conn)?
                        == 1
                }
                _ => false,
            };
            written.push(Written {
                new_activity,
                new_interaction,
            });
        }
        Ok(written)
    }
}
