//! The instance actor's key pair, and the admin's settings of the instance (one row each).

use chrono::NaiveDateTime;
use diesel_async::AsyncConnection;

use super::schema::{audit_log, instance_keys, instance_settings};
use super::{AsChangeset, Insertable, Queryable, Selectable, SelectableHelper};
use super::{Db, DbError, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use crate::with_conn;

/// The stored instance settings; empty text means "not set".
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = instance_settings)]
pub struct SettingsRow {
    pub id: i64,
    pub name: String,
    /// Markdown as the admin typed it.
    pub description: String,
    /// `description` rendered and sanitised.
    pub description_html: String,
    /// One rule per line.
    pub rules: String,
    pub contact_email: String,
    pub contact_account: String,
    /// `invite` or `closed`.
    pub registrations: String,
    pub updated_at: NaiveDateTime,
}

/// The settings, if an admin ever saved them.
pub async fn settings(db: &Db) -> DbResult<Option<SettingsRow>> {
    with_conn!(db, conn => Ok(instance_settings::table
        .find(1_i64)
        .select(SettingsRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

/// Writes the settings (the row's id is forced to 1) and the audit entry recording who did,
/// in one transaction.
pub async fn save_settings(
    db: &Db,
    row: &SettingsRow,
    audit: &super::moderation::Audit,
) -> DbResult<()> {
    let row = SettingsRow {
        id: 1,
        ..row.clone()
    };
    let row = &row;
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            diesel::insert_into(instance_settings::table)
                .values(row)
                .on_conflict(instance_settings::id)
                .do_update()
                .set(row)
                .execute(conn)
                .await?;
            diesel::insert_into(audit_log::table)
                .values((
                    audit_log::actor.eq(&audit.actor),
                    audit_log::action.eq(audit.action),
                    audit_log::target.eq(&audit.target),
                    audit_log::detail.eq(&audit.detail),
                    audit_log::created_at.eq(row.updated_at),
                ))
                .execute(conn)
                .await?;
            Ok(())
        })
        .await)
}

/// The stored key pair as `(public PEM, private PEM)`, if one was made.
pub async fn keys(db: &Db) -> DbResult<Option<(String, String)>> {
    with_conn!(db, conn => Ok(instance_keys::table
        .find(1_i64)
        .select((instance_keys::public_key_pem, instance_keys::private_key_pem))
        .get_result(conn)
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
            .get_result(conn)
            .await?)
    })
}
