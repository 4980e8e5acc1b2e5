//! Accounts of the web interface: users with argon2 passwords, their roles on artists, browser
//! sessions, and the one-time links (first-run set-up, invites) that create accounts.

use std::time::Duration;

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

use super::DomainError;
use crate::db::{
    self,
    artists::Artist,
    users::{InviteRow, SessionRow, UserRow},
    Db,
};

/// What a user may do for an artist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Posts, releases, shows and followers.
    Editor,
    /// Also the profile and API tokens.
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "editor" => Some(Role::Editor),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (hashing cost is bounded).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// How long an invite link stays valid.
pub const INVITE_LIFETIME: Duration = Duration::from_secs(7 * 86400);
/// How long the first-run set-up link stays valid.
pub const SETUP_LIFETIME: Duration = Duration::from_secs(86400);

/// Checks a new user name: the same rules as artist usernames.
pub fn check_username(raw: &str) -> Result<String, DomainError> {
    super::artists::Username::parse(raw.trim())
        .map(|u| u.as_str().to_owned())
        .map_err(|_| {
            DomainError::Invalid("user name must be 1-30 characters of a-z, 0-9 and _".to_owned())
        })
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<(), DomainError> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(DomainError::Invalid(format!(
            "password must be {MIN_PASSWORD_CHARS}-{MAX_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// Hashes a password with argon2id (default parameters), off the async workers.
pub async fn hash_password(password: &str) -> Result<String, DomainError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut salt_bytes = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut salt_bytes);
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| DomainError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| DomainError::Internal(e.to_string()))?
}

/// Whether `password` matches the stored hash, off the async workers.
async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A random token as hex (32 bytes).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    hex::encode(bytes)
}

/// The stored form of a session or invite token.
fn token_hash(token: &str) -> String {
    super::artists::token_hash(token)
}

fn after(d: Duration) -> chrono::NaiveDateTime {
    db::now() + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(1))
}

/// Creates a user directly (the `roadie admin user create` command).
pub async fn create_user(
    db: &Db,
    username: &str,
    password: &str,
    is_admin: bool,
) -> Result<UserRow, DomainError> {
    let username = check_username(username)?;
    check_password(password)?;
    let hash = hash_password(password).await?;
    match db::users::insert(db, &username, &hash, is_admin).await {
        Err(e) if e.is_unique_violation() => Err(DomainError::Conflict(format!(
            "user name {username} is taken"
        ))),
        other => Ok(other?),
    }
}

/// The user whose name and password these are. Unknown names cost a hash too, so timing does
/// not tell which names exist.
pub async fn authenticate(
    db: &Db,
    username: &str,
    password: &str,
) -> Result<Option<UserRow>, DomainError> {
    let user = db::users::by_username(db, username.trim()).await?;
    let hash = match &user {
        Some(u) => u.password_hash.clone(),
        None => {
            // A valid hash of nothing useful; verification fails after the same work.
            hash_password("not a password of anyone").await?
        }
    };
    let ok = verify_password(password, &hash).await;
    Ok(user.filter(|_| ok))
}

/// A new session for `user`: returns the cookie value (stored only hashed).
pub async fn start_session(
    db: &Db,
    user: &UserRow,
    lifetime: Duration,
) -> Result<String, DomainError> {
    let token = random_token();
    db::users::insert_session(
        db,
        &token_hash(&token),
        user.id,
        &random_token(),
        after(lifetime),
    )
    .await?;
    Ok(token)
}

/// The live session a cookie value names, with its user.
pub async fn session(db: &Db, token: &str) -> Result<Option<(SessionRow, UserRow)>, DomainError> {
    Ok(db::users::session(db, &token_hash(token), db::now()).await?)
}

pub async fn end_session(db: &Db, token: &str) -> Result<(), DomainError> {
    Ok(db::users::delete_session(db, &token_hash(token)).await?)
}

/// Changes a password after checking the current one; the user's other sessions end.
pub async fn change_password(
    db: &Db,
    user: &UserRow,
    session: &SessionRow,
    current: &str,
    new: &str,
) -> Result<(), DomainError> {
    if !verify_password(current, &user.password_hash).await {
        return Err(DomainError::Invalid(
            "current password is not right".to_owned(),
        ));
    }
    check_password(new)?;
    let hash = hash_password(new).await?;
    Ok(db::users::set_password(db, user.id, &hash, Some(session.id)).await?)
}

/// On an instance without an admin, a fresh one-time set-up link token (valid a day); `None`
/// once an admin exists.
pub async fn setup_token(db: &Db) -> Result<Option<String>, DomainError> {
    if db::users::admin_exists(db).await? {
        return Ok(None);
    }
    let token = random_token();
    db::users::insert_invite(
        db,
        &InviteRow {
            id: 0,
            token_hash: token_hash(&token),
            is_admin: true,
            artist_id: None,
            role: None,
            created_by: None,
            created_at: db::now(),
            expires_at: after(SETUP_LIFETIME),
            used_at: None,
        },
    )
    .await?;
    Ok(Some(token))
}

/// An admin invites someone, optionally with a role on an artist; returns the link token.
pub async fn invite(
    db: &Db,
    by: &UserRow,
    artist: Option<(&Artist, Role)>,
) -> Result<String, DomainError> {
    if !by.is_admin {
        return Err(DomainError::Forbidden("only admins invite".to_owned()));
    }
    if !super::instance::invites_open(db).await? {
        return Err(DomainError::Conflict(
            "registrations are closed: open them in the instance settings to invite people"
                .to_owned(),
        ));
    }
    let token = random_token();
    db::users::insert_invite(
        db,
        &InviteRow {
            id: 0,
            token_hash: token_hash(&token),
            is_admin: false,
            artist_id: artist.map(|(a, _)| a.id),
            role: artist.map(|(_, r)| r.as_str().to_owned()),
            created_by: Some(by.id),
            created_at: db::now(),
            expires_at: after(INVITE_LIFETIME),
            used_at: None,
        },
    )
    .await?;
    Ok(token)
}

/// The open invite (or set-up link) a token names.
pub async fn open_invite(db: &Db, token: &str) -> Result<InviteRow, DomainError> {
    let invite = db::users::open_invite(db, &token_hash(token), db::now())
        .await?
        .ok_or(DomainError::NotFound("invite"))?;
    // A set-up link is void once an admin exists, however that happened.
    if invite.is_admin && db::users::admin_exists(db).await? {
        return Err(DomainError::Gone("this set-up link was already used"));
    }
    // Invites stop working while the admin has closed registrations.
    if !invite.is_admin && !super::instance::invites_open(db).await? {
        return Err(DomainError::Gone(
            "registrations on this instance are closed",
        ));
    }
    Ok(invite)
}

/// Creates the account an invite offers; the invite is used up.
pub async fn accept_invite(
    db: &Db,
    token: &str,
    username: &str,
    password: &str,
) -> Result<UserRow, DomainError> {
    let invite = open_invite(db, token).await?;
    let username = check_username(username)?;
    check_password(password)?;
    if db::users::by_username(db, &username).await?.is_some() {
        return Err(DomainError::Conflict(format!(
            "user name {username} is taken"
        )));
    }
    let hash = hash_password(password).await?;
    match db::users::redeem_invite(db, &invite, &username, &hash, db::now()).await {
        Err(e) if e.is_unique_violation() => Err(DomainError::Conflict(format!(
            "user name {username} is taken"
        ))),
        Ok(None) => Err(DomainError::Gone("this link was already used")),
        Ok(Some(user)) => Ok(user),
        Err(e) => Err(e.into()),
    }
}

/// What a user may do for one artist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// The user's own role; admins without one act as owners.
    pub role: Role,
}

impl Access {
    /// Refuses unless the user is an owner (or an admin).
    pub fn require_owner(self) -> Result<(), DomainError> {
        if self.role == Role::Owner {
            Ok(())
        } else {
            Err(DomainError::Forbidden(
                "only the artist's owners can do this".to_owned(),
            ))
        }
    }
}

/// The artist `username` and what `user` may do for it. Someone with no role on it is refused
/// as if it did not exist, so a dashboard URL tells nothing.
pub async fn artist_access(
    db: &Db,
    user: &UserRow,
    username: &str,
) -> Result<(Artist, Access), DomainError> {
    let artist = db::artists::by_username(db, username)
        .await?
        .ok_or(DomainError::NotFound("artist"))?;
    let role = db::users::role_on(db, user.id, artist.id)
        .await?
        .and_then(|r| Role::parse(&r));
    match (role, user.is_admin) {
        (Some(role), _) => Ok((artist, Access { role })),
        (None, true) => Ok((artist, Access { role: Role::Owner })),
        (None, false) => Err(DomainError::NotFound("artist")),
    }
}

/// An admin gives a user a role on an artist (or takes it away with `None`).
pub async fn assign_role(
    db: &Db,
    by: &UserRow,
    user_id: i64,
    artist: &Artist,
    role: Option<Role>,
) -> Result<(), DomainError> {
    if !by.is_admin {
        return Err(DomainError::Forbidden(
            "only admins assign roles".to_owned(),
        ));
    }
    db::users::by_id(db, user_id)
        .await?
        .ok_or(DomainError::NotFound("user"))?;
    match role {
        Some(role) => db::users::set_role(db, user_id, artist.id, role.as_str()).await?,
        None => {
            db::users::remove_role(db, user_id, artist.id).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash).await);
        assert!(!verify_password("wrong horse battery", &hash).await);
        assert!(!verify_password("x", "not a hash").await);
    }

    #[test]
    fn roles_and_passwords_are_checked() {
        assert_eq!(Role::parse("owner"), Some(Role::Owner));
        assert_eq!(Role::parse("admin"), None);
        assert!(check_password("short").is_err());
        assert!(check_password("long enough!").is_ok());
        assert!(check_username("Bad Name").is_err());
    }
}
