//! The real `roadie worker` binary killed with SIGKILL in the middle of a fan-out, then started
//! again: every inbox still gets the post, and only deliveries in flight at the kill may arrive
//! twice. SIGTERM instead stops it cleanly, giving back what it had claimed.

use std::{
    collections::HashMap,
    process::{Child, Command},
    time::Duration,
};

use roadie::db::{self, remote_actors::NewRemoteActor};
use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, Peer, TestApp};

on_both_backends! {
    killed_worker_loses_nothing,
}

const FANS_PER_PEER: usize = 40;

fn start_worker(app: &TestApp) -> Child {
    Command::new(env!("CARGO_BIN_EXE_roadie"))
        .arg("worker")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .env("ROADIE_DATABASE_URL", &app.state.config.database_url)
        .env("ROADIE_DOMAIN", &app.domain)
        .env("ROADIE_PROTOCOL", "http")
        .env("ROADIE_DANGER_ALLOW_PRIVATE_NETWORK", "true")
        .spawn()
        .expect("start roadie worker")
}

/// Create POSTs per inbox path, over all peers.
fn creates_per_inbox(peers: &[Peer]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for peer in peers {
        for r in peer.attempts_of_type("Create") {
            *counts
                .entry(format!("{}{}", peer.domain, r.path))
                .or_default() += 1;
        }
    }
    counts
}

async fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn killed_worker_loses_nothing(backend: Backend) {
    // The web process stores deliveries but sends nothing; the worker binary sends.
    let app = TestApp::spawn_with_workers(backend, false, |_| {}).await;
    let (artist, token) = app.artist_with_token("band").await;
    let mut peers = Vec::new();
    for _ in 0..3 {
        let names: Vec<String> = (0..FANS_PER_PEER).map(|i| format!("fan{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let peer = Peer::start(&names, false).await;
        // Slow answers keep many deliveries in flight when the worker dies.
        peer.set_delay(Duration::from_millis(40));
        for name in &names {
            let id = peer.actor_id(name);
            let actor = db::remote_actors::upsert(
                app.db(),
                &NewRemoteActor {
                    ap_id: id.clone(),
                    username: name.to_string(),
                    domain: peer.domain.clone(),
                    display_name: None,
                    inbox: format!("{id}/inbox"),
                    shared_inbox: None,
                    public_key_id: format!("{id}#main-key"),
                    public_key_pem: artist.public_key_pem.clone(),
                    url: None,
                    fetched_at: db::now(),
                },
            )
            .await
            .unwrap();
            db::follows::import_accepted(app.db(), artist.id, actor.id, &format!("{id}#follow"))
                .await
                .unwrap();
        }
        peers.push(peer);
    }
    let total = 3 * FANS_PER_PEER;
    let (status, _) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/posts",
            Some(json!({"content": "crash test"})),
        )
        .await;
    assert_eq!(status, 201);

    // Kill -9 once some, but not all, deliveries arrived.
    let mut worker = start_worker(&app);
    wait_for("the first deliveries", Duration::from_secs(30), || {
        creates_per_inbox(&peers).len() >= total / 5
    })
    .await;
    worker.kill().expect("SIGKILL");
    worker.wait().unwrap();
    let stats = db::deliveries::stats(app.db(), db::now()).await.unwrap();
    let in_flight_at_kill = usize::try_from(stats.claimed).unwrap();
    assert!(
        stats.pending > 0,
        "the kill came before the end of the fan-out"
    );

    // The dead worker's leases are 5 minutes long; let them run out at once, then restart.
    db::deliveries::release_all_claims(app.db()).await.unwrap();
    let mut worker = start_worker(&app);
    wait_for("every inbox", Duration::from_secs(60), || {
        creates_per_inbox(&peers).len() == total
    })
    .await;
    tokio::time::timeout(Duration::from_secs(30), app.state.delivery.wait_settled())
        .await
        .expect("the queue settles");

    let counts = creates_per_inbox(&peers);
    let duplicates: usize = counts.values().map(|n| n - 1).sum();
    eprintln!("crash test: {in_flight_at_kill} deliveries in flight at the kill, {duplicates} arrived twice");
    assert!(
        duplicates <= in_flight_at_kill,
        "{duplicates} duplicates, but only {in_flight_at_kill} deliveries were in flight at the kill"
    );
    // The documented bound: only requests under way can be sent twice, at most the worker's
    // send concurrency.
    let concurrency = roadie::config::Limits::default().delivery_concurrency;
    assert!(
        duplicates <= concurrency,
        "{duplicates} duplicates > concurrency {concurrency}"
    );

    // SIGTERM: the worker exits promptly and leaves no claimed row behind.
    let (status, _) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/posts",
            Some(json!({"content": "second"})),
        )
        .await;
    assert_eq!(status, 201);
    wait_for(
        "a delivery of the second post",
        Duration::from_secs(30),
        || {
            peers.iter().any(|p| {
                p.attempts_of_type("Create")
                    .iter()
                    .any(|r| r.body["object"]["content"] == "<p>second</p>")
            })
        },
    )
    .await;
    let term = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let exited = tokio::task::spawn_blocking(move || worker.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exited.success(), "worker exit status {exited}");
    let stats = db::deliveries::stats(app.db(), db::now()).await.unwrap();
    assert_eq!(stats.claimed, 0, "a stopped worker holds no claims");
}
