//! When to try a failed delivery again.

use std::time::{Duration, SystemTime};

use rand::Rng;

/// Longest wait a `Retry-After` may impose.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Delay before the attempt after attempt `attempt` (1-based), after Mastodon's schedule:
/// `attempt⁴ + 15 + rand(30)·(attempt + 1)` units. With one-second units, 16 attempts span about
/// two and a half days.
pub fn retry_delay(attempt: i32, unit: Duration) -> Duration {
    let n = attempt.max(1) as u32;
    let jitter = rand::thread_rng().gen_range(0..30u32) * (n + 1);
    unit * (n.pow(4) + 15 + jitter)
}

/// The wait a `Retry-After` header asks for: seconds, or an HTTP date. Capped at a day.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(now)
            .unwrap_or_default(),
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_grows_like_mastodons() {
        let s = Duration::from_secs(1);
        let first = retry_delay(1, s);
        assert!(
            first >= Duration::from_secs(16) && first < Duration::from_secs(16 + 60),
            "{first:?}"
        );
        let last = retry_delay(15, s);
        assert!(last >= Duration::from_secs(15u64.pow(4) + 15), "{last:?}");
        let total: Duration = (1..16).map(|a| retry_delay(a, s)).sum();
        assert!(
            total > Duration::from_secs(2 * 86400) && total < Duration::from_secs(3 * 86400),
            "{total:?}"
        );
    }

    #[test]
    fn retry_after_in_seconds_or_as_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("999999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
