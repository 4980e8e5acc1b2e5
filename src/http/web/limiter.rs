//! The log-in rate limit: a few failed attempts per client address and user name in a window,
//! kept in this process's memory. (A general per-address limiter is a separate concern.)

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Keys remembered at most; past that, expired ones are dropped, then the oldest.
const MAX_KEYS: usize = 10_000;

/// Counts failed log-ins per (address, user name).
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> LoginLimiter {
        LoginLimiter {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn key(address: &str, username: &str) -> String {
        format!("{address}\u{0}{}", username.trim().to_lowercase())
    }

    /// Whether another attempt is allowed now.
    pub fn allowed(&self, address: &str, username: &str) -> bool {
        let now = Instant::now();
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&Self::key(address, username)) {
            Some((n, since)) => *n < self.max_failures || now.duration_since(*since) >= self.window,
            None => true,
        }
    }

    /// Records a failed attempt.
    pub fn failed(&self, address: &str, username: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            let window = self.window;
            map.retain(|_, (_, since)| now.duration_since(*since) < window);
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        let entry = map.entry(Self::key(address, username)).or_insert((0, now));
        if now.duration_since(entry.1) >= self.window {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    /// A successful log-in clears the count.
    pub fn succeeded(&self, address: &str, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&Self::key(address, username));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_per_address_and_name() {
        let l = LoginLimiter::new(2, Duration::from_secs(60));
        assert!(l.allowed("1.2.3.4", "ann"));
        l.failed("1.2.3.4", "ann");
        l.failed("1.2.3.4", "Ann");
        assert!(!l.allowed("1.2.3.4", "ann"));
        assert!(l.allowed("1.2.3.5", "ann"));
        assert!(l.allowed("1.2.3.4", "bob"));
        l.succeeded("1.2.3.4", "ann");
        assert!(l.allowed("1.2.3.4", "ann"));
    }

    #[test]
    fn the_window_passes() {
        let l = LoginLimiter::new(1, Duration::ZERO);
        l.failed("a", "b");
        assert!(l.allowed("a", "b"));
    }
}
