//! Accounts of the web interface: users, their roles on artists, browser sessions and the
//! one-time links (set-up and invites) that create accounts.

use chrono::NaiveDateTime;
use diesel_async::AsyncConnection;

use super::schema::{artist_members, artists, invites, login_failures, sessions, users};
use super::{Db, DbError, DbResult, ExpressionMethods, OptionalExtension, QueryDsl, RunQueryDsl};
use super::{Insertable, JoinOnDsl, Queryable, Selectable, SelectableHelper};
use crate::db::artists::Artist;
use crate::with_conn;

/// A person who logs in.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub is_admin: bool,
    pub created_at: NaiveDateTime,
    /// Set while an admin has suspended the account.
    pub suspended_at: Option<NaiveDateTime>,
}

/// A browser session.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: i64,
    pub token_hash: String,
    pub user_id: i64,
    /// The token every form of this session must carry.
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// A one-time link that creates an account.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invites)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct InviteRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub token_hash: String,
    pub is_admin: bool,
    pub artist_id: Option<i64>,
    pub role: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub async fn by_username(db: &Db, username: &str) -> DbResult<Option<UserRow>> {
    with_conn!(db, conn => Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

pub async fn by_id(db: &Db, id: i64) -> DbResult<Option<UserRow>> {
    with_conn!(db, conn => Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

/// Every user, by name.
pub async fn list(db: &Db) -> DbResult<Vec<UserRow>> {
    with_conn!(db, conn => Ok(users::table
        .order(users::username)
        .select(UserRow::as_select())
        .load(conn)
        .await?))
}

pub async fn admin_exists(db: &Db) -> DbResult<bool> {
    with_conn!(db, conn => {
        let n: i64 = users::table
            .filter(users::is_admin.eq(true))
            .count()
            .get_result(conn)
            .await?;
        Ok(n > 0)
    })
}

pub async fn insert(
    db: &Db,
    username: &str,
    password_hash: &str,
    is_admin: bool,
) -> DbResult<UserRow> {
    with_conn!(db, conn => Ok(diesel::insert_into(users::table)
        .values((
            users::username.eq(username),
            users::password_hash.eq(password_hash),
            users::is_admin.eq(is_admin),
            users::created_at.eq(super::now()),
        ))
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await?))
}

/// Replaces a user's password and ends their other sessions.
pub async fn set_password(
    db: &Db,
    user_id: i64,
    password_hash: &str,
    keep_session: Option<i64>,
) -> DbResult<()> {
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            diesel::update(users::table.find(user_id))
                .set(users::password_hash.eq(password_hash))
                .execute(conn)
                .await?;
            diesel::delete(
                sessions::table
                    .filter(sessions::user_id.eq(user_id))
                    .filter(sessions::id.ne(keep_session.unwrap_or(-1))),
            )
            .execute(conn)
            .await?;
            Ok(())
        })
        .await)
}

/// Gives a user a role on an artist, replacing the one they had.
pub async fn set_role(db: &Db, user_id: i64, artist_id: i64, role: &str) -> DbResult<()> {
    with_conn!(db, conn => {
        diesel::insert_into(artist_members::table)
            .values((
                artist_members::user_id.eq(user_id),
                artist_members::artist_id.eq(artist_id),
                artist_members::role.eq(role),
            ))
            .on_conflict((artist_members::user_id, artist_members::artist_id))
            .do_update()
            .set(artist_members::role.eq(role))
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// Takes a user's role on an artist away.
pub async fn remove_role(db: &Db, user_id: i64, artist_id: i64) -> DbResult<bool> {
    with_conn!(db, conn => Ok(diesel::delete(
        artist_members::table
            .filter(artist_members::user_id.eq(user_id))
            .filter(artist_members::artist_id.eq(artist_id)),
    )
    .execute(conn)
    .await?
        > 0))
}

/// A user's role on an artist, if any.
pub async fn role_on(db: &Db, user_id: i64, artist_id: i64) -> DbResult<Option<String>> {
    with_conn!(db, conn => Ok(artist_members::table
        .filter(artist_members::user_id.eq(user_id))
        .filter(artist_members::artist_id.eq(artist_id))
        .select(artist_members::role)
        .get_result(conn)
        .await
        .optional()?))
}

/// The artists a user has a role on, with the role, by username.
pub async fn artists_of(db: &Db, user_id: i64) -> DbResult<Vec<(Artist, String)>> {
    with_conn!(db, conn => Ok(artist_members::table
        .inner_join(artists::table.on(artists::id.eq(artist_members::artist_id)))
        .filter(artist_members::user_id.eq(user_id))
        .order(artists::username)
        .select((Artist::as_select(), artist_members::role))
        .load(conn)
        .await?))
}

/// Every role on every artist: (user id, artist username, role).
pub async fn all_roles(db: &Db) -> DbResult<Vec<(i64, String, String)>> {
    with_conn!(db, conn => Ok(artist_members::table
        .inner_join(artists::table.on(artists::id.eq(artist_members::artist_id)))
        .order((artist_members::user_id, artists::username))
        .select((artist_members::user_id, artists::username, artist_members::role))
        .load(conn)
        .await?))
}

pub async fn insert_session(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    csrf_token: &str,
    expires_at: NaiveDateTime,
) -> DbResult<()> {
    with_conn!(db, conn => {
        diesel::insert_into(sessions::table)
            .values((
                sessions::token_hash.eq(token_hash),
                sessions::user_id.eq(user_id),
                sessions::csrf_token.eq(csrf_token),
                sessions::created_at.eq(super::now()),
                sessions::expires_at.eq(expires_at),
            ))
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// The live session with this token hash and its user.
pub async fn session(
    db: &Db,
    token_hash: &str,
    now: NaiveDateTime,
) -> DbResult<Option<(SessionRow, UserRow)>> {
    with_conn!(db, conn => Ok(sessions::table
        .inner_join(users::table.on(users::id.eq(sessions::user_id)))
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now))
        .filter(users::suspended_at.is_null())
        .select((SessionRow::as_select(), UserRow::as_select()))
        .get_result(conn)
        .await
        .optional()?))
}

pub async fn delete_session(db: &Db, token_hash: &str) -> DbResult<()> {
    with_conn!(db, conn => {
        diesel::delete(sessions::table.filter(sessions::token_hash.eq(token_hash)))
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// Failed log-ins kept at most this long (far beyond any log-in window).
const LOGIN_FAILURES_KEPT: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// Records a failed log-in for `key_hash` (see `http::web::limiter`).
pub async fn insert_login_failure(db: &Db, key_hash: &str, at: NaiveDateTime) -> DbResult<()> {
    with_conn!(db, conn => {
        diesel::insert_into(login_failures::table)
            .values((login_failures::key_hash.eq(key_hash), login_failures::failed_at.eq(at)))
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// How many log-ins failed for `key_hash` after `since`.
pub async fn login_failures_since(db: &Db, key_hash: &str, since: NaiveDateTime) -> DbResult<i64> {
    with_conn!(db, conn => Ok(login_failures::table
        .filter(login_failures::key_hash.eq(key_hash))
        .filter(login_failures::failed_at.gt(since))
        .count()
        .get_result(conn)
        .await?))
}

/// Forgets the failed log-ins of `key_hash` (after a successful one).
pub async fn clear_login_failures(db: &Db, key_hash: &str) -> DbResult<()> {
    with_conn!(db, conn => {
        diesel::delete(login_failures::table.filter(login_failures::key_hash.eq(key_hash)))
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// Removes expired sessions and invites, and old failed log-ins.
pub async fn prune(db: &Db, now: NaiveDateTime) -> DbResult<()> {
    with_conn!(db, conn => {
        diesel::delete(login_failures::table.filter(login_failures::failed_at.le(now - LOGIN_FAILURES_KEPT)))
            .execute(conn)
            .await?;
        diesel::delete(sessions::table.filter(sessions::expires_at.le(now)))
            .execute(conn)
            .await?;
        diesel::delete(invites::table.filter(invites::expires_at.le(now)))
            .execute(conn)
            .await?;
        Ok(())
    })
}

pub async fn insert_invite(db: &Db, invite: &InviteRow) -> DbResult<()> {
    with_conn!(db, conn => {
        diesel::insert_into(invites::table)
            .values(invite)
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// An unused, unexpired invite.
pub async fn open_invite(
    db: &Db,
    token_hash: &str,
    now: NaiveDateTime,
) -> DbResult<Option<InviteRow>> {
    with_conn!(db, conn => Ok(invites::table
        .filter(invites::token_hash.eq(token_hash))
        .filter(invites::used_at.is_null())
        .filter(invites::expires_at.gt(now))
        .select(InviteRow::as_select())
        .get_result(conn)
        .await
        .optional()?))
}

/// Uses an invite: marks it used and creates the user (with the invite's role), in one
/// transaction. `None` when the invite was used or expired meanwhile.
pub async fn redeem_invite(
    db: &Db,
    invite: &InviteRow,
    username: &str,
    password_hash: &str,
    now: NaiveDateTime,
) -> DbResult<Option<UserRow>> {
    with_conn!(db, conn => conn
        .transaction::<_, DbError, _>(async move |conn| {
            // The guarded update makes a link usable once, even under concurrent use.
            let taken = diesel::update(
                invites::table
                    .find(invite.id)
                    .filter(invites::used_at.is_null())
                    .filter(invites::expires_at.gt(now)),
            )
            .set(invites::used_at.eq(Some(now)))
            .execute(conn)
            .await?;
            if taken == 0 {
                return Ok(None);
            }
            let user: UserRow = diesel::insert_into(users::table)
                .values((
                    users::username.eq(username),
                    users::password_hash.eq(password_hash),
                    users::is_admin.eq(invite.is_admin),
                    users::created_at.eq(now),
                ))
                .returning(UserRow::as_returning())
                .get_result(conn)
                .await?;
            if let (Some(artist_id), Some(role)) = (invite.artist_id, &invite.role) {
                diesel::insert_into(artist_members::table)
                    .values((
                        artist_members::user_id.eq(user.id),
                        artist_members::artist_id.eq(artist_id),
                        artist_members::role.eq(role),
                    ))
                    .execute(conn)
                    .await?;
            }
            Ok(Some(user))
        })
        .await)
}
