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
        .first(conn)
        .await
        .optional()?))
}
