//! The inbox's writes, batched. Each delivery's write (the id of a received activity, or the
//! boost or like it carries) joins whatever other deliveries are waiting, and one transaction
//! commits them all. A delivery is answered only after its batch committed, so an accepted
//! activity is still stored; under load the commit (a WAL flush on PostgreSQL, the write lock
//! and a WAL append on SQLite) is paid once per batch instead of once per delivery. When nothing
//! else waits, a batch is one delivery and nothing is delayed.

use std::{collections::HashSet, sync::Arc};

use chrono::NaiveDateTime;
use diesel::Connection;
use tokio::sync::{mpsc, oneshot};

use super::interactions::ObjectKey;
use super::schema::{interactions, received_activities};
use super::{Db, DbError, DbResult, Insertable};

/// Most deliveries committed together: bounds one transaction's time and size.
const MAX_BATCH: usize = 256;

/// One write of the inbox. Either kind is stored once per activity id, so a repeated delivery
/// has one effect.
#[derive(Debug, Clone)]
pub enum InboxWrite {
    /// Records that an activity was received (`received_activities`), before it is handled.
    Received {
        ap_id: String,
        actor_ap_id: String,
        /// The activity's type.
        kind: String,
    },
    /// Stores a boost or like (`interactions`). Its activity id is unique there, and a fan
    /// boosts or likes an object once, so no separate record of the activity is kept.
    Interaction {
        activity_ap_id: String,
        interaction: NewInteraction,
    },
}

impl InboxWrite {
    fn activity_id(&self) -> &str {
        match self {
            InboxWrite::Received { ap_id, .. } => ap_id,
            InboxWrite::Interaction { activity_ap_id, .. } => activity_ap_id,
        }
    }
}

/// A boost or like of a local object by a remote actor.
#[derive(Debug, Clone, Copy)]
pub struct NewInteraction {
    /// `announce` or `like`.
    pub kind: &'static str,
    pub object: ObjectKey,
    pub remote_actor_id: i64,
}

/// The `received_activities` row an [`InboxWrite::Received`] inserts.
#[derive(Insertable)]
#[diesel(table_name = received_activities)]
struct ReceivedInsert<'a> {
    ap_id: &'a str,
    actor_ap_id: &'a str,
    kind: &'a str,
    received_at: NaiveDateTime,
}

/// The `interactions` row an [`InboxWrite::Interaction`] inserts.
#[derive(Insertable)]
#[diesel(table_name = interactions)]
struct InteractionInsert<'a> {
    kind: &'a str,
    artist_id: i64,
    object_kind: &'a str,
    object_id: i64,
    remote_actor_id: i64,
    activity_ap_id: &'a str,
    created_at: NaiveDateTime,
}

/// The row a write inserts.
enum Row<'a> {
    Received(ReceivedInsert<'a>),
    Interaction(InteractionInsert<'a>),
}

impl InboxWrite {
    fn row(&self, now: NaiveDateTime) -> Row<'_> {
        match self {
            InboxWrite::Received {
                ap_id,
                actor_ap_id,
                kind,
            } => Row::Received(ReceivedInsert {
                ap_id,
                actor_ap_id,
                kind,
                received_at: now,
            }),
            InboxWrite::Interaction {
                activity_ap_id,
                interaction: i,
            } => Row::Interaction(InteractionInsert {
                kind: i.kind,
                artist_id: i.object.artist_id,
                object_kind: i.object.kind,
                object_id: i.object.id,
                remote_actor_id: i.remote_actor_id,
                activity_ap_id,
                created_at: now,
            }),
        }
    }
}

type Job = (InboxWrite, oneshot::Sender<DbResult<bool>>);

/// The handle deliveries use; the writer tasks end when the last handle is dropped.
#[derive(Clone)]
pub struct InboxWriter {
    /// One queue per writer task.
    queues: Arc<[mpsc::Sender<Job>]>,
}

/// Writer tasks per process. On PostgreSQL, two: writes routed to different writers (other
/// artists' likes, received ids) commit while the other writer waits for its WAL flush; four
/// writers sharing one queue split the load into smaller batches and cost PostgreSQL more CPU
/// (measured in docs/PERFORMANCE.md). SQLite has one writer at a time anyway.
fn writer_tasks(db: &Db) -> usize {
    match db {
        Db::Pg(_) => 2,
        Db::Sqlite(_) => 1,
    }
}

impl InboxWriter {
    /// Starts the writer tasks on the current tokio runtime.
    pub fn start(db: Db) -> InboxWriter {
        let queues = (0..writer_tasks(&db))
            .map(|_| {
                let (queue, jobs) = mpsc::channel(MAX_BATCH * 4);
                tokio::spawn(run(db.clone(), jobs));
                queue
            })
            .collect();
        InboxWriter { queues }
    }

    /// Stores `write` and returns once it is committed: true when it was new, false when the
    /// activity was received before (or the fan had already boosted or liked the object).
    pub async fn write(&self, write: InboxWrite) -> DbResult<bool> {
        let stopped = || DbError::Pool("the inbox writer has stopped".to_owned());
        let (reply, answer) = oneshot::channel();
        self.queues[self.queue_for(&write)]
            .send((write, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// The writer a write goes to. All boosts and likes of one artist's objects go to the same
    /// writer: a burst for a popular post then commits in few, large batches, and no two
    /// transactions of this process share-lock the artist's row at once for their foreign-key
    /// checks (PostgreSQL turns concurrent share locks of one row into costly multixacts).
    fn queue_for(&self, write: &InboxWrite) -> usize {
        let spread = match write {
            InboxWrite::Interaction { interaction, .. } => {
                interaction.object.artist_id.unsigned_abs()
            }
            InboxWrite::Received { ap_id, .. } => {
                use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
                BuildHasherDefault::<DefaultHasher>::default().hash_one(ap_id)
            }
        };
        (spread % self.queues.len() as u64) as usize
    }
}

/// One writer: takes whatever waits (up to [`MAX_BATCH`]), writes it, answers, again.
async fn run(db: Db, mut queue: mpsc::Receiver<Job>) {
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    loop {
        let taken = queue.recv_many(&mut jobs, MAX_BATCH).await;
        if taken == 0 {
            return;
        }
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

/// Writes `batch` in one transaction; for each write, in order, whether it was new.
async fn write_batch(db: &Db, batch: &[InboxWrite]) -> DbResult<Vec<bool>> {
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

/// For each write of `batch`, whether it was new: `inserted` says whether its row was among
/// those inserted, and of an activity id given twice only the first counts.
fn first_new(batch: &[InboxWrite], inserted: impl Fn(&InboxWrite) -> bool) -> Vec<bool> {
    let mut claimed = HashSet::new();
    batch
        .iter()
        .map(|w| inserted(w) && claimed.insert(w.activity_id()))
        .collect()
}

/// PostgreSQL: one multi-row insert per table the batch writes to. A batch of only boosts and
/// likes (the usual load) is a single statement, committed on its own.
mod pg {
    use std::collections::HashSet;

    use chrono::NaiveDateTime;
    use diesel_async::{AsyncConnection, AsyncPgConnection};

    use super::{InboxWrite, InteractionInsert, ReceivedInsert, Row};
    use crate::db::schema::{interactions, received_activities};
    use crate::db::{DbError, DbResult, RunQueryDsl};

    pub(super) async fn write(
        conn: &mut AsyncPgConnection,
        batch: &[InboxWrite],
        now: NaiveDateTime,
    ) -> DbResult<Vec<bool>> {
        let (mut received, mut interactions) = (Vec::new(), Vec::new());
        for write in batch {
            match write.row(now) {
                Row::Received(row) => received.push(row),
                Row::Interaction(row) => interactions.push(row),
            }
        }
        let (new_received, new_interactions) = if received.is_empty() || interactions.is_empty() {
            (
                insert_received(conn, received).await?,
                insert_interactions(conn, interactions).await?,
            )
        } else {
            conn.transaction::<_, DbError, _>(async move |conn| {
                Ok((
                    insert_received(conn, received).await?,
                    insert_interactions(conn, interactions).await?,
                ))
            })
            .await?
        };
        Ok(super::first_new(batch, |w| match w {
            InboxWrite::Received { ap_id, .. } => new_received.contains(ap_id),
            InboxWrite::Interaction { activity_ap_id, .. } => {
                new_interactions.contains(activity_ap_id)
            }
        }))
    }

    /// Inserts received activities; the ids of those that were new.
    async fn insert_received(
        conn: &mut AsyncPgConnection,
        rows: Vec<ReceivedInsert<'_>>,
    ) -> DbResult<HashSet<String>> {
        if rows.is_empty() {
            return Ok(HashSet::new());
        }
        Ok(diesel::insert_into(received_activities::table)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(received_activities::ap_id)
            .get_results::<String>(conn)
            .await?
            .into_iter()
            .collect())
    }

    /// Inserts boosts and likes; the activity ids of those that were new.
    async fn insert_interactions(
        conn: &mut AsyncPgConnection,
        rows: Vec<InteractionInsert<'_>>,
    ) -> DbResult<HashSet<String>> {
        if rows.is_empty() {
            return Ok(HashSet::new());
        }
        Ok(diesel::insert_into(interactions::table)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(interactions::activity_ap_id)
            .get_results::<String>(conn)
            .await?
            .into_iter()
            .collect())
    }
}

/// SQLite: one row at a time (diesel has no multi-row insert with `RETURNING` for SQLite), on
/// the blocking thread that holds the connection; each statement is prepared once and cached.
mod sqlite {
    use chrono::NaiveDateTime;
    use diesel::{sqlite::SqliteConnection, QueryResult, RunQueryDsl};

    use super::{InboxWrite, Row};
    use crate::db::schema::{interactions, received_activities};

    pub(super) fn write(
        conn: &mut SqliteConnection,
        batch: &[InboxWrite],
        now: NaiveDateTime,
    ) -> QueryResult<Vec<bool>> {
        batch
            .iter()
            .map(|w| {
                let inserted = match w.row(now) {
                    Row::Received(row) => diesel::insert_into(received_activities::table)
                        .values(row)
                        .on_conflict_do_nothing()
                        .execute(conn)?,
                    Row::Interaction(row) => diesel::insert_into(interactions::table)
                        .values(row)
                        .on_conflict_do_nothing()
                        .execute(conn)?,
                };
                Ok(inserted == 1)
            })
            .collect()
    }
}
