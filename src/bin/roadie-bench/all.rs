//! `roadie-bench all`: the performance budget of issue 12, measured against this machine's own
//! limits in the same run.
//!
//! It starts the real `roadie serve` binary on 127.0.0.1 against SQLite and PostgreSQL, seeds
//! data through the library's domain and database functions, loads the server with the
//! keep-alive generator in `load.rs`, and prints each figure next to its target and next to
//! the limit measured here: a static response served by the same axum stack (in a child
//! process like the server) and the RSA sign/verify rate of Roadie's own key code.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant, SystemTime},
};

use anyhow::{bail, Context};
use axum::http::{Method, StatusCode};
use bytes::Bytes;
use chrono::{Datelike, NaiveDate};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use roadie::{
    db::{self, media::MediaRow, remote_actors::NewRemoteActor},
    domain::{self, releases, shows},
    federation::{
        keys::{generate_rsa_2048, KeyPairPem, SigningKey, VerifyingKey},
        signatures::sign_request,
    },
    AppState,
};
use tokio::io::{AsyncBufReadExt, BufReader};
use url::Url;

use crate::load::{self, Spec, Supply};

/// The domain the benchmark server answers as.
const DOMAIN: &str = "bench.localhost";
const ARTIST: &str = "band";
const ACTIVITY_JSON: &str = "application/activity+json";

pub struct AllOptions {
    smoke: bool,
    backends: Vec<&'static str>,
    pg_url: String,
    duration: Duration,
    connections: usize,
    followers: usize,
    posts: usize,
    releases: usize,
    shows: usize,
    inbox_actors: usize,
    inbox_requests: usize,
    inbox_keys: usize,
    /// Only this loaded phase (`gets`, `page` or `inbox`), e.g. to profile the server.
    only: Option<String>,
}

impl AllOptions {
    fn runs(&self, phase: &str) -> bool {
        self.only.as_deref().is_none_or(|p| p == phase)
    }
}

pub fn parse_options(args: &[String]) -> anyhow::Result<AllOptions> {
    let mut o = AllOptions {
        smoke: false,
        backends: vec!["sqlite", "postgres"],
        pg_url: crate::default_pg_url(),
        duration: Duration::from_secs(8),
        connections: 64,
        followers: 10_000,
        posts: 1_000,
        releases: 20,
        shows: 10,
        inbox_actors: 1_000,
        inbox_requests: 30_000,
        inbox_keys: 8,
        only: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .with_context(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--smoke" => {
                o.smoke = true;
                o.duration = Duration::from_millis(700);
                o.connections = 8;
                o.followers = 50;
                o.posts = 20;
                o.releases = 3;
                o.shows = 2;
                o.inbox_actors = 10;
                o.inbox_requests = 100;
                o.inbox_keys = 1;
            }
            "--duration-secs" => o.duration = Duration::from_secs_f64(value()?.parse()?),
            "--connections" => o.connections = value()?.parse()?,
            "--inbox-requests" => o.inbox_requests = value()?.parse()?,
            "--pg-url" => o.pg_url = value()?,
            "--only" => {
                let phase = value()?;
                if !["gets", "page", "inbox"].contains(&phase.as_str()) {
                    bail!("--only takes gets, page or inbox");
                }
                o.only = Some(phase);
            }
            "--backend" => o.backends = crate::parse_backend(&value()?)?,
            other => bail!("unknown option {other}"),
        }
    }
    if o.connections == 0 || o.inbox_requests == 0 {
        bail!("need at least one connection and one inbox request");
    }
    Ok(o)
}

/// One line of the final table.
struct Row {
    figure: String,
    result: String,
    target: String,
    /// The result as a fraction of its target (> 1 is better for rates, < 1 for sizes and times).
    vs_target: String,
    limit: String,
    vs_limit: String,
}

pub async fn run(o: AllOptions) -> anyhow::Result<()> {
    let bin = roadie_binary()?;
    let limit_time = if o.smoke {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(2)
    };
    println!("roadie binary: {}", bin.display());
    println!(
        "machine: {} cores; load: {} keep-alive connections, {:.1} s per figure{}",
        crate::cores(),
        o.connections,
        o.duration.as_secs_f64(),
        if o.smoke {
            " (smoke run: tiny data, figures mean nothing)"
        } else {
            ""
        }
    );
    let sign = crate::sign_rate(limit_time);
    let verify = verify_rate(limit_time);
    println!(
        "limit: RSA-2048 with Roadie's key code, all cores: sign {sign:.0}/s, verify {verify:.0}/s"
    );
    let static_rate = static_limit(&o).await?;
    println!("limit: static 400-byte JSON from the same axum stack: {static_rate:.0} req/s");

    let mut rows = Vec::new();
    let size = std::fs::metadata(&bin)?.len();
    let stripped = stripped_size(&bin);
    rows.push(Row {
        figure: format!(
            "binary size ({} build)",
            bin.parent()
                .and_then(|d| d.file_name())
                .and_then(|n| n.to_str())
                .unwrap_or("?")
        ),
        result: match stripped {
            Some(s) => format!("{:.1} MB stripped ({:.1} MB as built)", mb(s), mb(size)),
            None => format!("{:.1} MB as built (no strip tool)", mb(size)),
        },
        target: "< 40 MB".to_owned(),
        vs_target: format!("{:.2}", mb(stripped.unwrap_or(size)) / 40.0),
        limit: "-".to_owned(),
        vs_limit: "-".to_owned(),
    });
    if o.only.is_none() {
        rows.extend(startup_and_idle(&o, &bin).await?);
    }
    for backend in o.backends.clone() {
        rows.extend(loaded(&o, &bin, backend, static_rate, verify).await?);
    }

    println!();
    println!("| figure | result | target | result/target | machine limit | result/limit |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.figure, r.result, r.target, r.vs_target, r.limit, r.vs_limit
        );
    }
    Ok(())
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The `roadie` binary next to this one, rebuilt first when run through `cargo run`.
fn roadie_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("ROADIE_BENCH_BINARY") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("bench binary has no directory")?;
    let candidate = dir.join("roadie");
    // `cargo run --bin roadie-bench` builds only this binary; build the server in the same
    // profile so the figures are of the current code.
    if let (Some(cargo), Some(manifest)) = (
        std::env::var_os("CARGO"),
        std::env::var_os("CARGO_MANIFEST_DIR"),
    ) {
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "--quiet", "--bin", "roadie", "--manifest-path"])
            .arg(Path::new(&manifest).join("Cargo.toml"));
        if dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().context("run cargo build for the server")?;
        if !status.success() {
            bail!("cargo build --bin roadie failed");
        }
    }
    if !candidate.exists() {
        bail!(
            "{} is missing: build it with `cargo build --release --bins`",
            candidate.display()
        );
    }
    Ok(candidate)
}

/// Size of a stripped copy, when `strip` is installed.
fn stripped_size(bin: &Path) -> Option<u64> {
    let copy =
        std::env::temp_dir().join(format!("roadie-stripped-{}", uuid::Uuid::new_v4().simple()));
    let status = std::process::Command::new("strip")
        .arg("-o")
        .arg(&copy)
        .arg(bin)
        .stderr(Stdio::null())
        .status()
        .ok()?;
    let size = status
        .success()
        .then(|| std::fs::metadata(&copy).ok().map(|m| m.len()))
        .flatten();
    let _ = std::fs::remove_file(&copy);
    size
}

/// RSA-2048 PKCS#1 v1.5 SHA-256 verifications per second with Roadie's code, all cores.
fn verify_rate(duration: Duration) -> f64 {
    let pair = generate_rsa_2048().expect("key");
    let message = b"(request-target): post /inbox\nhost: example.com\ndate: x\ndigest: y";
    let signature = SigningKey::from_pem(&pair.private_pem)
        .and_then(|k| k.sign_base64(message))
        .expect("sign");
    let start = Instant::now();
    let handles: Vec<_> = (0..crate::cores())
        .map(|_| {
            let (pem, signature) = (pair.public_pem.clone(), signature.clone());
            std::thread::spawn(move || {
                let key = VerifyingKey::from_pem(&pem).expect("key");
                let mut n = 0u64;
                while start.elapsed() < duration {
                    assert!(key.verify_base64(message, &signature));
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    total as f64 / start.elapsed().as_secs_f64()
}

/// The static reference: `roadie-bench static-child` in its own process, loaded like Roadie.
async fn static_limit(o: &AllOptions) -> anyhow::Result<f64> {
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .arg("static-child")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().context("static child stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .context("static server did not start")??
        .context("static server said nothing")?;
    let addr: SocketAddr = line.trim().parse()?;
    let outcome = load::run(
        addr,
        DOMAIN,
        o.connections,
        o.duration,
        Supply::Cycle(vec![Spec::get("/static.json", "application/json")]),
        StatusCode::OK,
    )
    .await?;
    let _ = child.kill().await;
    anyhow::ensure!(outcome.ok > 0, "static server answered nothing");
    Ok(outcome.per_second())
}

/// The child process of [`static_limit`]: one axum route with a constant body, on the same
/// runtime setup as `roadie serve`.
pub async fn static_child() -> anyhow::Result<()> {
    static BODY: &[u8] = br#"{"subject":"acct:band@bench.localhost","aliases":["http://bench.localhost/users/band","http://bench.localhost/@band"],"links":[{"rel":"self","type":"application/activity+json","href":"http://bench.localhost/users/band"},{"rel":"http://webfinger.net/rel/profile-page","type":"text/html","href":"http://bench.localhost/@band"},{"rel":"http://ostatus.org/schema/1.0/subscribe","template":"http://bench.localhost/authorize_interaction?uri={uri}"}]}"#;
    let app = axum::Router::new().route(
        "/static.json",
        axum::routing::get(|| async {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                Bytes::from_static(BODY),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// A running `roadie serve`.
struct Server {
    child: tokio::process::Child,
    pid: u32,
    addr: SocketAddr,
    /// From spawning the process to its first answered request.
    ready_after: Duration,
}

/// Requests per minute and client, far above what the load generator can send.
const UNREACHED_RATE_LIMIT: &str = "1000000000";

impl Server {
    async fn start(bin: &Path, database_url: &str, dir: &Path) -> anyhow::Result<Server> {
        let log = std::fs::File::create(dir.join("server.log"))?;
        let started = Instant::now();
        let mut child = tokio::process::Command::new(bin)
            .arg("serve")
            .env("ROADIE_DOMAIN", DOMAIN)
            .env("ROADIE_BIND", "127.0.0.1:0")
            .env("ROADIE_DATABASE_URL", database_url)
            .env("ROADIE_DATA_DIR", dir)
            .env("ROADIE_PROTOCOL", "http")
            // All the load comes from one loopback address, where real traffic comes from
            // thousands: per-client limits far above the load keep the limiter's cost in the
            // figures without it answering 429.
            .env("ROADIE_RATE_LIMIT_INBOX", UNREACHED_RATE_LIMIT)
            .env("ROADIE_RATE_LIMIT_WEBFINGER", UNREACHED_RATE_LIMIT)
            .env("ROADIE_RATE_LIMIT_PAGES", UNREACHED_RATE_LIMIT)
            .env_remove("ROADIE_DANGER_ALLOW_PRIVATE_NETWORK")
            .env_remove("ROADIE_AUTHORIZED_FETCH")
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .context("start roadie serve")?;
        let pid = child.id().context("server pid")?;
        let stdout = child.stdout.take().context("server stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .context("roadie serve did not start within 60 s")??
            .with_context(|| {
                format!(
                    "roadie serve exited; see {}",
                    dir.join("server.log").display()
                )
            })?;
        // "Roadie listening on http://127.0.0.1:PORT as …"
        let addr: SocketAddr = first
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://"))
            .context("no address in the server's first line")?
            .parse()?;
        // Keep reading (and dropping) its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let mut tries = 0;
        while get_status(addr, "/.well-known/nodeinfo", "application/json").await?
            != Some(StatusCode::OK)
        {
            tries += 1;
            if tries > 5_000 {
                bail!("roadie serve never answered");
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(Server {
            child,
            pid,
            addr,
            ready_after: started.elapsed(),
        })
    }

    fn rss_kib(&self) -> u64 {
        proc_status_kib(self.pid, "VmRSS:").unwrap_or(0)
    }

    fn cpu(&self) -> Cpu {
        Cpu {
            server: crate::cpu_seconds(&self.pid.to_string()).unwrap_or(0.0),
            generator: crate::cpu_seconds("self").unwrap_or(0.0),
            postgres: postgres_cpu_seconds(),
        }
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// CPU seconds used so far by the server, by this process (the load generator) and by local
/// PostgreSQL processes: on a loaded machine the three share the cores, so each request's cost
/// is all three.
#[derive(Clone, Copy)]
struct Cpu {
    server: f64,
    generator: f64,
    postgres: f64,
}

impl std::ops::Sub for Cpu {
    type Output = Cpu;
    fn sub(self, before: Cpu) -> Cpu {
        Cpu {
            server: self.server - before.server,
            generator: self.generator - before.generator,
            postgres: self.postgres - before.postgres,
        }
    }
}

/// CPU seconds of all processes named `postgres` on this machine (0 when there are none, as
/// with SQLite or a remote database).
fn postgres_cpu_seconds() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "postgres")
        })
        .filter_map(|e| crate::cpu_seconds(e.file_name().to_str()?))
        .sum()
}

/// One GET on a fresh connection; `None` when the server does not accept yet.
async fn get_status(
    addr: SocketAddr,
    path: &str,
    accept: &str,
) -> anyhow::Result<Option<StatusCode>> {
    let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
        return Ok(None);
    };
    let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        return Ok(None);
    };
    let driver = tokio::spawn(conn);
    let request = axum::http::Request::builder()
        .uri(path)
        .header("host", DOMAIN)
        .header("accept", accept)
        .body(Empty::<Bytes>::new())?;
    let status = match sender.send_request(request).await {
        Ok(r) => {
            let status = r.status();
            let _ = r.into_body().collect().await;
            Some(status)
        }
        Err(_) => None,
    };
    driver.abort();
    Ok(status)
}

fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Start-up to ready and idle RSS: SQLite, one artist, migrations already applied.
async fn startup_and_idle(o: &AllOptions, bin: &Path) -> anyhow::Result<Vec<Row>> {
    let dir = crate::tempfile_dir()?;
    let url = format!("sqlite://{}/idle.db", dir.display());
    {
        let state = AppState::build(crate::bench_config(&url)).await?;
        let name = domain::artists::Username::parse(ARTIST)?;
        domain::artists::create(&state.db, &name, "The Band").await?;
    }
    let mut starts = Vec::new();
    let mut idle_kib = 0;
    // The first start also warms the page cache for the binary; report the best of three.
    for _ in 0..3 {
        let server = Server::start(bin, &url, &dir).await?;
        starts.push(server.ready_after);
        tokio::time::sleep(if o.smoke {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(1)
        })
        .await;
        idle_kib = server.rss_kib();
        server.stop().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let best = starts.iter().min().copied().unwrap_or_default();
    let ms = best.as_secs_f64() * 1000.0;
    Ok(vec![
        Row {
            figure: "start-up to ready (SQLite, migrated, best of 3)".to_owned(),
            result: format!(
                "{ms:.0} ms (runs: {})",
                starts
                    .iter()
                    .map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            target: "< 200 ms".to_owned(),
            vs_target: format!("{:.2}", ms / 200.0),
            limit: "-".to_owned(),
            vs_limit: "-".to_owned(),
        },
        Row {
            figure: "idle RSS after start (SQLite, one artist)".to_owned(),
            result: format!("{:.1} MiB", mib(idle_kib)),
            target: "< 30 MB".to_owned(),
            vs_target: format!("{:.2}", idle_kib as f64 * 1024.0 / 30e6),
            limit: "-".to_owned(),
            vs_limit: "-".to_owned(),
        },
    ])
}

/// What seeding made that the load needs.
struct Seeded {
    post_ids: Vec<i64>,
    /// Inbox actors: id and the index of their key in `keys`.
    actors: Vec<(String, usize)>,
    keys: Vec<KeyPairPem>,
    seconds: f64,
}

/// Seeds the artist and everything around it through the library's domain and db functions.
async fn seed(o: &AllOptions, database_url: &str) -> anyhow::Result<Seeded> {
    let start = Instant::now();
    let state = AppState::build(crate::bench_config(database_url)).await?;
    let db = &state.db;
    let publisher = state.publisher.as_ref();
    let name = domain::artists::Username::parse(ARTIST)?;
    let artist = domain::artists::create(db, &name, "The Band").await?;
    let artist = domain::artists::update_profile(
        db,
        publisher,
        &artist,
        domain::artists::ProfileUpdate {
            summary: Some(
                "Four people, one van, too many pedals. New record **out now**; tour dates below."
                    .to_owned(),
            ),
            links: Some(vec![
                domain::artists::ProfileLink {
                    name: "Bandcamp".to_owned(),
                    url: "https://band.bandcamp.example/".to_owned(),
                },
                domain::artists::ProfileLink {
                    name: "Website".to_owned(),
                    url: "https://band.example/".to_owned(),
                },
            ]),
            ..Default::default()
        },
    )
    .await?;
    // Posts first: with no followers yet they make no deliveries.
    let mut post_ids = Vec::with_capacity(o.posts);
    for i in 0..o.posts {
        let post = domain::posts::create(
            db,
            publisher,
            &artist,
            &format!("Post number {i}: rehearsal went **great**, see you at the next show! #tour"),
            domain::posts::Visibility::Public,
        )
        .await?;
        post_ids.push(post.id);
    }
    for i in 0..o.releases {
        // A cover row as an upload would leave it (the page only links the file).
        let cover = uuid::Uuid::new_v4().simple().to_string();
        db::media::insert(
            db,
            &MediaRow {
                id: cover.clone(),
                artist_id: artist.id,
                kind: "image".to_owned(),
                content_type: "image/jpeg".to_owned(),
                file_name: format!("{cover}.jpg"),
                size_bytes: 120_000,
                width: Some(1200),
                height: Some(1200),
                duration_ms: None,
                blurhash: Some("LEHV6nWB2yk8pyo0adR*.7kCMdnj".to_owned()),
                thumbnail_file: Some(format!("{cover}.thumb.jpg")),
                alt_text: "Cover".to_owned(),
                focal_x: None,
                focal_y: None,
                created_at: db::now(),
            },
        )
        .await?;
        releases::create(
            db,
            publisher,
            &artist,
            releases::ReleaseInput {
                title: format!("Record {i}"),
                kind: if i % 3 == 0 {
                    releases::ReleaseKind::Album
                } else {
                    releases::ReleaseKind::Single
                },
                release_date: NaiveDate::from_ymd_opt(
                    2020 + (i as i32 % 6),
                    1 + (i as u32 % 12),
                    1,
                ),
                description: "Recorded live in one room.".to_owned(),
                cover_media_id: Some(cover),
                tracks: (0..4)
                    .map(|t| releases::TrackInput {
                        title: format!("Song {t}"),
                        duration_secs: Some(180 + t),
                        preview_media_id: None,
                    })
                    .collect(),
                links: vec![releases::ReleaseLink {
                    kind: releases::LinkKind::Buy,
                    label: "Bandcamp".to_owned(),
                    url: "https://band.bandcamp.example/album".to_owned(),
                    payment: true,
                }],
                hashtags: vec!["newmusic".to_owned()],
                license: String::new(),
                credits: String::new(),
            },
            releases::Publication::Now,
        )
        .await?;
    }
    let next_year = chrono::Utc::now().year() + 1;
    for i in 0..o.shows {
        let starts_at = NaiveDate::from_ymd_opt(next_year, 1 + (i as u32 % 12), 10)
            .and_then(|d| d.and_hms_opt(20, 0, 0))
            .context("show date")?;
        shows::create(
            db,
            publisher,
            &artist,
            shows::ShowInput {
                starts_at,
                ends_at: None,
                doors_at: None,
                timezone: "Europe/Berlin".to_owned(),
                venue_name: format!("Club {i}"),
                street_address: String::new(),
                postal_code: String::new(),
                city: "Berlin".to_owned(),
                region: String::new(),
                country: "DE".to_owned(),
                latitude: None,
                longitude: None,
                ticket_url: Some("https://tickets.example/".to_owned()),
                price_note: String::new(),
                support_acts: Vec::new(),
                poster_media_id: None,
                status: shows::ShowStatus::Scheduled,
                description: String::new(),
            },
        )
        .await?;
    }
    // Followers, as a completed import leaves them (their servers are never contacted: the
    // server runs no deliveries because nothing is published during the run).
    let key = generate_rsa_2048()?;
    for i in 0..o.followers {
        let host = format!("h{}.followers.bench.test", i % 1000);
        let id = format!("http://{host}/users/f{i}");
        let actor = db::remote_actors::upsert(
            db,
            &NewRemoteActor {
                ap_id: id.clone(),
                username: format!("f{i}"),
                domain: host.clone(),
                display_name: Some(format!("Fan {i}")),
                inbox: format!("{id}/inbox"),
                shared_inbox: Some(format!("http://{host}/inbox")),
                public_key_id: format!("{id}#main-key"),
                public_key_pem: key.public_pem.clone(),
                url: None,
                fetched_at: db::now(),
            },
        )
        .await?;
        db::follows::import_accepted(db, artist.id, actor.id, &format!("{id}#follow")).await?;
    }
    // Inbox senders: remote actors whose keys are already cached (fetched just now).
    let keys: Vec<KeyPairPem> = (0..o.inbox_keys)
        .map(|_| generate_rsa_2048())
        .collect::<Result<_, _>>()?;
    let mut actors = Vec::with_capacity(o.inbox_actors);
    for i in 0..o.inbox_actors {
        let host = format!("s{i}.senders.bench.test");
        let id = format!("http://{host}/users/fan{i}");
        let k = i % keys.len();
        db::remote_actors::upsert(
            db,
            &NewRemoteActor {
                ap_id: id.clone(),
                username: format!("fan{i}"),
                domain: host,
                display_name: None,
                inbox: format!("{id}/inbox"),
                shared_inbox: None,
                public_key_id: format!("{id}#main-key"),
                public_key_pem: keys[k].public_pem.clone(),
                url: None,
                fetched_at: db::now(),
            },
        )
        .await?;
        actors.push((id, k));
    }
    Ok(Seeded {
        post_ids,
        actors,
        keys,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Distinct signed `Like`s (actor `k % actors` likes post `k / actors`), signed before the
/// load starts so the generator spends no CPU on RSA during it.
fn signed_likes(seeded: &Seeded, n: usize) -> anyhow::Result<Vec<Spec>> {
    let run = uuid::Uuid::new_v4().simple().to_string();
    let inbox: Url = format!("http://{DOMAIN}/inbox").parse()?;
    let cores = crate::cores();
    let chunk = n.div_ceil(cores);
    let seeded_actors = Arc::new(seeded.actors.clone());
    let posts = Arc::new(seeded.post_ids.clone());
    let keys = Arc::new(seeded.keys.clone());
    let handles: Vec<_> = (0..cores)
        .map(|c| {
            let (actors, posts, keys, run, inbox) = (
                seeded_actors.clone(),
                posts.clone(),
                keys.clone(),
                run.clone(),
                inbox.clone(),
            );
            std::thread::spawn(move || -> anyhow::Result<Vec<Spec>> {
                let signers: Vec<SigningKey> = keys
                    .iter()
                    .map(|k| SigningKey::from_pem(&k.private_pem))
                    .collect::<Result<_, _>>()?;
                let mut out = Vec::new();
                for k in (c * chunk)..((c + 1) * chunk).min(n) {
                    let (actor, key) = &actors[k % actors.len()];
                    let post = posts[(k / actors.len()) % posts.len()];
                    let host = actor.split('/').nth(2).context("actor host")?.to_owned();
                    let body = serde_json::to_vec(&serde_json::json!({
                        "@context": "https://www.w3.org/ns/activitystreams",
                        "id": format!("http://{host}/likes/{run}/{k}"),
                        "type": "Like",
                        "actor": actor,
                        "object": format!("http://{DOMAIN}/users/{ARTIST}/posts/{post}"),
                    }))?;
                    let headers = sign_request(
                        &signers[*key],
                        &format!("{actor}#main-key"),
                        &Method::POST,
                        &inbox,
                        Some(&body),
                        SystemTime::now(),
                    )?;
                    out.push(Spec {
                        method: Method::POST,
                        path_and_query: "/inbox".to_owned(),
                        headers: headers.into_iter().collect(),
                        body: Bytes::from(body),
                    });
                }
                Ok(out)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(n);
    for h in handles {
        all.extend(
            h.join()
                .map_err(|_| anyhow::anyhow!("signing thread panicked"))??,
        );
    }
    Ok(all)
}

/// Samples the server's RSS while a load runs and keeps the largest value.
struct RssSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn({
            let (stop, peak) = (stop.clone(), peak.clone());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(
                        proc_status_kib(pid, "VmRSS:").unwrap_or(0),
                        Ordering::Relaxed,
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        });
        RssSampler { stop, peak, task }
    }

    async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak.load(Ordering::Relaxed)
    }
}

/// The loaded figures on one backend.
async fn loaded(
    o: &AllOptions,
    bin: &Path,
    backend: &str,
    static_rate: f64,
    verify_rate: f64,
) -> anyhow::Result<Vec<Row>> {
    let dir = crate::tempfile_dir()?;
    let (url, pg_name) = match backend {
        "sqlite" => (format!("sqlite://{}/bench.db", dir.display()), None),
        _ => {
            let name = format!("roadie_bench_{}", uuid::Uuid::new_v4().simple());
            crate::pg_admin(&o.pg_url, &format!("CREATE DATABASE {name}")).await?;
            let (base, _) = o
                .pg_url
                .rsplit_once('/')
                .context("PostgreSQL URL needs a database")?;
            (format!("{base}/{name}"), Some(name))
        }
    };
    let result = loaded_on(o, bin, backend, &url, &dir, static_rate, verify_rate).await;
    if let Some(name) = pg_name {
        crate::pg_admin(
            &o.pg_url,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await?;
    }
    if result.is_ok() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        eprintln!("kept {} for inspection", dir.display());
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn loaded_on(
    o: &AllOptions,
    bin: &Path,
    backend: &str,
    url: &str,
    dir: &Path,
    static_rate: f64,
    verify_rate: f64,
) -> anyhow::Result<Vec<Row>> {
    let seeded = seed(o, url).await?;
    println!(
        "{backend}: seeded {} followers, {} posts, {} releases, {} shows, {} inbox actors in {:.1} s",
        o.followers, o.posts, o.releases, o.shows, o.inbox_actors, seeded.seconds
    );
    let likes = if o.runs("inbox") {
        signed_likes(&seeded, o.inbox_requests)?
    } else {
        Vec::new()
    };
    let server = Server::start(bin, url, dir).await?;
    println!(
        "{backend}: roadie serve is pid {} on {}",
        server.pid, server.addr
    );
    let rss_seeded = server.rss_kib();
    let mut rows = Vec::new();
    let mut report = |figure: String,
                      outcome: &load::Outcome,
                      cpu: Cpu,
                      target: f64,
                      limit: f64,
                      limit_name: &str| {
        let rate = outcome.per_second();
        let per_request = |seconds: f64| seconds * 1e6 / outcome.ok.max(1) as f64;
        println!(
            "{figure}: {} ok, {} errors in {:.2} s = {rate:.0}/s; CPU µs per request: server {:.0}, generator {:.0}, PostgreSQL {:.0}{}",
            outcome.ok,
            outcome.errors,
            outcome.elapsed.as_secs_f64(),
            per_request(cpu.server),
            per_request(cpu.generator),
            per_request(cpu.postgres),
            outcome
                .first_error
                .as_deref()
                .map(|e| format!("; first error: {e}"))
                .unwrap_or_default()
        );
        rows.push(Row {
            figure,
            result: format!("{rate:.0}/s"),
            target: format!("≥ {target:.0}/s"),
            vs_target: format!("{:.2}", rate / target),
            limit: format!("{limit:.0}/s {limit_name}"),
            vs_limit: format!("{:.3}", rate / limit),
        });
    };

    // WebFinger and the actor document, alternating.
    let sampler = RssSampler::start(server.pid);
    if o.runs("gets") {
        let cpu = server.cpu();
        let outcome = load::run(
            server.addr,
            DOMAIN,
            o.connections,
            o.duration,
            Supply::Cycle(vec![
                Spec::get(
                    &format!("/.well-known/webfinger?resource=acct:{ARTIST}@{DOMAIN}"),
                    "application/jrd+json",
                ),
                Spec::get(&format!("/users/{ARTIST}"), ACTIVITY_JSON),
            ]),
            StatusCode::OK,
        )
        .await?;
        report(
            format!("{backend}: WebFinger + actor GETs"),
            &outcome,
            server.cpu() - cpu,
            37_000.0,
            static_rate,
            "static",
        );
    }

    // The public artist page.
    if o.runs("page") {
        let cpu = server.cpu();
        let outcome = load::run(
            server.addr,
            DOMAIN,
            o.connections,
            o.duration,
            Supply::Cycle(vec![Spec::get(
                &format!("/@{ARTIST}"),
                "text/html,application/xhtml+xml",
            )]),
            StatusCode::OK,
        )
        .await?;
        report(
            format!("{backend}: artist page (HTML)"),
            &outcome,
            server.cpu() - cpu,
            13_000.0,
            static_rate,
            "static",
        );
    }
    let rss_load = sampler.finish().await;

    // Signed deliveries to the shared inbox.
    if !o.runs("inbox") {
        server.stop().await;
        return Ok(rows);
    }
    let cpu = server.cpu();
    let outcome = load::run(
        server.addr,
        DOMAIN,
        o.connections,
        o.duration.max(Duration::from_secs(30)),
        Supply::Once(likes),
        StatusCode::ACCEPTED,
    )
    .await?;
    let target = if backend == "sqlite" {
        5_000.0
    } else {
        8_000.0
    };
    report(
        format!("{backend}: inbox, signed Likes verified and stored"),
        &outcome,
        server.cpu() - cpu,
        target,
        verify_rate,
        "RSA verify",
    );
    let rss_after = server.rss_kib();
    server.stop().await;

    // Every accepted Like must be stored.
    let state = AppState::build(crate::bench_config(url)).await?;
    let artist = db::artists::by_username(&state.db, ARTIST)
        .await?
        .context("artist")?;
    let mut likes = 0;
    for id in &seeded.post_ids {
        likes += db::interactions::counts(
            &state.db,
            db::interactions::ObjectKey {
                artist_id: artist.id,
                kind: "post",
                id: *id,
            },
        )
        .await?
        .likes;
    }
    println!(
        "{backend}: {likes} likes stored for {} accepted; RSS seeded+idle {:.1} MiB, peak under GET load {:.1} MiB, after inbox load {:.1} MiB",
        outcome.ok,
        mib(rss_seeded),
        mib(rss_load),
        mib(rss_after)
    );
    anyhow::ensure!(
        likes as u64 == outcome.ok,
        "{likes} likes stored but {} deliveries accepted",
        outcome.ok
    );
    rows.push(Row {
        figure: format!("{backend}: RSS under the GET load (peak VmRSS)"),
        result: format!("{:.1} MiB", mib(rss_load)),
        target: "< 80 MB".to_owned(),
        vs_target: format!("{:.2}", rss_load as f64 * 1024.0 / 80e6),
        limit: "-".to_owned(),
        vs_limit: "-".to_owned(),
    });
    Ok(rows)
}
