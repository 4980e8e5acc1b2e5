//! API tokens. Only a SHA-256 hash of each token is stored.

use super::schema::{api_tokens, artists};
use super::{Db, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use super::{JoinOnDsl, SelectableHelper};
use crate::db::artists::Artist;
use crate::with_conn;

pub async fn insert(db: &Db, artist_id: i64, token_hash: &str) -> DbResult<()> {
    with_conn!(db, conn => {
        diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::artist_id.eq(artist_id),
                api_tokens::token_hash.eq(token_hash),
                api_tokens::created_at.eq(super::now()),
            ))
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// The artist a token hash belongs to, if any.
pub async fn artist_for_hash(db: &Db, token_hash: &str) -> DbResult<Option<Artist>> {
    with_conn!(db, conn => Ok(api_tokens::table
        .inner_join(artists::table.on(artists::id.eq(api_tokens::artist_id)))
        .filter(api_tokens::token_hash.eq(token_hash))
        .select(Artist::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

/// An artist's API tokens (ids and creation times; the tokens themselves are not stored).
pub async fn of_artist(db: &Db, artist_id: i64) -> DbResult<Vec<(i64, chrono::NaiveDateTime)>> {
    with_conn!(db, conn => Ok(api_tokens::table
        .filter(api_tokens::artist_id.eq(artist_id))
        .order(api_tokens::id)
        .select((api_tokens::id, api_tokens::created_at))
        .load(conn)
        .await?))
}

/// Revokes one of an artist's tokens; false when it is not theirs.
pub async fn delete(db: &Db, artist_id: i64, token_id: i64) -> DbResult<bool> {
    with_conn!(db, conn => Ok(diesel::delete(
        api_tokens::table
            .filter(api_tokens::id.eq(token_id))
            .filter(api_tokens::artist_id.eq(artist_id)),
    )
    .execute(conn)
    .await?
        > 0))
}
