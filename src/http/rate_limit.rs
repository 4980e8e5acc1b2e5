//! Rate limits per client IP (IPv6 per /64) on the inboxes, WebFinger, public pages and log-in:
//! over the limit is 429 with `Retry-After`. The buckets live in this process: behind several
//! Roadie processes each keeps its own, so the effective limit is the sum.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    num::NonZeroU32,
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{
    clock::{Clock, DefaultClock},
    state::keyed::DefaultKeyedStateStore,
    Quota, RateLimiter,
};

use super::{error::AppError, negotiation::wants_activitypub};
use crate::config::Config;

/// What a request is counted against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Inbox,
    WebFinger,
    Pages,
    /// For the log-in form still to come: its handler calls [`RateLimits::check`].
    Login,
}

type Keyed = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// The limiters of one process, one per bucket (`None`: that limit is off).
pub struct RateLimits {
    inbox: Option<Keyed>,
    webfinger: Option<Keyed>,
    pages: Option<Keyed>,
    login: Option<Keyed>,
    trusted_proxies: Vec<ipnet::IpNet>,
}

/// Forgotten clients are dropped from a bucket once it holds this many keys.
const PRUNE_AT_KEYS: usize = 10_000;

impl RateLimits {
    pub fn new(config: &Config) -> RateLimits {
        let make = |per_minute: u32| {
            NonZeroU32::new(per_minute).map(|n| Keyed::keyed(Quota::per_minute(n)))
        };
        let l = &config.limits;
        RateLimits {
            inbox: make(l.rate_inbox_per_minute),
            webfinger: make(l.rate_webfinger_per_minute),
            pages: make(l.rate_pages_per_minute),
            login: make(l.rate_login_per_minute),
            trusted_proxies: config.network.trusted_proxies.clone(),
        }
    }

    /// Counts one request of `client` (already the key: see [`client_key`]) against `bucket`.
    pub fn check(&self, bucket: Bucket, client: IpAddr) -> Result<(), AppError> {
        let limiter = match bucket {
            Bucket::Inbox => &self.inbox,
            Bucket::WebFinger => &self.webfinger,
            Bucket::Pages => &self.pages,
            Bucket::Login => &self.login,
        };
        let Some(limiter) = limiter else {
            return Ok(());
        };
        if limiter.len() > PRUNE_AT_KEYS {
            limiter.retain_recent();
        }
        limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::TooManyRequests {
                // Whole seconds, rounded up, never 0 (a client must wait, not retry at once).
                retry_after_secs: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
            }
        })
    }

    /// The key of the client behind a request from `peer`: see [`client_ip`] and [`client_key`].
    pub fn key_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        client_key(client_ip(peer, headers, &self.trusted_proxies))
    }
}

/// The client's address: the socket's peer, or, when that peer is a trusted proxy, the nearest
/// address in `X-Forwarded-For` (read from the right) that is not a trusted proxy.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in forwarded.iter().rev() {
        // A hop we cannot read ends the chain: trust stops there.
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// The rate-limit key of an address: IPv4 as is, IPv6 by its /64 (one customer's network; a
/// single host can use all of it).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// Which bucket a request counts against, if any. ActivityPub documents, the API, media,
/// metrics and health checks are not limited here.
pub fn classify(method: &Method, path: &str, headers: &HeaderMap) -> Option<Bucket> {
    if method == Method::POST {
        if path == "/inbox" || (path.starts_with("/users/") && path.ends_with("/inbox")) {
            return Some(Bucket::Inbox);
        }
        if path == "/login" {
            return Some(Bucket::Login);
        }
        // Public forms (the show-alert request, which sends a direct message) count as pages.
        let form = !path.starts_with("/api/") && path.ends_with("/alerts");
        return form.then_some(Bucket::Pages);
    }
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    if path == "/.well-known/webfinger" {
        return Some(Bucket::WebFinger);
    }
    let not_a_page = [
        "/api/",
        "/media/",
        "/.well-known/",
        "/nodeinfo/",
        "/metrics",
        "/actor",
        "/health/",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix));
    (!not_a_page && !wants_activitypub(headers)).then_some(Bucket::Pages)
}

/// The middleware: counts the request against its bucket, or answers 429.
pub async fn limit(
    State(limits): State<Arc<RateLimits>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(bucket) = classify(request.method(), request.uri().path(), request.headers()) else {
        return next.run(request).await;
    };
    // Without a socket address (the router called in-process) all such requests share a key.
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let key = limits.key_of(peer, request.headers());
    match limits.check(bucket, key) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            tracing::info!(client = %key, ?bucket, "rate limited");
            refusal.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_clients_are_grouped_per_64() {
        assert_eq!(client_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            client_key(ip("2001:db8:1:2:ffff:1:2:3")),
            client_key(ip("2001:db8:1:2::99"))
        );
        assert_ne!(
            client_key(ip("2001:db8:1:2::1")),
            client_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(client_key(ip("192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(client_key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
    }

    #[test]
    fn one_prefix_shares_a_bucket_and_others_are_unaffected() {
        let mut config = crate::config::Config::from_sources(None, &Default::default()).unwrap();
        config.limits.rate_pages_per_minute = 2;
        let limits = RateLimits::new(&config);
        let headers = HeaderMap::new();
        let a1 = limits.key_of(ip("2001:db8:0:1::1"), &headers);
        let a2 = limits.key_of(ip("2001:db8:0:1:8000::2"), &headers);
        let b = limits.key_of(ip("2001:db8:0:2::1"), &headers);
        assert!(limits.check(Bucket::Pages, a1).is_ok());
        assert!(limits.check(Bucket::Pages, a2).is_ok());
        let refused = limits.check(Bucket::Pages, a1).unwrap_err();
        assert!(
            matches!(refused, AppError::TooManyRequests { retry_after_secs } if retry_after_secs >= 1)
        );
        assert!(
            limits.check(Bucket::Pages, b).is_ok(),
            "another /64 has its own bucket"
        );
        assert!(
            limits.check(Bucket::WebFinger, a1).is_ok(),
            "buckets are separate"
        );
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let mut headers = HeaderMap::new();
        headers.append(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.1".parse().unwrap(),
        );
        headers.append("x-forwarded-for", "10.1.1.1".parse().unwrap());
        // Untrusted peer: its own address, whatever it claims.
        assert_eq!(
            client_ip(ip("192.0.2.1"), &headers, &trusted),
            ip("192.0.2.1")
        );
        // Trusted peer: the nearest untrusted hop, not the spoofable leftmost one.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &headers, &trusted),
            ip("198.51.100.1")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
        // Garbage stops the walk at the last readable hop.
        let mut bad = HeaderMap::new();
        bad.append("x-forwarded-for", "nonsense, 10.2.2.2".parse().unwrap());
        assert_eq!(client_ip(ip("10.0.0.2"), &bad, &trusted), ip("10.2.2.2"));
    }

    #[test]
    fn requests_are_classified() {
        let html = HeaderMap::new();
        let mut ap = HeaderMap::new();
        ap.insert("accept", "application/activity+json".parse().unwrap());
        assert_eq!(
            classify(&Method::POST, "/inbox", &html),
            Some(Bucket::Inbox)
        );
        assert_eq!(
            classify(&Method::POST, "/users/band/inbox", &html),
            Some(Bucket::Inbox)
        );
        assert_eq!(classify(&Method::POST, "/api/v1/posts", &html), None);
        assert_eq!(
            classify(&Method::POST, "/@band/alerts", &html),
            Some(Bucket::Pages)
        );
        assert_eq!(classify(&Method::POST, "/api/v1/alerts", &html), None);
        assert_eq!(
            classify(&Method::GET, "/.well-known/webfinger", &html),
            Some(Bucket::WebFinger)
        );
        assert_eq!(classify(&Method::GET, "/@band", &html), Some(Bucket::Pages));
        assert_eq!(classify(&Method::GET, "/users/band", &ap), None);
        assert_eq!(classify(&Method::GET, "/api/v1/profile", &html), None);
        assert_eq!(classify(&Method::GET, "/media/x.png", &html), None);
    }
}
