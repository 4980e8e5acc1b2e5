//! Running Roadie for real: health endpoints, graceful shutdown and JSON logs of the real
//! binary, online SQLite backups restored to a working instance, the SQLite → PostgreSQL copy,
//! and two `serve` processes plus a `worker` sharing one PostgreSQL.

use std::{
    collections::HashMap,
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

use roadie::db::{self, remote_actors::NewRemoteActor};
use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::{
    app::fresh_database,
    binary::{self, Process},
    Backend, Peer, TestApp,
};

on_both_backends! {
    health_endpoints_report_the_schema,
    sigterm_lets_open_requests_finish,
}

async fn wait_for<F, Fut>(what: &str, limit: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while !done().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn get_json(url: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .expect("GET");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn post_json(url: &str, token: &str, body: Value) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("POST");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn health_endpoints_report_the_schema(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = get_json(&app.url("/health/live")).await;
    assert_eq!((status, &body["status"]), (200, &json!("ok")));
    let (status, body) = get_json(&app.url("/health/ready")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["database"],
        match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    );

    // A newer Roadie migrated this database: this binary must not take traffic, but it lives.
    app.pretend_newer_migration("99991231000000").await;
    let (status, body) = get_json(&app.url("/health/ready")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["unknown_migrations"], json!(["99991231000000"]));
    let (status, _) = get_json(&app.url("/health/live")).await;
    assert_eq!(status, 200);
}

/// Reads from `stream` until `needle` was seen (bounded by the socket's read timeout).
fn read_until(stream: &mut TcpStream, needle: &str) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(needle) {
        let n = stream.read(&mut buf).expect("read from roadie");
        assert!(
            n > 0,
            "connection closed; got {:?}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

async fn sigterm_lets_open_requests_finish(backend: Backend) {
    let app = TestApp::spawn_with_workers(backend, false, |_| {}).await;
    let (artist, token) = app.artist_with_token("band").await;
    let data_dir = tempfile::tempdir().unwrap();
    let mut server = Process::serve(binary::command(
        &app.state.config.database_url,
        &app.domain,
        data_dir.path(),
    ));
    let addr = server.addr.unwrap();

    // A request whose body is not yet sent: `Expect: 100-continue` makes the server say when the
    // handler started reading it, so the request is surely under way before the signal.
    let body = json!({"content": "sent during shutdown"}).to_string();
    let (first, rest) = body.split_at(10);
    let (first, rest, len) = (first.to_owned(), rest.to_owned(), body.len());
    let stream = tokio::task::spawn_blocking({
        let token = token.clone();
        move || {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            write!(
                s,
                "POST /api/v1/posts HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\
                 Expect: 100-continue\r\n\r\n",
                len
            )
            .unwrap();
            read_until(&mut s, "100 Continue");
            s.write_all(first.as_bytes()).unwrap();
            s
        }
    })
    .await
    .unwrap();

    server.terminate();
    // The listener closes first: new connections are refused while the request is open.
    wait_for("the listener to close", Duration::from_secs(30), || async {
        tokio::net::TcpStream::connect(addr).await.is_err()
    })
    .await;
    let response = tokio::task::spawn_blocking(move || {
        let mut s = stream;
        s.write_all(rest.as_bytes()).unwrap();
        read_until(&mut s, "\r\n\r\n")
    })
    .await
    .unwrap();
    assert!(
        response.contains("HTTP/1.1 201"),
        "the open request finished: {response}"
    );
    let status = server.wait(Duration::from_secs(30)).await;
    assert!(status.success(), "exit status {status}");
    assert!(server
        .stderr_lines()
        .iter()
        .any(|l| l.contains("shutting down")));
    assert_eq!(
        db::posts::count_live(app.db(), artist.id).await.unwrap(),
        1,
        "the post sent during shutdown is stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("roadie.db").display());
    let mut cmd = binary::command(&db_url, "localhost:1", dir.path());
    cmd.env("ROADIE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info,tower_http=debug");
    let mut server = Process::serve(cmd);
    let (status, _) = get_json(&server.url("/health/live")).await;
    assert_eq!(status, 200);
    server.terminate();
    assert!(server.wait(Duration::from_secs(30)).await.success());
    let lines = server.stderr_lines();
    assert!(!lines.is_empty());
    let events: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    for e in &events {
        assert!(e["timestamp"].is_string() && e["level"].is_string(), "{e}");
    }
    assert!(
        events.iter().any(|e| e["message"] == "shutting down"),
        "{lines:?}"
    );

    let mut bad = binary::command(&db_url, "localhost:1", dir.path());
    bad.env("ROADIE_LOG_FORMAT", "xml").arg("migrate");
    let out = binary::run(bad);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("ROADIE_LOG_FORMAT"), "{stderr}");
}

const BOUNDARY: &str = "roadie-ops-boundary";

/// Uploads a small PNG; returns the media's path (`/media/…`) and the stored bytes' length.
async fn upload_png(base: &str, token: &str) -> Value {
    let mut png = Vec::new();
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        img.as_raw(),
        64,
        48,
        image::ExtendedColorType::Rgb8,
    )
    .unwrap();
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&png);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/media"))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// `/media/NAME` from a media URL.
fn path_of(url: &Value) -> String {
    url::Url::parse(url.as_str().unwrap())
        .unwrap()
        .path()
        .to_owned()
}

async fn get_bytes(url: &str) -> (u16, Vec<u8>) {
    let res = reqwest::get(url).await.unwrap();
    (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_taken_during_writes_restores_to_a_working_instance() {
    let app = TestApp::spawn_with_workers(Backend::Sqlite, false, |_| {}).await;
    let (artist, token) = app.artist_with_token("band").await;
    let db_url = app.state.config.database_url.clone();
    let data_dir = app.state.config.data_dir.clone();
    let server = Process::serve(binary::command(&db_url, &app.domain, &data_dir));
    let base = server.url("");
    let media = upload_png(&base, &token).await;
    let media_path = path_of(&media["url"]);
    let (status, original_bytes) = get_bytes(&server.url(&media_path)).await;
    assert_eq!(status, 200);

    // A writer posts a bounded number of times while the backup runs.
    const POSTS: usize = 60;
    let writer = tokio::spawn({
        let (base, token) = (base.clone(), token.clone());
        async move {
            for i in 0..POSTS {
                let (status, _) = post_json(
                    &format!("{base}/api/v1/posts"),
                    &token,
                    json!({"content": format!("post {i}")}),
                )
                .await;
                assert_eq!(status, 201);
            }
        }
    });
    wait_for("the first posts", Duration::from_secs(30), || async {
        db::posts::count_live(app.db(), artist.id).await.unwrap() >= 5
    })
    .await;
    let backup_root = tempfile::tempdir().unwrap();
    let backup_dir = backup_root.path().join("backup");
    let mut cmd = binary::command(&db_url, &app.domain, &data_dir);
    cmd.args(["admin", "backup"]).arg(&backup_dir);
    let out = tokio::task::spawn_blocking(move || binary::run(cmd))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    writer.await.unwrap();
    drop(server);

    // Restore: the backup directory is a data directory.
    let restored_db = format!("sqlite://{}", backup_dir.join("roadie.db").display());
    let restored = Process::serve(binary::command(&restored_db, &app.domain, &backup_dir));
    let (status, _) = get_json(&restored.url("/health/ready")).await;
    assert_eq!(status, 200);
    let (status, outbox) = get_json(&restored.url("/users/band/outbox")).await;
    assert_eq!(status, 200);
    let in_backup = outbox["totalItems"].as_u64().unwrap() as usize;
    eprintln!("backup holds {in_backup} of {POSTS} posts written while it ran");
    assert!((5..=POSTS).contains(&in_backup), "{in_backup}");
    let (status, bytes) = get_bytes(&restored.url(&media_path)).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, original_bytes, "the media file came back");
    let (status, _) = post_json(
        &restored.url("/api/v1/posts"),
        &token,
        json!({"content": "after the restore"}),
    )
    .await;
    assert_eq!(status, 201, "the token and the database work");

    // A non-empty destination is refused, and PostgreSQL points to pg_dump.
    let mut again = binary::command(&db_url, &app.domain, &data_dir);
    again.args(["admin", "backup"]).arg(&backup_dir);
    let out = binary::run(again);
    assert!(!out.status.success());
    let (pg_url, _guard) = fresh_database(Backend::Postgres).await;
    let mut pg = binary::command(&pg_url, &app.domain, &data_dir);
    pg.args(["admin", "backup"])
        .arg(backup_root.path().join("pg"));
    let out = tokio::task::spawn_blocking(move || binary::run(pg))
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}

/// A remote fan row following `artist_id` (no server behind it: nothing is sent to it here).
async fn remote_follower(db: &db::Db, artist_id: i64, pem: &str, id: &str, inbox: &str) {
    let domain = url::Url::parse(id).unwrap().authority().to_owned();
    let actor = db::remote_actors::upsert(
        db,
        &NewRemoteActor {
            ap_id: id.to_owned(),
            username: id.rsplit('/').next().unwrap().to_owned(),
            domain,
            display_name: None,
            inbox: inbox.to_owned(),
            shared_inbox: None,
            public_key_id: format!("{id}#main-key"),
            public_key_pem: pem.to_owned(),
            url: None,
            fetched_at: db::now(),
        },
    )
    .await
    .unwrap();
    db::follows::import_accepted(db, artist_id, actor.id, &format!("{id}#follow"))
        .await
        .unwrap();
}

/// SQLite → PostgreSQL with `roadie admin copy-to`, then a server on PostgreSQL with the same
/// data directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_keeps_artists_keys_followers_and_media() {
    let app = TestApp::spawn_with_workers(Backend::Sqlite, false, |_| {}).await;
    let (artist, token) = app.artist_with_token("band").await;
    for i in 0..3 {
        remote_follower(
            app.db(),
            artist.id,
            &artist.public_key_pem,
            &format!("http://fans.invalid/users/fan{i}"),
            &format!("http://fans.invalid/users/fan{i}/inbox"),
        )
        .await;
    }
    let media = upload_png(&app.url(""), &token).await;
    let media_path = path_of(&media["url"]);
    let (status, post) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/posts",
            Some(json!({"content": "before the move"})),
        )
        .await;
    assert_eq!(status, 201);
    let (_, actor_before) = get_json(&app.url("/users/band")).await;

    let data_dir = app.state.config.data_dir.clone();
    let (pg_url, _guard) = fresh_database(Backend::Postgres).await;
    let mut copy = binary::command(&app.state.config.database_url, &app.domain, &data_dir);
    copy.args(["admin", "copy-to", &pg_url]);
    let out = tokio::task::spawn_blocking(move || binary::run(copy))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let server = Process::serve(binary::command(&pg_url, &app.domain, &data_dir));
    let (status, _) = get_json(&server.url("/health/ready")).await;
    assert_eq!(status, 200);
    let (status, actor_after) = get_json(&server.url("/users/band")).await;
    assert_eq!(status, 200);
    assert_eq!(
        actor_after["publicKey"], actor_before["publicKey"],
        "the actor's key is unchanged"
    );
    assert_eq!(
        actor_after["publicKey"]["publicKeyPem"],
        artist.public_key_pem
    );
    let (_, followers) = get_json(&server.url("/users/band/followers")).await;
    assert_eq!(followers["totalItems"], 3);
    let post_path = path_of(&post["url"]);
    let (status, note) = get_json(&server.url(&post_path)).await;
    assert_eq!(status, 200, "{post}");
    assert!(note["content"]
        .as_str()
        .unwrap()
        .contains("before the move"));
    let (status, _) = get_bytes(&server.url(&media_path)).await;
    assert_eq!(status, 200, "media files stay in the data directory");
    // Sequences continue after the copied ids; the token still works.
    let (status, newer) = post_json(
        &server.url("/api/v1/posts"),
        &token,
        json!({"content": "after the move"}),
    )
    .await;
    assert_eq!(status, 201, "{newer}");
    assert_ne!(newer["id"], post["id"]);

    // Copying again into the now used database is refused.
    let mut copy = binary::command(&app.state.config.database_url, &app.domain, &data_dir);
    copy.args(["admin", "copy-to", &pg_url]);
    let out = tokio::task::spawn_blocking(move || binary::run(copy))
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
}

/// Requests of each `Create` per inbox, over the peer's fans.
fn creates_per_object(peer: &Peer) -> HashMap<(String, String), usize> {
    let mut counts = HashMap::new();
    for r in peer.attempts_of_type("Create") {
        let object = r.body["object"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        *counts.entry((r.path.clone(), object)).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_and_a_worker_share_one_postgres() {
    // The in-process app only provides the database; it neither delivers nor schedules.
    let app = TestApp::spawn_with_workers(Backend::Postgres, false, |_| {}).await;
    let (artist, token) = app.artist_with_token("band").await;
    const FANS: usize = 12;
    let names: Vec<String> = (0..FANS).map(|i| format!("fan{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let peer = Peer::start(&refs, false).await;
    for name in &names {
        let id = peer.actor_id(name);
        remote_follower(
            app.db(),
            artist.id,
            &artist.public_key_pem,
            &id,
            &format!("{id}/inbox"),
        )
        .await;
    }
    let db_url = app.state.config.database_url.clone();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let a = Process::serve(binary::command(&db_url, &app.domain, dirs[0].path()));
    let b = Process::serve(binary::command(&db_url, &app.domain, dirs[0].path()));
    let worker = Process::worker(binary::command(&db_url, &app.domain, dirs[1].path()));

    // Whichever process a request lands on, it sees what the other did.
    let (status, post) =
        post_json(&a.url("/api/v1/posts"), &token, json!({"content": "via a"})).await;
    assert_eq!(status, 201);
    let (status, _) = get_json(&b.url(&path_of(&post["url"]))).await;
    assert_eq!(status, 200);
    let (status, _) = post_json(&b.url("/api/v1/posts"), &token, json!({"content": "via b"})).await;
    assert_eq!(status, 201);
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let (status, release) = post_json(
        &a.url("/api/v1/releases"),
        &token,
        json!({"title": "Soon", "kind": "single", "publish_at": at.to_rfc3339()}),
    )
    .await;
    assert_eq!(status, 201, "{release}");
    let res = reqwest::Client::new()
        .get(b.url(&format!("/api/v1/releases/{}", release["id"])))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Every fan gets three Creates: two posts and the release, fired by one of three schedulers.
    wait_for("every delivery", Duration::from_secs(60), || async {
        creates_per_object(&peer).len() == 3 * FANS
    })
    .await;
    wait_for("a settled queue", Duration::from_secs(60), || async {
        let s = db::deliveries::stats(app.db(), db::now()).await.unwrap();
        s.pending == 0 && s.claimed == 0
    })
    .await;
    // Every scheduler (5 s interval) runs again at least once before the final count.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let counts = creates_per_object(&peer);
    assert_eq!(counts.len(), 3 * FANS);
    let duplicated: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(duplicated.is_empty(), "sent more than once: {duplicated:?}");
    let releases: usize = counts
        .keys()
        .filter(|(_, object)| object.contains("/releases/"))
        .count();
    assert_eq!(
        releases, FANS,
        "the scheduled release went out once per fan"
    );
    drop((a, b, worker));
}
