//! The database layer: one pool enum over SQLite and PostgreSQL, the shared schema, and one
//! module per table group whose functions are named for what they do. No SQL lives elsewhere.
//!
//! Lookups by a unique key end in `.get_result`, not `.first`: `.first` adds `LIMIT ?`, and
//! SQLite re-prepares a statement whose `LIMIT` is a bound parameter every time it is run (the
//! planner may use the value), which cost the inbox a sixth of its CPU in the profile.

pub mod activities;
pub mod alerts;
pub mod artists;
pub mod deliveries;
pub mod follows;
pub mod hosts;
pub mod inbox_writer;
pub mod instance;
pub mod interactions;
pub mod maintenance;
pub mod media;
pub mod moderation;
pub mod outbox;
pub mod passes;
pub mod posts;
pub mod releases;
pub mod remote_actors;
pub mod schema;
pub mod shows;
pub mod tokens;
pub mod users;

use std::path::Path;

use diesel::sqlite::SqliteConnection;
use diesel_async::{
    pooled_connection::{
        deadpool::Pool, AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
    },
    sync_connection_wrapper::SyncConnectionWrapper,
    AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, SimpleAsyncConnection,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// SQLite through diesel-async: a synchronous connection run on the blocking pool.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Serialises migrations when several Roadie processes start on one PostgreSQL.
const PG_MIGRATION_LOCK: i64 = 0x526f616469; // "Roadi"

/// A pool of connections to whichever backend the configuration chose.
#[derive(Clone)]
pub enum Db {
    Pg(Pool<AsyncPgConnection>),
    Sqlite(Pool<SqliteConn>),
}

/// What can go wrong in this layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(String),
    #[error("cannot open database: {0}")]
    Connect(String),
    #[error("migrations failed: {0}")]
    Migration(String),
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for DbError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        DbError::Pool(e.to_string())
    }
}

impl DbError {
    /// True when the query failed on a unique constraint, i.e. the row already exists.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// Runs `$body` with `$conn` bound to a pooled connection of either backend. The body is
/// compiled once per backend, so every query is checked against both.
#[macro_export]
macro_rules! with_conn {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Pg(pool) => {
                let mut pooled = pool.get().await?;
                let $conn = &mut *pooled;
                $body
            }
            $crate::db::Db::Sqlite(pool) => {
                let mut pooled = pool.get().await?;
                let $conn = &mut *pooled;
                $body
            }
        }
    };
}

/// Applies `$migrations` on the pooled connection `$pooled`, holding a PostgreSQL advisory lock
/// when `$lock` is `Some`. A macro because the harness's trait bounds differ per backend.
macro_rules! run_migrations {
    ($pooled:expr, $migrations:expr, $lock:expr) => {{
        use diesel_async::pooled_connection::deadpool::Object;
        let mut conn = Object::take($pooled);
        let lock: Option<i64> = $lock;
        if let Some(key) = lock {
            conn.batch_execute(&format!("SELECT pg_advisory_lock({key})"))
                .await?;
        }
        // The harness blocks on the runtime, so it must run on a blocking thread.
        let (mut conn, result) = tokio::task::spawn_blocking(move || {
            let mut harness = AsyncMigrationHarness::new(conn);
            let result = harness
                .run_pending_migrations($migrations)
                .map(|_| ())
                .map_err(|e| DbError::Migration(e.to_string()));
            (harness.into_inner(), result)
        })
        .await
        .map_err(|e| DbError::Migration(e.to_string()))?;
        if let Some(key) = lock {
            conn.batch_execute(&format!("SELECT pg_advisory_unlock({key})"))
                .await?;
        }
        result
    }};
}

impl Db {
    /// Opens a pool for `url` (`sqlite://PATH` or `postgres://…`) and applies pending migrations.
    pub async fn connect(url: &str) -> DbResult<Db> {
        let db = Self::open(url)?;
        db.migrate().await?;
        Ok(db)
    }

    /// Opens a pool without touching the schema.
    pub fn open(url: &str) -> DbResult<Db> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if let Some(parent) = Path::new(path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        DbError::Connect(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
            }
            let mut config = ManagerConfig::default();
            // No test query on every checkout: it doubled the round trips of every request
            // that queries (profiled on the inbox). A connection that broke fails its next
            // query once and is then dropped by the pool.
            config.recycling_method = RecyclingMethod::Fast;
            config.custom_setup = Box::new(|path: &str| {
                let path = path.to_owned();
                Box::pin(async move {
                    let mut conn = SqliteConn::establish(&path).await?;
                    // busy_timeout comes first so that switching to WAL waits for a lock held
                    // by another connection instead of failing. WAL lets readers run beside the
                    // single writer. Checkpointing every 4,000 pages (16 MiB) instead of 1,000
                    // copies hot index pages back less often: a tenth of the inbox's CPU went
                    // to checkpoints in the profile.
                    conn.batch_execute(
                        "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                         PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                         PRAGMA wal_autocheckpoint = 4000;",
                    )
                    .await
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                    Ok(conn)
                })
            });
            let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(path, config);
            let pool = Pool::builder(manager)
                .max_size(8)
                .build()
                .map_err(|e| DbError::Connect(e.to_string()))?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // No test query on checkout either (see above).
            let mut config = ManagerConfig::default();
            config.recycling_method = RecyclingMethod::Fast;
            let manager =
                AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
            let pool = Pool::builder(manager)
                .max_size(16)
                .build()
                .map_err(|e| DbError::Connect(e.to_string()))?;
            Ok(Db::Pg(pool))
        } else {
            Err(DbError::Connect(
                "database URL must start with sqlite:// or postgres://".to_owned(),
            ))
        }
    }

    /// Applies every embedded migration not yet applied. Safe to run from several processes.
    pub async fn migrate(&self) -> DbResult<()> {
        match self {
            Db::Sqlite(pool) => run_migrations!(pool.get().await?, SQLITE_MIGRATIONS, None),
            Db::Pg(pool) => {
                run_migrations!(pool.get().await?, PG_MIGRATIONS, Some(PG_MIGRATION_LOCK))
            }
        }
    }

    /// `"sqlite"` or `"postgres"`, for logs and NodeInfo metadata.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Db::Pg(_) => "postgres",
            Db::Sqlite(_) => "sqlite",
        }
    }
}

/// The current time as stored in the database: UTC, without zone, to the microsecond.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    // Both backends keep microseconds; trimming here makes values read back compare equal.
    chrono::Utc::now().naive_utc().trunc_subsecs(6)
}

// Pulled in for the macro above; keeps `use` lists in table modules short.
pub(crate) use diesel::prelude::*;
pub(crate) use diesel_async::RunQueryDsl;

/// What `/health/ready` reports about the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Embedded migrations not yet applied to this database.
    pub pending: Vec<String>,
    /// Migrations applied to the database that this binary does not know (a newer binary ran).
    pub unknown: Vec<String>,
}

#[derive(diesel::QueryableByName)]
struct AppliedVersion {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

impl Db {
    /// Compares the embedded migrations with those recorded in the database. Fails when the
    /// database cannot be reached, which is what a readiness check wants to know first.
    pub async fn schema_status(&self) -> DbResult<SchemaStatus> {
        use diesel::migration::MigrationSource;
        fn versions<DB: diesel::backend::Backend>(
            source: &EmbeddedMigrations,
        ) -> DbResult<Vec<String>> {
            Ok(MigrationSource::<DB>::migrations(source)
                .map_err(|e| DbError::Migration(e.to_string()))?
                .iter()
                .map(|m| m.name().version().to_string())
                .collect())
        }
        let embedded = match self {
            Db::Pg(_) => versions::<diesel::pg::Pg>(&PG_MIGRATIONS)?,
            Db::Sqlite(_) => versions::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS)?,
        };
        let query = diesel::sql_query("SELECT version FROM __diesel_schema_migrations");
        let applied: Vec<String> = with_conn!(self, conn => query
            .load::<AppliedVersion>(conn)
            .await
            .map(|rows| rows.into_iter().map(|r| r.version).collect())
            .or_else(|e| match e {
                // A database nobody migrated yet has no table at all.
                diesel::result::Error::DatabaseError(_, ref info)
                    if info.message().contains("__diesel_schema_migrations") =>
                {
                    Ok(Vec::new())
                }
                e => Err(e),
            })?);
        Ok(SchemaStatus {
            pending: embedded
                .iter()
                .filter(|v| !applied.contains(v))
                .cloned()
                .collect(),
            unknown: applied
                .iter()
                .filter(|v| !embedded.contains(v))
                .cloned()
                .collect(),
        })
    }
}
