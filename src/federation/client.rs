//! The one HTTP client for every outgoing request, with the SSRF guard: destinations on
//! loopback, private, link-local, CGNAT, mapped or NAT64-wrapped private addresses are refused
//! unless the admin set `ROADIE_DANGER_ALLOW_PRIVATE_NETWORK` (local testing only). Host names
//! are checked by [`GuardedResolver`] at connect time (after resolving, so DNS rebinding cannot
//! slip past a check made earlier); IP literals by [`check_destination`], which [`LiteralGuard`]
//! runs on every request the federation library makes.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use crate::config::{Config, DnsOverrides};

/// Builds the shared client: no automatic redirects (fetches follow one by hand, after checks),
/// a total deadline per request (`request_timeout`, which also cuts off a server that drips its
/// answer), a `User-Agent` (GoToSocial refuses requests without one), the guarded resolver.
pub fn build(base_url: &url::Url, config: &Config) -> reqwest::Client {
    let timeout = config.limits.request_timeout;
    reqwest::Client::builder()
        .user_agent(format!(
            "Roadie/{} (+{base_url})",
            env!("CARGO_PKG_VERSION")
        ))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private_network: config.allow_private_network,
            overrides: Arc::new(config.network.dns_overrides.clone()),
        }))
        .build()
        .expect("the HTTP client configuration is static and valid")
}

/// Resolves host names, then refuses the answer if any address is not public (unless private
/// networks are allowed). Test set-ups may give fixed answers ([`DnsOverrides`]); nothing else
/// bypasses the check, which is why reqwest's own `resolve()` overrides are never used.
pub struct GuardedResolver {
    allow_private_network: bool,
    overrides: Arc<DnsOverrides>,
}

/// A host name resolved to an address Roadie must not connect to.
#[derive(Debug, thiserror::Error)]
#[error("refusing {host}: it resolves to the non-public address {ip}")]
pub struct PrivateAddress {
    pub host: String,
    pub ip: IpAddr,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        let fixed = self.overrides.get(&host).cloned();
        let allow_private = self.allow_private_network;
        Box::pin(async move {
            let (addrs, vetted): (Vec<SocketAddr>, bool) = match fixed {
                Some(answer) => (
                    answer
                        .addrs
                        .iter()
                        .map(|ip| SocketAddr::new(*ip, 0))
                        .collect(),
                    answer.vetted,
                ),
                // The port is replaced by the connector; 0 is a placeholder.
                None => (
                    tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
                    false,
                ),
            };
            if !allow_private && !vetted {
                if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                    tracing::info!(%host, ip = %bad.ip(), "refused a connection to a private address");
                    return Err(Box::new(PrivateAddress { host, ip: bad.ip() })
                        as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Runs [`check_destination`] on every request of the federation library's client (first
/// request and redirect alike), since IP literals never reach the resolver.
pub struct LiteralGuard {
    pub allow_private_network: bool,
}

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for LiteralGuard {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut axum::http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        check_destination(req.url(), self.allow_private_network)
            .map_err(|e| reqwest_middleware::Error::Middleware(anyhow::anyhow!(e)))?;
        next.run(req, extensions).await
    }
}

/// Refuses URLs that are not http(s) or whose host is an IP literal in a non-public range.
pub fn check_destination(url: &Url, allow_private_network: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("refusing {} URL", url.scheme()));
    }
    if allow_private_network {
        return Ok(());
    }
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                return Err(format!("refusing private destination {d}"));
            }
            return Ok(());
        }
        None => return Err("URL has no host".to_owned()),
    };
    if is_public(ip) {
        Ok(())
    } else {
        Err(format!("refusing private destination {ip}"))
    }
}

/// True for addresses on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            is_public_v6(v6)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // CGNAT
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address: judge that one, so IPv6-only hosts behind
    // DNS64 still reach public servers but never a wrapped loopback or private address.
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = seg[6].to_be_bytes();
        let [c, d] = seg[7].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || seg[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible (deprecated)
        || (seg[0] & 0xfe00) == 0xfc00 // unique local
        || (seg[0] & 0xffc0) == 0xfe80 // link local
        || (seg[0] == 0x64 && seg[1] == 0xff9b) // local-use NAT64 and the rest of its /32
        || seg[0] == 0x2002 // 6to4, wraps any IPv4 address
        || (seg[0] == 0x2001 && seg[1] == 0xdb8)) // documentation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_literals_are_refused() {
        for bad in [
            "http://127.0.0.1/inbox",
            "http://10.1.2.3/",
            "http://192.168.1.1/",
            "http://169.254.169.254/",
            "http://100.64.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00::1]/",
            "http://[64:ff9b::7f00:1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[::7f00:1]/",
            "http://[2002:7f00:1::]/",
            "http://[fe80::1]/",
            "http://100.127.255.254/",
            "http://0.0.0.0/",
            "http://localhost:8080/",
            "ftp://example.com/",
        ] {
            let url = Url::parse(bad).unwrap();
            assert!(check_destination(&url, false).is_err(), "{bad}");
        }
        assert!(check_destination(&Url::parse("https://93.184.216.34/").unwrap(), false).is_ok());
        assert!(
            check_destination(&Url::parse("https://mastodon.example/").unwrap(), false).is_ok()
        );
        assert!(check_destination(&Url::parse("http://127.0.0.1/").unwrap(), true).is_ok());
        // NAT64 of a public address stays reachable.
        assert!(
            check_destination(&Url::parse("https://[64:ff9b::5db8:d822]/").unwrap(), false).is_ok()
        );
    }
}
