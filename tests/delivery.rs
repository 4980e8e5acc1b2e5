//! The delivery engine: retries, final failures, Retry-After, restarts and several workers.

use std::time::Duration;

use roadie::{config::Limits, db, AppState};
use serde_json::json;

use crate::on_both_backends;
use crate::support::{app::test_limits, Backend, Peer, Reply, TestApp};

on_both_backends! {
    failing_inbox_recovers_after_retries,
    refused_connection_recovers,
    gone_and_not_found_are_not_retried,
    retry_after_is_honoured,
    metrics_and_admin_queue_report_the_queue,
    unavailable_host_is_skipped_until_it_talks_to_us,
    old_rows_are_pruned,
    pending_deliveries_survive_a_restart,
    two_workers_deliver_each_once,
}

/// A follower on `peer` for artist `band`, with the Accept delivered.
async fn follow(app: &TestApp, peer: &Peer, fan: &str) {
    let res = peer
        .deliver(
            fan,
            &app.url("/inbox"),
            &peer.follow(fan, &app.url("/users/band")),
        )
        .await;
    assert_eq!(res.status(), 202);
}

async fn post(app: &TestApp, token: &str, text: &str) -> String {
    let (status, body) = app
        .api(
            reqwest::Method::POST,
            token,
            "/api/v1/posts",
            Some(json!({"content": text})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["url"].as_str().unwrap().to_owned()
}

async fn failing_inbox_recovers_after_retries(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.limits.request_timeout = Duration::from_millis(500)
    })
    .await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["fan"], true).await;
    follow(&app, &peer, "fan").await;
    app.run_deliveries().await;

    // A server error, a timeout, an unavailable answer; then the inbox works again.
    peer.script(vec![
        Reply::Status(500),
        Reply::Slow(Duration::from_secs(1)),
        Reply::Status(503),
    ]);
    let note = post(&app, &token, "third time lucky").await;
    app.run_deliveries().await;

    let statuses: Vec<u16> = peer
        .attempts_of_type("Create")
        .iter()
        .map(|a| a.status)
        .collect();
    assert_eq!(statuses, [500, 0, 503, 202]);
    let delivered = peer.received_of_type("Create");
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].body["object"]["id"], note.as_str());
    assert!(delivered[0].signature_valid);
    let rows = db::deliveries::for_inbox(app.db(), &peer.url_of("/inbox"))
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.attempts > 1)
        .expect("the retried delivery");
    assert_eq!(row.state, "delivered");
    assert_eq!(row.attempts, 4);
}

async fn refused_connection_recovers(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.limits.delivery_retry_unit = Duration::from_millis(20)
    })
    .await;
    let (_, token) = app.artist_with_token("band").await;
    let mut peer = Peer::start(&["fan"], true).await;
    follow(&app, &peer, "fan").await;
    app.run_deliveries().await;

    peer.stop();
    post(&app, &token, "anyone there?").await;
    let inbox = peer.url_of("/inbox");
    // Wait for the first attempt to fail, then come back.
    let failed_once = async {
        loop {
            let rows = db::deliveries::for_inbox(app.db(), &inbox).await.unwrap();
            if rows
                .iter()
                .any(|r| r.state == "pending" && r.last_error.is_some())
            {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let rows = tokio::time::timeout(Duration::from_secs(10), failed_once)
        .await
        .expect("a failed attempt");
    let error = rows.iter().find_map(|r| r.last_error.clone()).unwrap();
    assert!(!error.is_empty());
    peer.resume().await;
    app.run_deliveries().await;
    assert_eq!(peer.received_of_type("Create").len(), 1);
}

async fn gone_and_not_found_are_not_retried(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let gone = Peer::start(&["ann"], true).await;
    let missing = Peer::start(&["bob"], true).await;
    follow(&app, &gone, "ann").await;
    follow(&app, &missing, "bob").await;
    app.run_deliveries().await;

    gone.script(vec![Reply::Status(410)]);
    missing.script(vec![Reply::Status(404)]);
    post(&app, &token, "hello?").await;
    app.run_deliveries().await;
    // Give a wrongly scheduled retry time to happen (the retry unit is 1 ms in tests).
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.run_deliveries().await;

    for (peer, status) in [(&gone, 410), (&missing, 404)] {
        let attempts = peer.attempts_of_type("Create");
        assert_eq!(attempts.len(), 1, "HTTP {status} is final");
        let rows = db::deliveries::for_inbox(app.db(), &peer.url_of("/inbox"))
            .await
            .unwrap();
        let row = rows.iter().find(|r| r.last_status == Some(status)).unwrap();
        assert_eq!(row.state, "failed");
        assert_eq!(row.attempts, 1);
    }
}

async fn retry_after_is_honoured(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["fan"], true).await;
    follow(&app, &peer, "fan").await;
    app.run_deliveries().await;

    peer.script(vec![Reply::RetryAfter(429, 2)]);
    post(&app, &token, "not so fast").await;
    app.run_deliveries().await;
    let attempts = peer.attempts_of_type("Create");
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].status, 429);
    assert_eq!(attempts[1].status, 202);
    let waited = attempts[1].at - attempts[0].at;
    // Without Retry-After the retry would come within a few dozen milliseconds.
    assert!(
        waited >= Duration::from_millis(1900),
        "retried after {waited:?}"
    );
}

async fn pending_deliveries_survive_a_restart(backend: Backend) {
    // First life: deliveries are stored but this process dies before sending them (no workers),
    // and one row is claimed by a worker that then "crashes" holding it.
    let app = TestApp::spawn_with_workers(backend, false, |c| {
        c.limits.delivery_lease = Duration::from_secs(1)
    })
    .await;
    let (_, token) = app.artist_with_token("band").await;
    let big = Peer::start(&["ann", "bob"], true).await;
    let small = Peer::start(&["cid"], false).await;
    follow(&app, &big, "ann").await;
    follow(&app, &big, "bob").await;
    follow(&app, &small, "cid").await;
    post(&app, &token, "survives").await;
    let now = db::now();
    let claimed = db::deliveries::claim(app.db(), 1, now, now + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "one row held by a crashed worker");
    assert!(big.received_of_type("Create").is_empty());

    // Second life on the same database.
    let app = app.restart().await;
    app.run_deliveries().await;
    assert_eq!(
        big.received_of_type("Create").len(),
        1,
        "one POST to the shared inbox"
    );
    assert_eq!(small.received_of_type("Create").len(), 1);
    assert_eq!(big.received_of_type("Accept").len(), 2);
    assert_eq!(small.received_of_type("Accept").len(), 1);
}

async fn two_workers_deliver_each_once(backend: Backend) {
    let app = TestApp::spawn_with_workers(backend, false, |_| {}).await;
    let (_, token) = app.artist_with_token("band").await;
    let fans: Vec<String> = (0..24).map(|i| format!("fan{i}")).collect();
    let names: Vec<&str> = fans.iter().map(String::as_str).collect();
    // No shared inbox: one delivery per fan.
    let peer = Peer::start(&names, false).await;
    for fan in &names {
        follow(&app, &peer, fan).await;
    }
    post(&app, &token, "one each").await;

    // Two more processes' worth of workers on the same database race for the rows.
    let limits = Limits {
        delivery_concurrency: 4,
        ..test_limits()
    };
    let mut workers = Vec::new();
    for _ in 0..2 {
        let mut config = app.state.config.clone();
        config.limits = limits.clone();
        let state = AppState::with_db(config, app.state.db.clone())
            .await
            .unwrap();
        state.delivery.start();
        workers.push(state);
    }
    tokio::time::timeout(Duration::from_secs(30), workers[0].delivery.wait_settled())
        .await
        .expect("settled");
    for fan in &names {
        let creates: Vec<_> = peer
            .received_of_type("Create")
            .into_iter()
            .filter(|r| r.path == format!("/users/{fan}/inbox"))
            .collect();
        assert_eq!(creates.len(), 1, "{fan} got the post exactly once");
        let accepts = peer
            .received_of_type("Accept")
            .into_iter()
            .filter(|r| r.path == format!("/users/{fan}/inbox"))
            .count();
        assert_eq!(accepts, 1, "{fan} got one Accept");
    }
    for w in &workers {
        w.delivery.shutdown().await;
    }
}

async fn metrics_and_admin_queue_report_the_queue(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let ok = Peer::start(&["ann"], true).await;
    let gone = Peer::start(&["bob"], true).await;
    follow(&app, &ok, "ann").await;
    follow(&app, &gone, "bob").await;
    app.run_deliveries().await;
    gone.script(vec![Reply::Status(410)]);
    post(&app, &token, "counted").await;
    app.run_deliveries().await;

    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from:\n{text}"))
    };
    // Two Accepts and one Create were delivered; one Create was refused for good.
    assert_eq!(value("roadie_deliveries_succeeded_total"), 3.0);
    assert_eq!(
        value("roadie_deliveries_failed_total{reason=\"http_410\"}"),
        1.0
    );
    assert_eq!(value("roadie_queue_pending"), 0.0);
    assert_eq!(value("roadie_queue_delivered"), 3.0);
    assert_eq!(value("roadie_queue_failed"), 1.0);
    assert!(
        text.contains("roadie_delivery_latency_seconds_bucket"),
        "{text}"
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_roadie"))
        .args(["admin", "queue"])
        .env_clear()
        .env("ROADIE_DATABASE_URL", &app.state.config.database_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("delivered          3"), "{stdout}");
    assert!(stdout.contains("failed             1"), "{stdout}");
}

async fn unavailable_host_is_skipped_until_it_talks_to_us(backend: Backend) {
    // One failing day is enough here, so the test need not wait for a week.
    let app = TestApp::spawn_with(backend, |c| c.limits.host_unavailable_after_days = 1).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["fan"], true).await;
    follow(&app, &peer, "fan").await;
    app.run_deliveries().await;

    peer.script(vec![Reply::Status(500)]);
    post(&app, &token, "are you there?").await;
    let host = peer.domain.clone();
    let marked = async {
        loop {
            if let Some(h) = db::hosts::get(app.db(), &host).await.unwrap() {
                if h.unavailable_since.is_some() {
                    return h;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let row = tokio::time::timeout(Duration::from_secs(10), marked)
        .await
        .expect("host marked unavailable");
    assert_eq!(row.failure_days, 1);
    // Retries are due within milliseconds, but the host is skipped.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(peer.attempts_of_type("Create").len(), 1);
    let stats = db::deliveries::stats(app.db(), db::now()).await.unwrap();
    assert_eq!(stats.pending, 1);
    assert_eq!(stats.unavailable_hosts, 1);

    // The host sends us a valid signed activity: it is alive, and the delivery goes out.
    let like = json!({
        "id": format!("{}#likes/1", peer.actor_id("fan")),
        "type": "Like",
        "actor": peer.actor_id("fan"),
        "object": app.url("/users/band/posts/1"),
    });
    let res = peer.deliver("fan", &app.url("/inbox"), &like).await;
    assert_eq!(res.status(), 202);
    app.run_deliveries().await;
    assert_eq!(peer.received_of_type("Create").len(), 1);
    let row = db::hosts::get(app.db(), &host).await.unwrap().unwrap();
    assert!(row.unavailable_since.is_none());
    assert_eq!(row.failure_days, 0);
}

async fn old_rows_are_pruned(backend: Backend) {
    // Retries far apart, so a failing delivery stays pending during the test.
    let app = TestApp::spawn_with(backend, |c| {
        c.limits.delivery_retry_unit = Duration::from_secs(10)
    })
    .await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["fan"], true).await;
    follow(&app, &peer, "fan").await;
    app.run_deliveries().await;
    post(&app, &token, "old news").await;
    app.run_deliveries().await;
    let before = db::deliveries::stats(app.db(), db::now()).await.unwrap();
    assert_eq!(before.delivered, 2);

    // Nothing is old enough yet.
    let an_hour_ago = db::now() - chrono::Duration::hours(1);
    assert_eq!(
        db::deliveries::prune(app.db(), an_hour_ago, an_hour_ago)
            .await
            .unwrap(),
        (0, 0)
    );
    // A stored row that could never be sent is given up after the cut-off; finished rows go.
    peer.script(vec![Reply::Status(503)]);
    post(&app, &token, "stuck").await;
    let soon = db::now() + chrono::Duration::seconds(1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (pruned, expired) = db::deliveries::prune(app.db(), soon, soon).await.unwrap();
    assert_eq!((pruned, expired), (2, 1));
    let after = db::deliveries::stats(app.db(), db::now()).await.unwrap();
    assert_eq!((after.pending, after.delivered, after.failed), (0, 0, 1));
}
