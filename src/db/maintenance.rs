//! Whole-database operations for admins: a consistent online backup of a SQLite database, and
//! a copy of a SQLite database into a fresh PostgreSQL one (moving a growing instance).
//!
//! The copy is generic over the tables: it reads the table list, columns and foreign keys from
//! SQLite itself, so tables added by later migrations are copied without touching this file.

use diesel::sql_types::{BigInt, Text};
use diesel_async::SimpleAsyncConnection;

use super::{Db, DbError, DbResult, RunQueryDsl};

/// Rows moved per statement while copying.
const COPY_BATCH: i64 = 500;

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(diesel::QueryableByName)]
struct Data {
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    data: Option<String>,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Writes a consistent copy of a SQLite database to `dest` (which must not exist) with
/// `VACUUM INTO`: it reads inside one transaction, so writers may go on meanwhile and the copy
/// is the database as of one moment.
pub async fn sqlite_backup(db: &Db, dest: &std::path::Path) -> DbResult<()> {
    let Db::Sqlite(pool) = db else {
        return Err(DbError::Connect(
            "online backup is for SQLite; back PostgreSQL up with pg_dump".to_owned(),
        ));
    };
    let dest = dest
        .to_str()
        .ok_or_else(|| DbError::Connect("the backup path must be valid UTF-8".to_owned()))?
        .to_owned();
    let mut conn = pool.get().await?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(dest)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What one table's copy moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedTable {
    pub table: String,
    pub rows: i64,
}

/// Copies every row of the SQLite database `from` into the PostgreSQL database `to`, in one
/// transaction on each side. Both must be migrated to the same schema, and `to` must be empty.
/// Ids, keys and timestamps are kept as they are; PostgreSQL sequences continue after them.
pub async fn copy_sqlite_to_postgres(from: &Db, to: &Db) -> DbResult<Vec<CopiedTable>> {
    let (Db::Sqlite(src_pool), Db::Pg(dst_pool)) = (from, to) else {
        return Err(DbError::Connect(
            "copy-to copies a SQLite database into a PostgreSQL one".to_owned(),
        ));
    };
    let status_from = from.schema_status().await?;
    let status_to = to.schema_status().await?;
    if !(status_from.pending.is_empty()
        && status_from.unknown.is_empty()
        && status_to.pending.is_empty()
        && status_to.unknown.is_empty())
    {
        return Err(DbError::Migration(
            "both databases must be migrated by this version of Roadie".to_owned(),
        ));
    }
    let mut src = src_pool.get().await?;
    let mut dst = dst_pool.get().await?;

    // A read transaction: the source is copied as of one moment even if a server still writes.
    src.batch_execute("BEGIN").await?;
    let result = async {
        let tables = sqlite_tables_in_dependency_order(&mut src).await?;
        for table in &tables {
            let n = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {}", quote(table)))
                .get_result::<Count>(&mut *dst)
                .await
                .map_err(|e| DbError::Connect(format!("table {table} in the target: {e}")))?
                .n;
            if n > 0 {
                return Err(DbError::Connect(format!(
                    "the target database is not empty (table {table} has {n} rows); copy into a \
                     new database that only `roadie migrate` has touched"
                )));
            }
        }
        dst.batch_execute("BEGIN").await?;
        let copied = async {
            let mut copied = Vec::new();
            for table in &tables {
                let rows = copy_table(&mut src, &mut dst, table).await?;
                copied.push(CopiedTable {
                    table: table.clone(),
                    rows,
                });
            }
            reset_sequences(&mut dst).await?;
            Ok::<_, DbError>(copied)
        }
        .await;
        match copied {
            Ok(c) => {
                dst.batch_execute("COMMIT").await?;
                Ok(c)
            }
            Err(e) => {
                let _ = dst.batch_execute("ROLLBACK").await;
                Err(e)
            }
        }
    }
    .await;
    let _ = src.batch_execute("COMMIT").await;
    result
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// User tables, each after the tables its foreign keys point to.
async fn sqlite_tables_in_dependency_order(conn: &mut super::SqliteConn) -> DbResult<Vec<String>> {
    let names: Vec<String> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '__diesel_schema_migrations' ORDER BY rowid",
    )
    .load::<Name>(conn)
    .await?
    .into_iter()
    .map(|n| n.name)
    .collect();
    let mut deps = Vec::new();
    for name in &names {
        let parents: Vec<String> =
            diesel::sql_query("SELECT DISTINCT \"table\" AS name FROM pragma_foreign_key_list(?)")
                .bind::<Text, _>(name)
                .load::<Name>(conn)
                .await?
                .into_iter()
                .map(|n| n.name)
                .filter(|p| p != name)
                .collect();
        deps.push((name.clone(), parents));
    }
    let mut ordered: Vec<String> = Vec::new();
    while ordered.len() < names.len() {
        let before = ordered.len();
        for (name, parents) in &deps {
            if !ordered.contains(name) && parents.iter().all(|p| ordered.contains(p)) {
                ordered.push(name.clone());
            }
        }
        if ordered.len() == before {
            return Err(DbError::Migration(
                "foreign keys form a cycle; cannot order the copy".to_owned(),
            ));
        }
    }
    Ok(ordered)
}

/// Moves one table in batches: SQLite renders rows as JSON, PostgreSQL reads them back with
/// `json_populate_recordset` (which converts each value with the column's own input function:
/// 0/1 to booleans, text to timestamps). Doubles are rendered with 17 digits so they come back
/// bit for bit.
async fn copy_table(
    src: &mut super::SqliteConn,
    dst: &mut diesel_async::AsyncPgConnection,
    table: &str,
) -> DbResult<i64> {
    let columns: Vec<String> = diesel::sql_query("SELECT name FROM pragma_table_info(?)")
        .bind::<Text, _>(table)
        .load::<Name>(src)
        .await?
        .into_iter()
        .map(|n| n.name)
        .collect();
    let object = columns
        .iter()
        .map(|c| {
            let q = quote(c);
            format!(
                "'{}', CASE typeof({q}) WHEN 'real' THEN printf('%.17g', {q}) ELSE {q} END",
                c.replace('\'', "''")
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let select = format!(
        "SELECT json_group_array(json_object({object})) AS data FROM \
         (SELECT * FROM {} ORDER BY rowid LIMIT ? OFFSET ?)",
        quote(table)
    );
    let insert = format!(
        "INSERT INTO {t} SELECT * FROM json_populate_recordset(NULL::{t}, $1::json)",
        t = quote(table)
    );
    let mut copied = 0;
    loop {
        let data = diesel::sql_query(&select)
            .bind::<BigInt, _>(COPY_BATCH)
            .bind::<BigInt, _>(copied)
            .get_result::<Data>(src)
            .await?
            .data
            .unwrap_or_else(|| "[]".to_owned());
        let n = diesel::sql_query(&insert)
            .bind::<Text, _>(&data)
            .execute(dst)
            .await
            .map_err(|e| DbError::Connect(format!("copying table {table}: {e}")))?;
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        copied += n;
        if n < COPY_BATCH {
            return Ok(copied);
        }
    }
}

/// Makes every serial column's sequence continue after the copied ids.
async fn reset_sequences(dst: &mut diesel_async::AsyncPgConnection) -> DbResult<()> {
    #[derive(diesel::QueryableByName)]
    struct Serial {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
    }
    let serials = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         AND column_default LIKE 'nextval(%'",
    )
    .load::<Serial>(dst)
    .await?;
    for s in serials {
        diesel::sql_query(format!(
            "SELECT setval(pg_get_serial_sequence('{t}', '{c}'), COALESCE(MAX({qc}), 0) + 1, false) \
             FROM {qt}",
            t = quote(&s.table_name).replace('\'', "''"),
            c = s.column_name.replace('\'', "''"),
            qc = quote(&s.column_name),
            qt = quote(&s.table_name),
        ))
        .execute(dst)
        .await?;
    }
    Ok(())
}
