//! The log-in rate limit: a few failed attempts per client address and user name in a window.
//! Failures are stored in the database (`login_failures`, keyed by a SHA-256 of address and
//! name), so every `serve` process sharing it counts the same attempts: a guesser gains nothing
//! from a round-robin proxy. (A general per-address limiter is a separate concern.)

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::db::{self, Db, DbResult};

/// Counts failed log-ins per (address, user name).
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> LoginLimiter {
        LoginLimiter {
            max_failures,
            window,
        }
    }

    fn key(address: &str, username: &str) -> String {
        let key = format!("{address}\u{0}{}", username.trim().to_lowercase());
        hex::encode(Sha256::digest(key.as_bytes()))
    }

    /// Whether another attempt is allowed now.
    pub async fn allowed(&self, db: &Db, address: &str, username: &str) -> DbResult<bool> {
        let window = chrono::TimeDelta::from_std(self.window).unwrap_or(chrono::TimeDelta::MAX);
        let since = db::now()
            .checked_sub_signed(window)
            .unwrap_or(chrono::NaiveDateTime::MIN);
        let failures =
            db::users::login_failures_since(db, &Self::key(address, username), since).await?;
        Ok(failures < i64::from(self.max_failures))
    }

    /// Records a failed attempt.
    pub async fn failed(&self, db: &Db, address: &str, username: &str) -> DbResult<()> {
        db::users::insert_login_failure(db, &Self::key(address, username), db::now()).await
    }

    /// A successful log-in clears the count.
    pub async fn succeeded(&self, db: &Db, address: &str, username: &str) -> DbResult<()> {
        db::users::clear_login_failures(db, &Self::key(address, username)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_keep_nothing_in_clear() {
        let key = LoginLimiter::key("1.2.3.4", " Ann ");
        assert_eq!(key, LoginLimiter::key("1.2.3.4", "ann"));
        assert_ne!(key, LoginLimiter::key("1.2.3.5", "ann"));
        assert_ne!(key, LoginLimiter::key("1.2.3.4", "bob"));
        assert_eq!(key.len(), 64);
        assert!(!key.contains("ann"));
    }
}
