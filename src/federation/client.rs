//! The one HTTP client for every outgoing request, with the SSRF guard: destinations on
//! loopback, private, link-local, CGNAT or mapped addresses are refused unless the admin set
//! `ROADIE_DANGER_ALLOW_PRIVATE_NETWORK` (local testing only). Host names are checked by the DNS
//! resolver at connect time; IP literals by [`check_destination`].

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    sync::Arc,
    time::Duration,
};

use activitypub_federation::resolver::ValidatingDnsResolver;
use url::{Host, Url};

/// Builds the shared client: no automatic redirects (fetches follow one by hand, after checks),
/// timeouts, a `User-Agent` (GoToSocial refuses requests without one), the validating resolver.
pub fn build(
    base_url: &url::Url,
    timeout: Duration,
    allow_private_network: bool,
) -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(format!(
            "Roadie/{} (+{base_url})",
            env!("CARGO_PKG_VERSION")
        ))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .dns_resolver(Arc::new(ValidatingDnsResolver::new(
            Vec::new(),
            !allow_private_network,
        )))
        .build()
        .expect("the HTTP client configuration is static and valid")
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
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (seg[0] & 0xfe00) == 0xfc00 // unique local
        || (seg[0] & 0xffc0) == 0xfe80 // link local
        || (seg[0] == 0x64 && seg[1] == 0xff9b) // NAT64
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
    }
}
