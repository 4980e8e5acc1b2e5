//! The instance actor's key pair.

use super::schema::instance_keys;
use super::{Db, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use crate::with_conn;

/// The stored key pair as `(public PEM, private PEM)`, if one was made.
pub async fn keys(db: &Db) -> DbResult<Option<(String, String)>> {
    with_conn!(db, conn => Ok(instance_keys::table
        .find(1_i64)
        .select((instance_keys::public_key_pem, instance_keys::private_key_pem))
        .first(conn)
        .await
        .optional()?))
}

/// Stores a key pair unless another process stored one first; returns whichever is stored.
pub async fn insert_keys_once(
    db: &Db,
    public_pem: &str,
    private_pem: &str,
) -> DbResult<(String, String)> {
    with_conn!(db, conn => {
        diesel::insert_into(instance_keys::table)
            .values((
                instance_keys::id.eq(1_i64),
                instance_keys::public_key_pem.eq(public_pem),
                instance_keys::private_key_pem.eq(private_pem),
                instance_keys::created_at.eq(super::now()),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        Ok(instance_keys::table
            .find(1_i64)
            .select((instance_keys::public_key_pem, instance_keys::private_key_pem))
            .first(conn)
            .await?)
    })
}
