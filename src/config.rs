//! Typed configuration, read once at start-up from an optional TOML file and the environment
//! (environment wins) and validated before anything else runs.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

use serde::Deserialize;
use url::Url;

/// Scheme used in every URL Roadie generates for itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Https,
    /// Plain HTTP, for local testing only.
    Http,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Https => "https",
            Protocol::Http => "http",
        }
    }
}

/// Which remote servers Roadie federates with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FederationMode {
    /// Every server except blocked domains (the default).
    #[default]
    Open,
    /// Only domains on the allowlist (`/api/v1/admin/domain_allows`), and never blocked ones.
    Allowlist,
}

/// The validated configuration of one Roadie process.
#[derive(Clone, Debug)]
pub struct Config {
    /// Public host name (with port when not the default) that every local URL uses.
    pub domain: String,
    pub bind: SocketAddr,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub protocol: Protocol,
    /// Allows outgoing requests to loopback and private addresses. Local testing only.
    pub allow_private_network: bool,
    /// Serve ActivityPub documents only to signed requests ("authorized fetch", Mastodon's
    /// secure mode). Browsers still get HTML; discovery and the instance actor stay open.
    pub authorized_fetch: bool,
    /// Open federation, or only with allowed domains (`ROADIE_FEDERATION_MODE`).
    pub federation_mode: FederationMode,
    /// Limits that tests may shrink; every delay and bound lives here, not in statics.
    pub limits: Limits,
    /// Who the clients are (trusted proxies) and, in tests, how names resolve.
    pub network: Network,
    /// Where uploaded media are kept and the URLs they are published under.
    pub media: MediaConfig,
}

/// Media storage and URLs (`ROADIE_MEDIA_STORAGE`, `ROADIE_S3_*`, `ROADIE_MEDIA_BASE_URL`).
#[derive(Clone, Debug, Default)]
pub struct MediaConfig {
    pub storage: MediaStorageConfig,
    /// Media URLs are this URL (ending in `/`) plus the stored file name: a separate media
    /// domain or the bucket's public URL. `None`: Roadie serves them at `/media/{name}`.
    pub base_url: Option<Url>,
}

/// Where media files are kept.
#[derive(Clone, Debug, Default)]
pub enum MediaStorageConfig {
    /// `data_dir/media` (the default).
    #[default]
    Local,
    /// An S3-compatible bucket.
    S3(S3Config),
}

/// An S3-compatible bucket (AWS, MinIO, Garage, …).
#[derive(Clone)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    /// The API endpoint for services other than AWS; `None`: AWS's endpoint for `region`.
    pub endpoint: Option<Url>,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Path-style requests (`endpoint/bucket/key`) instead of virtual-hosted ones
    /// (`bucket.endpoint/key`).
    pub path_style: bool,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<hidden>")
            .field("path_style", &self.path_style)
            .finish()
    }
}

/// Network settings beyond the listening address.
#[derive(Clone, Debug, Default)]
pub struct Network {
    /// Reverse proxies whose `X-Forwarded-For` is believed when they connect
    /// (`ROADIE_TRUSTED_PROXIES`). Empty: the client is the socket's peer address.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Fixed DNS answers for tests. No variable or file key sets them.
    pub dns_overrides: DnsOverrides,
}

/// Host name → fixed addresses, consulted by the outgoing client's resolver before DNS.
#[derive(Clone, Debug, Default)]
pub struct DnsOverrides(HashMap<String, DnsAnswer>);

/// One fixed DNS answer.
#[derive(Clone, Debug)]
pub struct DnsAnswer {
    pub addrs: Vec<IpAddr>,
    /// Plays a public server: the private-address check is skipped for this name (a test peer
    /// on loopback standing in for a real host). Names without it are checked like real ones.
    pub vetted: bool,
}

impl DnsOverrides {
    /// Answers `host` (lower case, no trailing dot) with `addrs`.
    pub fn insert(&mut self, host: &str, addrs: Vec<IpAddr>, vetted: bool) {
        self.0
            .insert(host.to_ascii_lowercase(), DnsAnswer { addrs, vetted });
    }

    pub fn get(&self, host: &str) -> Option<&DnsAnswer> {
        self.0.get(host)
    }
}

/// Bounds on what Roadie accepts and how long it waits.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body accepted anywhere (inbox, API).
    pub max_body_bytes: usize,
    /// How far in the past a signed `Date` may be.
    pub signature_max_age: Duration,
    /// How far in the future a signed `Date` may be (clock skew).
    pub signature_max_skew: Duration,
    /// Timeout of one outgoing HTTP request.
    pub request_timeout: Duration,
    /// Attempts per delivery before it is given up (Mastodon: 16, over about three days).
    pub delivery_max_attempts: i32,
    /// Unit of the retry schedule: attempt `n` is retried after `n⁴ + 15` units plus jitter.
    pub delivery_retry_unit: Duration,
    /// Deliveries in flight at once, in this process.
    pub delivery_concurrency: usize,
    /// Deliveries in flight at once to one remote host.
    pub delivery_per_host: usize,
    /// How long a claimed delivery stays reserved for its worker (a crashed worker's rows are
    /// claimable again afterwards).
    pub delivery_lease: Duration,
    /// How often idle workers look for due deliveries (new ones wake them at once).
    pub delivery_poll_interval: Duration,
    /// A host failing on this many distinct days is skipped until it talks to us again.
    pub host_unavailable_after_days: i32,
    /// Finished deliveries are kept this long, then pruned.
    pub delivery_keep_finished: Duration,
    /// A delivery still pending after this long is given up.
    pub delivery_give_up_after: Duration,
    /// How often the pruner runs.
    pub prune_interval: Duration,
    /// How often scheduled releases are looked for.
    pub scheduler_interval: Duration,
    /// Largest image upload accepted (`POST /api/v1/media`).
    pub media_max_image_bytes: u64,
    /// Largest audio upload accepted (`POST /api/v1/media`).
    pub media_max_audio_bytes: u64,
    /// After SIGTERM, how long requests under way may take before the server closes them.
    pub shutdown_grace: Duration,
    /// Addresses (`to` + `cc`) of an inbound note that are looked at; the rest are ignored.
    pub max_addressees: usize,
    /// Requests per minute and client IP (IPv6: per /64) to the inboxes; 0 turns it off.
    pub rate_inbox_per_minute: u32,
    /// Requests per minute and client IP to `/.well-known/webfinger`; 0 turns it off.
    pub rate_webfinger_per_minute: u32,
    /// Requests per minute and client IP for public pages (HTML, feeds, calendars); 0: off.
    pub rate_pages_per_minute: u32,
    /// Log-in attempts (`POST /login`) per minute and client IP; 0: off.
    pub rate_login_per_minute: u32,
    /// A suspended artist's `Delete` is sent this long after their `Update`, so that servers
    /// receive them in that order.
    pub suspension_delete_delay: Duration,
    /// How long a process may serve a cached actor or WebFinger document without looking at
    /// the database. Changes made by this process show at once; changes made by another
    /// process (another `roadie serve` on the same PostgreSQL, `roadie admin`) within this time.
    pub document_cache_ttl: Duration,
    /// Failed logins allowed per client address and username within `login_window`.
    pub login_max_failures: u32,
    /// The window of `login_max_failures`.
    pub login_window: Duration,
    /// How long a web session lasts.
    pub session_lifetime: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1024 * 1024,
            signature_max_age: Duration::from_secs(12 * 3600),
            signature_max_skew: Duration::from_secs(3600),
            request_timeout: Duration::from_secs(10),
            delivery_max_attempts: 16,
            delivery_retry_unit: Duration::from_secs(1),
            delivery_concurrency: 64,
            delivery_per_host: 4,
            delivery_lease: Duration::from_secs(300),
            delivery_poll_interval: Duration::from_secs(1),
            host_unavailable_after_days: 7,
            delivery_keep_finished: Duration::from_secs(7 * 86400),
            delivery_give_up_after: Duration::from_secs(7 * 86400),
            prune_interval: Duration::from_secs(3600),
            scheduler_interval: Duration::from_secs(5),
            media_max_image_bytes: 16 * 1024 * 1024,
            media_max_audio_bytes: 50 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(20),
            max_addressees: 100,
            // A big server delivers from a few addresses: the inbox limit is only a brake.
            rate_inbox_per_minute: 6000,
            rate_webfinger_per_minute: 600,
            rate_pages_per_minute: 600,
            rate_login_per_minute: 10,
            suspension_delete_delay: Duration::from_secs(30),
            document_cache_ttl: Duration::from_secs(5),
            login_max_failures: 5,
            login_window: Duration::from_secs(15 * 60),
            session_lifetime: Duration::from_secs(30 * 86400),
        }
    }
}

/// A configuration problem, worded for the admin who has to fix it.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

/// The raw values as they appear in the TOML file (same names as the environment variables,
/// without the `ROADIE_` prefix and in lower case).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    domain: Option<String>,
    bind: Option<String>,
    database_url: Option<String>,
    data_dir: Option<String>,
    protocol: Option<String>,
    danger_allow_private_network: Option<bool>,
    authorized_fetch: Option<bool>,
    /// Comma-separated CIDR list.
    trusted_proxies: Option<String>,
    rate_limit_inbox: Option<u32>,
    rate_limit_webfinger: Option<u32>,
    rate_limit_pages: Option<u32>,
    rate_limit_login: Option<u32>,
    federation_mode: Option<String>,
    media_storage: Option<String>,
    s3_bucket: Option<String>,
    s3_region: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key_id: Option<String>,
    s3_secret_access_key: Option<String>,
    s3_path_style: Option<bool>,
    media_base_url: Option<String>,
}

impl Config {
    /// Loads the configuration from an optional TOML file and the process environment.
    pub fn load(file: Option<&std::path::Path>) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::from_sources(file, &env)
    }

    /// Loads the configuration from an optional TOML file and the given environment map.
    pub fn from_sources(
        file: Option<&std::path::Path>,
        env: &HashMap<String, String>,
    ) -> Result<Config, ConfigError> {
        let mut raw = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError(format!("cannot read config file {}: {e}", path.display()))
                })?;
                toml::from_str::<RawConfig>(&text).map_err(|e| {
                    ConfigError(format!(
                        "config file {}: {}",
                        path.display(),
                        e.message().trim()
                    ))
                })?
            }
            None => RawConfig::default(),
        };
        let var = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
        if let Some(v) = var("ROADIE_DOMAIN") {
            raw.domain = Some(v);
        }
        if let Some(v) = var("ROADIE_BIND") {
            raw.bind = Some(v);
        }
        if let Some(v) = var("ROADIE_DATABASE_URL") {
            raw.database_url = Some(v);
        }
        if let Some(v) = var("ROADIE_DATA_DIR") {
            raw.data_dir = Some(v);
        }
        if let Some(v) = var("ROADIE_PROTOCOL") {
            raw.protocol = Some(v);
        }
        if let Some(v) = var("ROADIE_DANGER_ALLOW_PRIVATE_NETWORK") {
            raw.danger_allow_private_network =
                Some(parse_bool("ROADIE_DANGER_ALLOW_PRIVATE_NETWORK", &v)?);
        }
        if let Some(v) = var("ROADIE_AUTHORIZED_FETCH") {
            raw.authorized_fetch = Some(parse_bool("ROADIE_AUTHORIZED_FETCH", &v)?);
        }
        if let Some(v) = var("ROADIE_TRUSTED_PROXIES") {
            raw.trusted_proxies = Some(v);
        }
        for (name, field) in [
            ("ROADIE_RATE_LIMIT_INBOX", &mut raw.rate_limit_inbox),
            ("ROADIE_RATE_LIMIT_WEBFINGER", &mut raw.rate_limit_webfinger),
            ("ROADIE_RATE_LIMIT_PAGES", &mut raw.rate_limit_pages),
            ("ROADIE_RATE_LIMIT_LOGIN", &mut raw.rate_limit_login),
        ] {
            if let Some(v) = var(name) {
                *field = Some(v.trim().parse().map_err(|_| {
                    ConfigError(format!(
                        "{name} must be a number of requests per minute (0 turns it off), not {v:?}"
                    ))
                })?);
            }
        }
        if let Some(v) = var("ROADIE_FEDERATION_MODE") {
            raw.federation_mode = Some(v);
        }
        for (name, field) in [
            ("ROADIE_MEDIA_STORAGE", &mut raw.media_storage),
            ("ROADIE_S3_BUCKET", &mut raw.s3_bucket),
            ("ROADIE_S3_REGION", &mut raw.s3_region),
            ("ROADIE_S3_ENDPOINT", &mut raw.s3_endpoint),
            ("ROADIE_S3_ACCESS_KEY_ID", &mut raw.s3_access_key_id),
            ("ROADIE_S3_SECRET_ACCESS_KEY", &mut raw.s3_secret_access_key),
            ("ROADIE_MEDIA_BASE_URL", &mut raw.media_base_url),
        ] {
            if let Some(v) = var(name) {
                *field = Some(v);
            }
        }
        if let Some(v) = var("ROADIE_S3_PATH_STYLE") {
            raw.s3_path_style = Some(parse_bool("ROADIE_S3_PATH_STYLE", &v)?);
        }
        raw.validate()
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError(format!(
            "{name} must be true or false, not {value:?}"
        ))),
    }
}

impl RawConfig {
    fn validate(self) -> Result<Config, ConfigError> {
        let media = self.media_config()?;
        let bind_text = self.bind.unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let bind: SocketAddr = bind_text.parse().map_err(|_| {
            ConfigError(format!(
                "ROADIE_BIND must be an address and port such as 127.0.0.1:8080, not {bind_text:?}"
            ))
        })?;

        let protocol = match self.protocol.as_deref().unwrap_or("https") {
            "https" => Protocol::Https,
            "http" => Protocol::Http,
            other => {
                return Err(ConfigError(format!(
                    "ROADIE_PROTOCOL must be https or http, not {other:?}"
                )))
            }
        };

        let domain = match self.domain {
            Some(d) => validate_domain(&d)?,
            // Without a domain only a local test set-up makes sense: use the bind address.
            None => {
                if bind.ip().is_unspecified() {
                    return Err(ConfigError(
                        "ROADIE_DOMAIN must be set when ROADIE_BIND listens on all addresses"
                            .to_owned(),
                    ));
                }
                format!("localhost:{}", bind.port())
            }
        };

        let data_dir = PathBuf::from(self.data_dir.unwrap_or_else(|| "data".to_owned()));
        let database_url = self.database_url.unwrap_or_else(|| {
            format!("sqlite://{}", data_dir.join("roadie.db").to_string_lossy())
        });
        if !(database_url.starts_with("sqlite://")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError(
                "ROADIE_DATABASE_URL must start with sqlite:// or postgres://".to_owned(),
            ));
        }

        let trusted_proxies = match &self.trusted_proxies {
            Some(list) => parse_cidrs(list)?,
            None => Vec::new(),
        };
        let defaults = Limits::default();
        let limits = Limits {
            rate_inbox_per_minute: self
                .rate_limit_inbox
                .unwrap_or(defaults.rate_inbox_per_minute),
            rate_webfinger_per_minute: self
                .rate_limit_webfinger
                .unwrap_or(defaults.rate_webfinger_per_minute),
            rate_pages_per_minute: self
                .rate_limit_pages
                .unwrap_or(defaults.rate_pages_per_minute),
            rate_login_per_minute: self
                .rate_limit_login
                .unwrap_or(defaults.rate_login_per_minute),
            ..defaults
        };
        let federation_mode = match self.federation_mode.as_deref().unwrap_or("open") {
            "open" => FederationMode::Open,
            "allowlist" => FederationMode::Allowlist,
            other => {
                return Err(ConfigError(format!(
                    "ROADIE_FEDERATION_MODE must be open or allowlist, not {other:?}"
                )))
            }
        };

        Ok(Config {
            media,
            federation_mode,
            domain,
            bind,
            database_url,
            data_dir,
            protocol,
            allow_private_network: self.danger_allow_private_network.unwrap_or(false),
            authorized_fetch: self.authorized_fetch.unwrap_or(false),
            limits,
            network: Network {
                trusted_proxies,
                dns_overrides: DnsOverrides::default(),
            },
        })
    }
}

impl RawConfig {
    fn media_config(&self) -> Result<MediaConfig, ConfigError> {
        let s3_vars = [
            ("ROADIE_S3_BUCKET", self.s3_bucket.is_some()),
            ("ROADIE_S3_REGION", self.s3_region.is_some()),
            ("ROADIE_S3_ENDPOINT", self.s3_endpoint.is_some()),
            ("ROADIE_S3_ACCESS_KEY_ID", self.s3_access_key_id.is_some()),
            (
                "ROADIE_S3_SECRET_ACCESS_KEY",
                self.s3_secret_access_key.is_some(),
            ),
            ("ROADIE_S3_PATH_STYLE", self.s3_path_style.is_some()),
        ];
        let storage = match self.media_storage.as_deref().unwrap_or("local") {
            "local" => {
                // Half a bucket configuration that is silently ignored would keep media on
                // the local disk without anyone noticing.
                if let Some((name, _)) = s3_vars.iter().find(|(_, set)| *set) {
                    return Err(ConfigError(format!(
                        "{name} is set but ROADIE_MEDIA_STORAGE is not s3"
                    )));
                }
                MediaStorageConfig::Local
            }
            "s3" => {
                let required = |name: &str, value: &Option<String>| {
                    value
                        .as_deref()
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(str::to_owned)
                        .ok_or_else(|| {
                            ConfigError(format!("{name} must be set when ROADIE_MEDIA_STORAGE=s3"))
                        })
                };
                let endpoint = match &self.s3_endpoint {
                    Some(text) => Some(http_url("ROADIE_S3_ENDPOINT", text)?),
                    None => None,
                };
                MediaStorageConfig::S3(S3Config {
                    bucket: required("ROADIE_S3_BUCKET", &self.s3_bucket)?,
                    region: self
                        .s3_region
                        .clone()
                        .unwrap_or_else(|| "us-east-1".to_owned()),
                    // Self-hosted servers (MinIO, Garage) are usually addressed by path; AWS by
                    // bucket host name.
                    path_style: self.s3_path_style.unwrap_or(endpoint.is_some()),
                    endpoint,
                    access_key_id: required("ROADIE_S3_ACCESS_KEY_ID", &self.s3_access_key_id)?,
                    secret_access_key: required(
                        "ROADIE_S3_SECRET_ACCESS_KEY",
                        &self.s3_secret_access_key,
                    )?,
                })
            }
            other => {
                return Err(ConfigError(format!(
                    "ROADIE_MEDIA_STORAGE must be local or s3, not {other:?}"
                )))
            }
        };
        let base_url = match &self.media_base_url {
            Some(text) => {
                let mut url = http_url("ROADIE_MEDIA_BASE_URL", text)?;
                if url.query().is_some() || url.fragment().is_some() {
                    return Err(ConfigError(format!(
                        "ROADIE_MEDIA_BASE_URL must not have a query or fragment, not {text:?}"
                    )));
                }
                // File names are appended to it.
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                Some(url)
            }
            None => None,
        };
        Ok(MediaConfig { storage, base_url })
    }
}

/// An absolute `http` or `https` URL with a host.
fn http_url(name: &str, text: &str) -> Result<Url, ConfigError> {
    Url::parse(text.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            ConfigError(format!(
                "{name} must be an http:// or https:// URL, not {text:?}"
            ))
        })
}

/// `10.0.0.0/8, 2001:db8::/32, 127.0.0.1` (a bare address is a single host).
fn parse_cidrs(list: &str) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    ConfigError(format!(
                        "ROADIE_TRUSTED_PROXIES must be a comma-separated list of addresses or CIDR ranges, not {item:?}"
                    ))
                })
        })
        .collect()
}

/// Accepts `host` or `host:port`, lower-cased, without scheme or path.
fn validate_domain(raw: &str) -> Result<String, ConfigError> {
    let bad = || {
        ConfigError(format!(
            "ROADIE_DOMAIN must be a host name such as music.example (optionally with :port), not {raw:?}"
        ))
    };
    let domain = raw.trim().to_ascii_lowercase();
    if domain.is_empty() || domain.contains('/') || domain.contains('@') {
        return Err(bad());
    }
    let url = Url::parse(&format!("https://{domain}/")).map_err(|_| bad())?;
    let host = url.host_str().ok_or_else(bad)?;
    let normalised = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    };
    if normalised != domain.trim_end_matches(":443") {
        return Err(bad());
    }
    Ok(normalised)
}

impl Config {
    /// `https://domain`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.protocol.as_str(), self.domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_use_sqlite_in_data_dir() {
        let c = Config::from_sources(None, &env(&[])).unwrap();
        assert_eq!(c.database_url, "sqlite://data/roadie.db");
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.domain, "localhost:8080");
        assert_eq!(c.protocol, Protocol::Https);
        assert!(!c.allow_private_network);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = Config::from_sources(None, &env(&[("ROADIE_BIND", "nowhere")])).unwrap_err();
        assert!(err.to_string().contains("ROADIE_BIND"), "{err}");
        let err = Config::from_sources(None, &env(&[("ROADIE_PROTOCOL", "gopher")])).unwrap_err();
        assert!(err.to_string().contains("ROADIE_PROTOCOL"), "{err}");
        let err = Config::from_sources(None, &env(&[("ROADIE_DOMAIN", "https://x.example/")]))
            .unwrap_err();
        assert!(err.to_string().contains("ROADIE_DOMAIN"), "{err}");
        let err =
            Config::from_sources(None, &env(&[("ROADIE_DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(err.to_string().contains("ROADIE_DATABASE_URL"), "{err}");
        let err = Config::from_sources(
            None,
            &env(&[("ROADIE_DANGER_ALLOW_PRIVATE_NETWORK", "maybe")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("ROADIE_DANGER"), "{err}");
        let err = Config::from_sources(None, &env(&[("ROADIE_TRUSTED_PROXIES", "10.0.0.0/8, x")]))
            .unwrap_err();
        assert!(err.to_string().contains("ROADIE_TRUSTED_PROXIES"), "{err}");
        let err =
            Config::from_sources(None, &env(&[("ROADIE_RATE_LIMIT_PAGES", "lots")])).unwrap_err();
        assert!(err.to_string().contains("ROADIE_RATE_LIMIT_PAGES"), "{err}");
    }

    #[test]
    fn rate_limits_and_proxies_are_read() {
        let c = Config::from_sources(
            None,
            &env(&[
                ("ROADIE_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
                ("ROADIE_RATE_LIMIT_INBOX", "0"),
                ("ROADIE_RATE_LIMIT_WEBFINGER", "30"),
            ]),
        )
        .unwrap();
        assert_eq!(c.network.trusted_proxies.len(), 2);
        assert_eq!(c.limits.rate_inbox_per_minute, 0);
        assert_eq!(c.limits.rate_webfinger_per_minute, 30);
        assert_eq!(
            c.limits.rate_pages_per_minute,
            Limits::default().rate_pages_per_minute
        );
    }

    #[test]
    fn media_storage_is_local_unless_a_bucket_is_configured() {
        let c = Config::from_sources(None, &env(&[])).unwrap();
        assert!(matches!(c.media.storage, MediaStorageConfig::Local));
        assert_eq!(c.media.base_url, None);

        let c = Config::from_sources(
            None,
            &env(&[
                ("ROADIE_MEDIA_STORAGE", "s3"),
                ("ROADIE_S3_BUCKET", "roadie-media"),
                ("ROADIE_S3_ENDPOINT", "http://127.0.0.1:9000"),
                ("ROADIE_S3_ACCESS_KEY_ID", "key"),
                ("ROADIE_S3_SECRET_ACCESS_KEY", "secret"),
                ("ROADIE_MEDIA_BASE_URL", "https://media.example/roadie"),
            ]),
        )
        .unwrap();
        let MediaStorageConfig::S3(s3) = &c.media.storage else {
            panic!("expected s3: {:?}", c.media.storage);
        };
        assert_eq!(s3.bucket, "roadie-media");
        assert_eq!(s3.region, "us-east-1");
        assert!(s3.path_style, "a custom endpoint defaults to path style");
        assert!(
            !format!("{s3:?}").contains("secret\""),
            "the secret is not logged"
        );
        assert_eq!(
            c.media.base_url.as_ref().map(Url::as_str),
            Some("https://media.example/roadie/")
        );

        for (vars, named) in [
            (
                vec![("ROADIE_MEDIA_STORAGE", "ftp")],
                "ROADIE_MEDIA_STORAGE",
            ),
            (vec![("ROADIE_MEDIA_STORAGE", "s3")], "ROADIE_S3_BUCKET"),
            (
                vec![("ROADIE_MEDIA_STORAGE", "s3"), ("ROADIE_S3_BUCKET", "b")],
                "ROADIE_S3_ACCESS_KEY_ID",
            ),
            (
                vec![
                    ("ROADIE_MEDIA_STORAGE", "s3"),
                    ("ROADIE_S3_BUCKET", "b"),
                    ("ROADIE_S3_ACCESS_KEY_ID", "k"),
                ],
                "ROADIE_S3_SECRET_ACCESS_KEY",
            ),
            (
                vec![
                    ("ROADIE_MEDIA_STORAGE", "s3"),
                    ("ROADIE_S3_ENDPOINT", "minio:9000"),
                ],
                "ROADIE_S3_ENDPOINT",
            ),
            (vec![("ROADIE_S3_BUCKET", "b")], "ROADIE_S3_BUCKET"),
            (
                vec![("ROADIE_S3_PATH_STYLE", "sometimes")],
                "ROADIE_S3_PATH_STYLE",
            ),
            (
                vec![("ROADIE_MEDIA_BASE_URL", "/media")],
                "ROADIE_MEDIA_BASE_URL",
            ),
            (
                vec![("ROADIE_MEDIA_BASE_URL", "https://m.example/?x=1")],
                "ROADIE_MEDIA_BASE_URL",
            ),
        ] {
            let err = Config::from_sources(None, &env(&vars)).unwrap_err();
            assert!(err.to_string().contains(named), "{vars:?}: {err}");
        }
    }

    #[test]
    fn file_values_are_overridden_by_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roadie.toml");
        std::fs::write(&path, "domain = \"music.example\"\nprotocol = \"http\"\n").unwrap();
        let c = Config::from_sources(Some(&path), &env(&[("ROADIE_PROTOCOL", "https")])).unwrap();
        assert_eq!(c.domain, "music.example");
        assert_eq!(c.protocol, Protocol::Https);

        std::fs::write(&path, "domian = \"typo.example\"\n").unwrap();
        let err = Config::from_sources(Some(&path), &env(&[])).unwrap_err();
        assert!(err.to_string().contains("domian"), "{err}");
    }
}
