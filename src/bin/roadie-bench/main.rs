//! Roadie's benchmarks. Loopback only; every run stops by itself.
//!
//! ```text
//! roadie-bench fanout [--followers N] [--hosts M] [--shared-inbox] [--backend sqlite|postgres|both]
//! roadie-bench sign-rate
//! roadie-bench all [--smoke] [--backend sqlite|postgres|both] [--duration-secs S] [--connections N]
//! ```
//!
//! `all` measures the performance budget of issue 12 against a real `roadie serve` (see
//! `all.rs` and docs/PERFORMANCE.md).
//!
//! `fanout` starts M inbox servers on 127.0.0.1 that verify every signature, gives an artist N
//! followers spread over them, publishes one post, and runs a delivery worker in a child process
//! (the same code as `roadie worker`) until every inbox has it. It prints the time, deliveries per
//! second (one RSA signature each), the worker's peak RSS, and the raw RSA-2048 signing rate of
//! this machine, so the result reads as a ratio to the signing limit.

use std::{
    collections::HashMap,
    process::ExitCode,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant, SystemTime},
};

use anyhow::{bail, Context};
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    routing::post,
    Router,
};
mod all;
mod load;

use roadie::{
    config::{Config, Limits, Protocol},
    db::{self, remote_actors::NewRemoteActor},
    domain,
    federation::{
        keys::{generate_rsa_2048, SigningKey, VerifyingKey},
        signatures::{check_request, Window},
    },
    AppState,
};

struct Options {
    followers: usize,
    hosts: usize,
    shared_inbox: bool,
    backends: Vec<&'static str>,
    pg_url: String,
    timeout: Duration,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = match args.first().map(String::as_str) {
        Some("fanout") => parse_options(&args[1..]).and_then(|o| runtime.block_on(fanout_all(o))),
        Some("sign-rate") => {
            let rate = sign_rate(Duration::from_secs(2));
            println!("RSA-2048 signatures/s (all cores): {rate:.0}");
            Ok(())
        }
        Some("all") => all::parse_options(&args[1..]).and_then(|o| runtime.block_on(all::run(o))),
        Some("worker-child") => runtime.block_on(worker_child(&args[1..])),
        Some("static-child") => runtime.block_on(all::static_child()),
        _ => {
            eprintln!("usage: roadie-bench fanout [--followers N] [--hosts M] [--shared-inbox] [--backend sqlite|postgres|both] [--pg-url URL]\n       roadie-bench sign-rate\n       roadie-bench all [--smoke] [--backend sqlite|postgres|both] [--pg-url URL] [--duration-secs S] [--connections N] [--inbox-requests N]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("roadie-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn parse_options(args: &[String]) -> anyhow::Result<Options> {
    let mut o = Options {
        followers: 10_000,
        hosts: 1_000,
        shared_inbox: false,
        backends: vec!["sqlite", "postgres"],
        pg_url: default_pg_url(),
        timeout: Duration::from_secs(600),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .with_context(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--followers" => o.followers = value()?.parse()?,
            "--hosts" => o.hosts = value()?.parse()?,
            "--shared-inbox" => o.shared_inbox = true,
            "--pg-url" => o.pg_url = value()?,
            "--timeout-secs" => o.timeout = Duration::from_secs(value()?.parse()?),
            "--backend" => o.backends = parse_backend(&value()?)?,
            other => bail!("unknown option {other}"),
        }
    }
    if o.hosts == 0 || o.followers == 0 || o.hosts > o.followers {
        bail!("need 0 < hosts <= followers");
    }
    Ok(o)
}

fn default_pg_url() -> String {
    std::env::var("ROADIE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn parse_backend(value: &str) -> anyhow::Result<Vec<&'static str>> {
    Ok(match value {
        "sqlite" => vec!["sqlite"],
        "postgres" => vec!["postgres"],
        "both" => vec!["sqlite", "postgres"],
        other => bail!("unknown backend {other}"),
    })
}

/// RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second with Roadie's signing code, all cores.
fn sign_rate(duration: Duration) -> f64 {
    let pair = generate_rsa_2048().expect("key");
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let start = Instant::now();
    let handles: Vec<_> = (0..cores)
        .map(|_| {
            let pem = pair.private_pem.clone();
            std::thread::spawn(move || {
                let key = SigningKey::from_pem(&pem).expect("key");
                let mut n = 0u64;
                let message =
                    b"(request-target): post /inbox\nhost: example.com\ndate: x\ndigest: y";
                while start.elapsed() < duration {
                    key.sign_base64(message).expect("sign");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    total as f64 / start.elapsed().as_secs_f64()
}

/// Counts deliveries that verified, per inbox.
#[derive(Default)]
struct Sink {
    verified: AtomicUsize,
    rejected: AtomicUsize,
    per_inbox: Mutex<HashMap<String, u32>>,
}

struct InboxState {
    host: String,
    key: VerifyingKey,
    sink: Arc<Sink>,
}

async fn inbox(
    State(s): State<Arc<InboxState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let window = Window {
        max_age: Duration::from_secs(3600),
        max_skew: Duration::from_secs(3600),
    };
    let ok = check_request(
        &method,
        uri.path(),
        &headers,
        Some(&body),
        &s.host,
        SystemTime::now(),
        window,
    )
    .and_then(|c| c.verify(&s.key))
    .is_ok();
    if ok {
        s.sink.verified.fetch_add(1, Ordering::Relaxed);
        *s.sink
            .per_inbox
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(format!("{}{}", s.host, uri.path()))
            .or_default() += 1;
        StatusCode::ACCEPTED
    } else {
        s.sink.rejected.fetch_add(1, Ordering::Relaxed);
        StatusCode::UNAUTHORIZED
    }
}

async fn fanout_all(o: Options) -> anyhow::Result<()> {
    let rate = sign_rate(Duration::from_secs(2));
    println!(
        "machine: {} cores; RSA-2048 signing with Roadie's code: {rate:.0}/s (all cores)",
        cores()
    );
    for backend in o.backends.clone() {
        fanout(&o, backend, rate).await?;
    }
    Ok(())
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

async fn fanout(o: &Options, backend: &str, sign_rate: f64) -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
    let (database_url, pg_name) = match backend {
        "sqlite" => (format!("sqlite://{}/bench.db", dir.display()), None),
        _ => {
            let name = format!("roadie_bench_{}", uuid::Uuid::new_v4().simple());
            pg_admin(&o.pg_url, &format!("CREATE DATABASE {name}")).await?;
            let (base, _) = o
                .pg_url
                .rsplit_once('/')
                .context("PostgreSQL URL needs a database")?;
            (format!("{base}/{name}"), Some(name))
        }
    };
    let result = fanout_on(o, backend, &database_url, sign_rate).await;
    if let Some(name) = pg_name {
        pg_admin(
            &o.pg_url,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn fanout_on(
    o: &Options,
    backend: &str,
    database_url: &str,
    sign_rate: f64,
) -> anyhow::Result<()> {
    let config = bench_config(database_url);
    let state = AppState::build(config.clone()).await?;
    let name = domain::artists::Username::parse("band")?;
    let artist = domain::artists::create(&state.db, &name, "The Band").await?;
    let key = VerifyingKey::from_pem(&artist.public_key_pem)?;

    // Inbox servers, one per host.
    let sink = Arc::new(Sink::default());
    let mut hosts = Vec::with_capacity(o.hosts);
    for _ in 0..o.hosts {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let host = listener.local_addr()?.to_string();
        let app = Router::new()
            .route("/inbox", post(inbox))
            .route("/users/{name}/inbox", post(inbox))
            .with_state(Arc::new(InboxState {
                host: host.clone(),
                key: key.clone(),
                sink: sink.clone(),
            }));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        hosts.push(host);
    }

    // Followers, spread evenly over the hosts.
    let setup = Instant::now();
    for i in 0..o.followers {
        let host = &hosts[i % o.hosts];
        let id = format!("http://{host}/users/f{i}");
        let actor = db::remote_actors::upsert(
            &state.db,
            &NewRemoteActor {
                ap_id: id.clone(),
                username: format!("f{i}"),
                domain: host.clone(),
                display_name: None,
                inbox: format!("{id}/inbox"),
                shared_inbox: o.shared_inbox.then(|| format!("http://{host}/inbox")),
                public_key_id: format!("{id}#main-key"),
                public_key_pem: artist.public_key_pem.clone(),
                url: None,
                fetched_at: db::now(),
            },
        )
        .await?;
        db::follows::import_accepted(&state.db, artist.id, actor.id, &format!("{id}#follow"))
            .await?;
    }
    let setup_time = setup.elapsed();

    let enqueue = Instant::now();
    domain::posts::create(
        &state.db,
        state.publisher.as_ref(),
        &artist,
        "Out now",
        domain::posts::Visibility::Public,
    )
    .await?;
    let enqueue_time = enqueue.elapsed();
    let expected = usize::try_from(db::deliveries::stats(&state.db, db::now()).await?.pending)?;

    // The worker runs in its own process so its memory can be measured.
    let bench_cpu_before = cpu_seconds("self").unwrap_or(0.0);
    let start = Instant::now();
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["worker-child", database_url])
        .kill_on_drop(true)
        .spawn()
        .context("start the worker process")?;
    let pid = child.id().context("worker pid")?;
    let mut peak_rss_kib = 0u64;
    while sink.verified.load(Ordering::Relaxed) < expected {
        if start.elapsed() > o.timeout {
            bail!(
                "timed out with {} of {expected} delivered",
                sink.verified.load(Ordering::Relaxed)
            );
        }
        if let Some(status) = child.try_wait()? {
            bail!("worker exited early: {status}");
        }
        peak_rss_kib = peak_rss_kib.max(vm_hwm_kib(pid).unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = start.elapsed();
    peak_rss_kib = peak_rss_kib.max(vm_hwm_kib(pid).unwrap_or(0));
    let worker_cpu = cpu_seconds(&pid.to_string()).unwrap_or(0.0);
    let bench_cpu = cpu_seconds("self").unwrap_or(0.0) - bench_cpu_before;
    let _ = child.kill().await;

    let duplicates: u32 = sink
        .per_inbox
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .map(|n| n.saturating_sub(1))
        .sum();
    let per_second = expected as f64 / elapsed.as_secs_f64();
    let pure_signing = expected as f64 / sign_rate;
    println!(
        "{backend:8} followers={} hosts={} shared_inbox={} deliveries={expected}\n\
         \x20        setup {:.1} s, enqueue {:.0} ms, all delivered in {:.2} s: {per_second:.0} deliveries/s = {per_second:.0} signatures/s\n\
         \x20        pure signing time {:.2} s -> ratio {:.2} (target <= 1.5); worker peak RSS {:.1} MiB; rejected {}, duplicates {duplicates}\n\
         \x20        CPU seconds: worker {worker_cpu:.2} (signing alone {:.2}), inbox servers {bench_cpu:.2}",
        o.followers,
        o.hosts,
        o.shared_inbox,
        setup_time.as_secs_f64(),
        enqueue_time.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64(),
        pure_signing,
        elapsed.as_secs_f64() / pure_signing,
        peak_rss_kib as f64 / 1024.0,
        sink.rejected.load(Ordering::Relaxed),
        pure_signing * cores() as f64,
    );
    Ok(())
}

fn bench_config(database_url: &str) -> Config {
    Config {
        domain: "bench.localhost".to_owned(),
        bind: "127.0.0.1:9".parse().expect("address"),
        database_url: database_url.to_owned(),
        data_dir: std::env::temp_dir(),
        protocol: Protocol::Http,
        allow_private_network: true,
        authorized_fetch: false,
        federation_mode: Default::default(),
        limits: Limits::default(),
        network: Default::default(),
        media: Default::default(),
    }
}

/// The child process: the delivery worker, exactly as `roadie worker` runs it.
async fn worker_child(args: &[String]) -> anyhow::Result<()> {
    let url = args.first().context("database URL")?;
    let state = AppState::build(bench_config(url)).await?;
    state.delivery.start();
    std::future::pending::<()>().await;
    Ok(())
}

/// User plus system CPU time of a process (`self` or a pid), from /proc.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Peak resident memory of a process, from /proc.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("roadie-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn pg_admin(url: &str, sql: &str) -> anyhow::Result<()> {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .with_context(|| format!("connect to {url}"))?;
    diesel::sql_query(sql).execute(&mut conn).await?;
    Ok(())
}
