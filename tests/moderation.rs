//! Moderation: domain blocks and the allowlist cut servers off (inbox, deliveries, fetches);
//! block lists move in and out as Mastodon's CSV (API and CLI); actor blocks; reports in and
//! out as `Flag`; artist suspension; the audit log; admin tokens.

use std::process::Command;

use reqwest::Method;
use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::{Backend, Peer, SignOptions, TestApp};

on_both_backends! {
    suspended_domain_is_cut_off,
    blocked_hosts_match_subdomains_case_dots_and_idn,
    silenced_domain_needs_approval_and_replies_are_hidden,
    allowlist_mode_federates_only_with_listed_domains,
    csv_import_export_through_the_api,
    csv_and_blocks_through_the_cli,
    blocked_actor_loses_follow_and_cannot_come_back,
    flag_becomes_a_report_unless_reports_are_rejected,
    report_sends_a_flag_from_the_instance_actor,
    suspended_artist_is_deleted_remotely_and_gone_locally,
}

const HEADER: &str = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate";

async fn admin_token(app: &TestApp, label: &str) -> String {
    roadie::domain::moderation::create_admin_token(app.db(), label)
        .await
        .expect("admin token")
}

async fn pending_deliveries(app: &TestApp) -> i64 {
    roadie::db::deliveries::stats(app.db(), roadie::db::now())
        .await
        .expect("stats")
        .pending
}

async fn block(app: &TestApp, admin: &str, body: Value) -> Value {
    let (status, row) = app
        .api(
            Method::POST,
            admin,
            "/api/v1/admin/domain_blocks",
            Some(body),
        )
        .await;
    assert_eq!(status, 200, "{row}");
    row
}

async fn post(app: &TestApp, token: &str) -> (i64, String) {
    let (status, body) = app
        .api(
            Method::POST,
            token,
            "/api/v1/posts",
            Some(json!({"content": "New song out!", "visibility": "public"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (
        body["id"].as_i64().unwrap(),
        body["url"].as_str().unwrap().to_owned(),
    )
}

fn activity(peer: &Peer, fan: &str, kind: &str, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#{}/{}", peer.actor_id(fan), kind.to_lowercase(), uuid::Uuid::new_v4()),
        "type": kind,
        "actor": peer.actor_id(fan),
        "object": object,
    })
}

fn reply(peer: &Peer, fan: &str, in_reply_to: &str) -> Value {
    let id = format!("{}/statuses/{}", peer.actor_id(fan), uuid::Uuid::new_v4());
    json!({
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": peer.actor_id(fan),
        "object": {
            "id": id,
            "type": "Note",
            "attributedTo": peer.actor_id(fan),
            "inReplyTo": in_reply_to,
            "content": "<p>great</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    })
}

async fn suspended_domain_is_cut_off(backend: Backend) {
    // No workers: what is queued stays visible in the queue.
    let app = TestApp::spawn_with_workers(backend, false, |_| {}).await;
    let (_, token) = app.artist_with_token("band").await;
    let admin = admin_token(&app, "mod-alice").await;
    let peer = Peer::start(&["fan"], true).await;
    let res = peer
        .deliver(
            "fan",
            &app.url("/users/band/inbox"),
            &peer.follow("fan", &app.url("/users/band")),
        )
        .await;
    assert_eq!(res.status(), 202);
    let (post_id, post_url) = post(&app, &token).await;
    let res = peer
        .deliver(
            "fan",
            &app.url("/inbox"),
            &activity(&peer, "fan", "Like", json!(post_url)),
        )
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(app.follower_count("band").await, 1);
    assert_eq!(
        pending_deliveries(&app).await,
        2,
        "Accept and Create queued"
    );

    // An artist token is not an admin token; no token is no access.
    let (status, _) = app
        .api(Method::GET, &token, "/api/v1/admin/domain_blocks", None)
        .await;
    assert_eq!(status, 403);
    let status = app
        .http
        .get(app.url("/api/v1/admin/domain_blocks"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);

    let row = block(
        &app,
        &admin,
        json!({"domain": "LOCALHOST.", "severity": "suspend", "public_comment": "spam"}),
    )
    .await;
    assert_eq!(row["domain"], "localhost");
    assert_eq!(row["severity"], "suspend");

    // Followers and interactions are gone, queued deliveries dropped.
    assert_eq!(app.follower_count("band").await, 0);
    assert_eq!(pending_deliveries(&app).await, 0);
    let (_, body) = app
        .api(
            Method::GET,
            &token,
            &format!("/api/v1/posts/{post_id}"),
            None,
        )
        .await;
    assert_eq!(body["counts"]["likes"], 0, "{body}");

    // 403 at both inboxes, without fetching anything from the peer.
    let fetched = peer.fetch_count();
    for inbox in ["/inbox", "/users/band/inbox"] {
        let res = peer
            .deliver(
                "fan",
                &app.url(inbox),
                &peer.follow("fan", &app.url("/users/band")),
            )
            .await;
        assert_eq!(res.status(), 403, "{inbox}");
    }
    // Remote follow does not ask a blocked server either.
    let res = app
        .http
        .get(app.url(&format!("/@band/follow?handle=fan%40{}", peer.domain)))
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("does not federate"));
    assert_eq!(
        peer.fetch_count(),
        fetched,
        "nothing fetched from a blocked server"
    );

    // Nothing new is queued for them.
    post(&app, &token).await;
    assert_eq!(pending_deliveries(&app).await, 0);
    assert_eq!(app.follower_count("band").await, 0);

    // The audit log names who did it.
    let (status, log) = app
        .api(Method::GET, &admin, "/api/v1/admin/audit_log", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(log[0]["actor"], "mod-alice");
    assert_eq!(log[0]["action"], "domain_block.create");
    assert_eq!(log[0]["target"], "localhost");

    // Lifting the block lets them follow again.
    let id = row["id"].as_str().unwrap();
    let (status, _) = app
        .api(
            Method::DELETE,
            &admin,
            &format!("/api/v1/admin/domain_blocks/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let res = peer
        .deliver(
            "fan",
            &app.url("/inbox"),
            &peer.follow("fan", &app.url("/users/band")),
        )
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(app.follower_count("band").await, 1);
}

async fn blocked_hosts_match_subdomains_case_dots_and_idn(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.artist_with_token("band").await;
    let admin = admin_token(&app, "mod").await;
    let peer = Peer::start(&["fan"], true).await;
    block(
        &app,
        &admin,
        json!({"domain": "blocked.example", "severity": "suspend"}),
    )
    .await;
    let row = block(
        &app,
        &admin,
        json!({"domain": "BÜCHER.example.", "severity": "suspend"}),
    )
    .await;
    assert_eq!(row["domain"], "xn--bcher-kva.example");

    // The peer signs, but the activity claims an actor on a blocked host: refused before any
    // fetch (unblocked, the same request fails the signature check with 401).
    let from = |actor: &str| {
        json!({
            "id": format!("{actor}#follow/{}", uuid::Uuid::new_v4()),
            "type": "Follow",
            "actor": actor,
            "object": app.url("/users/band"),
        })
    };
    for actor in [
        "http://blocked.example/users/x",
        "http://a.sub.blocked.example/users/x",
        "http://Sub.BLOCKED.example./users/x",
        "http://bücher.example/users/x",
        "http://SHOP.BÜCHER.EXAMPLE/users/x",
        "http://xn--bcher-kva.example./users/x",
    ] {
        let body = from(actor).to_string();
        let res = peer
            .post_signed(
                "fan",
                &app.url("/inbox"),
                body.as_bytes(),
                SignOptions::default(),
            )
            .await;
        assert_eq!(res.status(), 403, "{actor}");
    }
    for actor in [
        "http://notblocked.example/users/x",
        "http://blocked.example.org/users/x",
    ] {
        let body = from(actor).to_string();
        let res = peer
            .post_signed(
                "fan",
                &app.url("/inbox"),
                body.as_bytes(),
                SignOptions::default(),
            )
            .await;
        assert_ne!(res.status(), 403, "{actor} is not blocked");
    }

    // Bad domains are refused with 422; a second block of a domain is a conflict.
    let (status, _) = app
        .api(
            Method::POST,
            &admin,
            "/api/v1/admin/domain_blocks",
            Some(json!({"domain": "x.example/path", "severity": "suspend"})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .api(
            Method::POST,
            &admin,
            "/api/v1/admin/domain_blocks",
            Some(json!({"domain": "Blocked.Example", "severity": "silence"})),
        )
        .await;
    assert_eq!(status, 409);
}

async fn silenced_domain_needs_approval_and_replies_are_hidden(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let admin = admin_token(&app, "mod").await;
    let peer = Peer::start(&["fan"], true).await;
    block(
        &app,
        &admin,
        json!({"domain": "localhost", "severity": "silence"}),
    )
    .await;
    let res = peer
        .deliver(
            "fan",
            &app.url("/inbox"),
            &peer.follow("fan", &app.url("/users/band")),
        )
        .await;
    assert_eq!(res.status(), 202);
    app.run_deliveries().await;
    assert!(peer.received_of_type("Accept").is_empty());
    assert_eq!(app.follower_count("band").await, 0);
    let (_, requests) = app
        .api(Method::GET, &token, "/api/v1/follow_requests", None)
        .await;
    assert_eq!(requests.as_array().unwrap().len(), 1, "{requests}");

    let (_, post_url) = post(&app, &token).await;
    let res = peer
        .deliver("fan", &app.url("/inbox"), &reply(&peer, "fan", &post_url))
        .await;
    assert_eq!(res.status(), 202);
    let (_, replies) = app.api(Method::GET, &token, "/api/v1/replies", None).await;
    assert_eq!(replies[0]["hidden"], true, "{replies}");
}

async fn allowlist_mode_federates_only_with_listed_domains(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.federation_mode = roadie::config::FederationMode::Allowlist
    })
    .await;
    app.artist_with_token("band").await;
    let admin = admin_token(&app, "mod").await;
    let peer = Peer::start(&["fan"], true).await;
    let res = peer
        .deliver(
            "fan",
            &app.url("/inbox"),
            &peer.follow("fan", &app.url("/users/band")),
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(peer.fetch_count(), 0);

    let (status, allow) = app
        .api(
            Method::POST,
            &admin,
            "/api/v1/admin/domain_allows",
            Some(json!({"domain": "LocalHost."})),
        )
        .await;
    assert_eq!(status, 200, "{allow}");
    assert_eq!(allow["domain"], "localhost");
    let res = peer
        .deliver(
            "fan",
            &app.url("/inbox"),
            &peer.follow("fan", &app.url("/users/band")),
        )
        .await;
    assert_eq!(res.status(), 202);
    app.run_deliveries().await;
    assert_eq!(peer.received_of_type("Accept").len(), 1);

    // Blocks still apply to allowed domains.
    block(
        &app,
        &admin,
        json!({"domain": "localhost", "severity": "suspend"}),
    )
    .await;
    assert_eq!(app.follower_count("band").await, 0);
}

async fn import(app: &TestApp, admin: &str, csv: &str) -> (u16, Value) {
    let res = app
        .http
        .post(app.url("/api/v1/admin/domain_blocks/import"))
        .bearer_auth(admin)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn export(app: &TestApp, admin: &str) -> String {
    let res = app
        .http
        .get(app.url("/api/v1/admin/domain_blocks/export"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    res.text().await.unwrap()
}

async fn csv_import_export_through_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = admin_token(&app, "mod").await;
    let csv = format!(
        "{HEADER}\n\
         spam.example,suspend,true,true,\"spam, lots of it\",false\n\
         Bücher.example.,silence,false,false,,true\n\
         quiet.example,noop,true,false,\"said \"\"hi\"\"\",false\n"
    );
    let (status, body) = import(&app, &admin, &csv).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], 3);
    let expected = format!(
        "{HEADER}\n\
         quiet.example,noop,true,false,\"said \"\"hi\"\"\",false\n\
         spam.example,suspend,true,true,\"spam, lots of it\",false\n\
         xn--bcher-kva.example,silence,false,false,,true\n"
    );
    let exported = export(&app, &admin).await;
    assert_eq!(exported, expected);
    // What was exported imports again to the same list.
    let (status, _) = import(&app, &admin, &exported).await;
    assert_eq!(status, 200);
    assert_eq!(export(&app, &admin).await, expected);

    // Bad rows are named by line; nothing of the file is imported.
    let bad = format!(
        "{HEADER}\n\
         new.example,suspend,false,false,,false\n\
         other.example,ban,false,false,,false\n\
         good.example,silence,false,false,,false\n\
         not a domain,suspend,false,false,,false\n\
         short.example,suspend\n"
    );
    let (status, body) = import(&app, &admin, &bad).await;
    assert_eq!(status, 422, "{body}");
    let error = body["error"].as_str().unwrap();
    for line in ["line 3:", "line 5:", "line 6:"] {
        assert!(error.contains(line), "{line} in {error}");
    }
    assert!(
        !error.contains("line 2:") && !error.contains("line 4:"),
        "{error}"
    );
    assert_eq!(
        export(&app, &admin).await,
        expected,
        "nothing half-imported"
    );

    let (status, _) = import(&app, &admin, "domain,severity\nx.example,suspend\n").await;
    assert_eq!(status, 422, "header checked");
    let res = app
        .http
        .post(app.url("/api/v1/admin/domain_blocks/import"))
        .bearer_auth(&admin)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
}

fn roadie(app: &TestApp, data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_roadie"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ROADIE_DATABASE_URL", &app.state.config.database_url)
        .env("ROADIE_DATA_DIR", data_dir);
    cmd
}

fn run(mut cmd: Command, args: &[&str]) -> (bool, String, String) {
    let out = cmd.args(args).output().expect("run roadie");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn csv_and_blocks_through_the_cli(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blocks.csv");
    let csv = format!(
        "{HEADER}\nspam.example,suspend,false,true,\"a, b\",false\nquiet.example,silence,false,false,,false\n"
    );
    std::fs::write(&file, &csv).unwrap();
    let (ok, out, err) = run(
        roadie(&app, dir.path()),
        &["admin", "domain-block", "import", file.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    assert!(out.contains("imported 2"), "{out}");
    let (ok, out, _) = run(
        roadie(&app, dir.path()),
        &["admin", "domain-block", "export"],
    );
    assert!(ok);
    assert_eq!(
        out,
        format!(
            "{HEADER}\nquiet.example,silence,false,false,,false\nspam.example,suspend,false,true,\"a, b\",false\n"
        )
    );

    std::fs::write(
        &file,
        format!("{HEADER}\nfine.example,suspend,false,false,,false\nbad.example,maybe,false,false,,false\n"),
    )
    .unwrap();
    let (ok, _, err) = run(
        roadie(&app, dir.path()),
        &["admin", "domain-block", "import", file.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(err.contains("line 3:"), "{err}");
    let (_, out, _) = run(roadie(&app, dir.path()), &["admin", "domain-block", "list"]);
    assert!(
        !out.contains("fine.example"),
        "nothing half-imported: {out}"
    );

    let (ok, out, err) = run(
        roadie(&app, dir.path()),
        &[
            "admin",
            "domain-block",
            "add",
            "Evil.Example.",
            "--severity",
            "suspend",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("evil.example"), "{out}");
    let (_, out, _) = run(roadie(&app, dir.path()), &["admin", "domain-block", "list"]);
    assert!(out.contains("evil.example\tsuspend"), "{out}");
    let (ok, _, err) = run(
        roadie(&app, dir.path()),
        &["admin", "domain-block", "remove", "evil.example"],
    );
    assert!(ok, "{err}");
    let (_, out, _) = run(roadie(&app, dir.path()), &["admin", "domain-block", "list"]);
    assert!(!out.contains("evil.example"), "{out}");

    // An admin token from the CLI works on the admin API; the audit log shows the CLI's work.
    let (ok, out, err) = run(
        roadie(&app, dir.path()),
        &["admin", "token", "create", "--admin", "--label", "ops"],
    );
    assert!(ok, "{err}");
    let token = out.lines().last().unwrap().to_owned();
    assert!(token.starts_with("roadie_admin_"), "{out}");
    let (status, blocks) = app
        .api(Method::GET, &token, "/api/v1/admin/domain_blocks", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(blocks.as_array().unwrap().len(), 2);
    let (ok, out, _) = run(roadie(&app, dir.path()), &["admin", "audit"]);
    assert!(ok);
    assert!(
        out.contains("cli\tdomain_block.delete\tevil.example"),
        "{out}"
    );
    assert!(
        out.contains("cli\tdomain_block.import\tspam.example"),
        "{out}"
    );
}

async fn blocked_actor_loses_follow_and_cannot_come_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.artist_with_token("band").await;
    let admin = admin_token(&app, "mod").await;
    let peer = Peer::start(&["troll", "fan"], true).await;
    for fan in ["troll", "fan"] {
        let res = peer
            .deliver(
                fan,
                &app.url("/inbox"),
                &peer.follow(fan, &app.url("/users/band")),
            )
            .await;
        assert_eq!(res.status(), 202);
    }
    assert_eq!(app.follower_count("band").await, 2);
    let (status, row) = app
        .api(
            Method::POST,
            &admin,
            "/api/v1/admin/actor_blocks",
            Some(json!({"actor": peer.actor_id("troll"), "comment": "harassment"})),
        )
        .await;
    assert_eq!(status, 200, "{row}");
    assert_eq!(
        app.follower_count("band").await,
        1,
        "only the troll is gone"
    );
    let res = peer
        .deliver(
            "troll",
            &app.url("/inbox"),
            &peer.follow("troll", &app.url("/users/band")),
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(app.follower_count("band").await, 1);
    app.run_deliveries().await;
}

async fn flag_becomes_a_report_unless_reports_are_rejected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let admin = admin_token(&app, "mod").await;
    let peer = Peer::start(&["reporter"], true).await;
    let (_, post_url) = post(&app, &token).await;
    let mut flag = activity(
        &peer,
        "reporter",
        "Flag",
        json!([
            app.url("/users/band"),
            post_url,
            "https://elsewhere.example/x"
        ]),
    );
    flag["content"] = json!("This is spam");
    let res = peer.deliver("reporter", &app.url("/inbox"), &flag).await;
    assert_eq!(res.status(), 202);
    let (status, reports) = app
        .api(Method::GET, &admin, "/api/v1/admin/reports", None)
        .await;
    assert_eq!(status, 200);
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(report["direction"], "in");
    assert_eq!(report["origin"], peer.actor_id("reporter"));
    assert_eq!(report["target_actor"], app.url("/users/band"));
    assert_eq!(
        report["object_ids"],
        json!([app.url("/users/band"), post_url])
    );
    assert_eq!(report["comment"], "This is spam");
    assert_eq!(report["action_taken"], false);

    let id = report["id"].as_str().unwrap();
    let (status, resolved) = app
        .api(
            Method::POST,
            &admin,
            &format!("/api/v1/admin/reports/{id}/resolve"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["action_taken"], true);
    assert_eq!(resolved["action_taken_by"], "mod");

    // From a domain whose reports are rejected, a Flag is accepted and dropped.
    block(
        &app,
        &admin,
        json!({"domain": "localhost", "severity": "noop", "reject_reports": true}),
    )
    .await;
    let res = peer
        .deliver(
            "reporter",
            &app.url("/inbox"),
            &activity(&peer, "reporter", "Flag", json!([app.url("/users/band")])),
        )
        .await;
    assert_eq!(res.status(), 202);
    let (_, open) = app
        .api(Method::GET, &admin, "/api/v1/admin/reports", None)
        .await;
    assert_eq!(open.as_array().unwrap().len(), 0, "{open}");
    let (_, done) = app
        .api(
            Method::GET,
            &admin,
            "/api/v1/admin/reports?resolved=true",
            None,
        )
        .await;
    assert_eq!(done.as_array().unwrap().len(), 1);
}

async fn report_sends_a_flag_from_the_instance_actor(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let admin = admin_token(&app, "mod").await;
    let peer = Peer::start(&["troll"], true).await;
    let (_, post_url) = post(&app, &token).await;
    let create = reply(&peer, "troll", &post_url);
    let res = peer.deliver("troll", &app.url("/inbox"), &create).await;
    assert_eq!(res.status(), 202);
    let (_, replies) = app.api(Method::GET, &token, "/api/v1/replies", None).await;
    let reply_id = replies[0]["id"].as_i64().unwrap();

    let (status, report) = app
        .api(
            Method::POST,
            &token,
            "/api/v1/reports",
            Some(json!({"reply_ids": [reply_id], "comment": "abusive"})),
        )
        .await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["direction"], "out");
    app.run_deliveries().await;
    let flags = peer.received_of_type("Flag");
    assert_eq!(flags.len(), 1);
    let flag = &flags[0];
    assert!(flag.signature_valid, "signed by the instance actor's key");
    assert_eq!(flag.key_id, app.url("/actor#main-key"));
    assert_eq!(flag.path, "/users/troll/inbox");
    assert_eq!(flag.body["actor"], app.url("/actor"));
    assert_eq!(flag.body["content"], "abusive");
    assert_eq!(
        flag.body["object"],
        json!([peer.actor_id("troll"), create["object"]["id"]])
    );
    assert!(flag.body["id"].as_str().unwrap().starts_with(&app.url("/")));
    assert!(flag.body["@context"].is_array() || flag.body["@context"].is_string());

    // The admin may also report, and remove the reply everywhere.
    let (status, _) = app
        .api(
            Method::POST,
            &admin,
            "/api/v1/admin/reports",
            Some(json!({"account": peer.actor_id("troll")})),
        )
        .await;
    assert_eq!(status, 201);
    app.run_deliveries().await;
    assert_eq!(peer.received_of_type("Flag").len(), 2);
    let (status, _) = app
        .api(
            Method::DELETE,
            &admin,
            &format!("/api/v1/admin/replies/{reply_id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, replies) = app.api(Method::GET, &token, "/api/v1/replies", None).await;
    assert_eq!(replies, json!([]));
    let (_, log) = app
        .api(Method::GET, &admin, "/api/v1/admin/audit_log", None)
        .await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "reply.remove",
            "report.create",
            "report.create",
            "admin_token.create"
        ]
    );
    assert_eq!(log[2]["actor"], "artist:band");
}

async fn suspended_artist_is_deleted_remotely_and_gone_locally(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.limits.suspension_delete_delay = std::time::Duration::from_secs(1)
    })
    .await;
    let (_, token) = app.artist_with_token("band").await;
    let admin = admin_token(&app, "mod").await;
    let peer = Peer::start(&["fan"], true).await;
    peer.deliver(
        "fan",
        &app.url("/inbox"),
        &peer.follow("fan", &app.url("/users/band")),
    )
    .await;
    app.run_deliveries().await;

    let (status, body) = app
        .api(
            Method::POST,
            &admin,
            "/api/v1/admin/accounts/band/action",
            Some(json!({"type": "suspend", "text": "spam"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.run_deliveries().await;
    let mut received = peer.received();
    received.sort_by_key(|r| r.at);
    let sent: Vec<String> = received
        .iter()
        .map(|r| r.body["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(sent, ["Accept", "Update", "Delete"]);
    let delete = &peer.received_of_type("Delete")[0];
    assert_eq!(delete.body["object"], app.url("/users/band"));
    assert_eq!(delete.body["actor"], app.url("/users/band"));

    for path in [
        "/users/band",
        "/@band",
        "/@band/feed.atom",
        "/users/band/outbox",
    ] {
        let (status, _, _) = app.get_ap(&app.url(path)).await;
        assert_eq!(status, 410, "{path}");
    }
    let res = app
        .http
        .get(app.webfinger_url(&format!("acct:band@{}", app.domain)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 410);
    let (status, _) = app.api(Method::GET, &token, "/api/v1/profile", None).await;
    assert_eq!(status, 403, "a suspended artist's token is refused");
    let res = peer
        .deliver(
            "fan",
            &app.url("/inbox"),
            &peer.follow("fan", &app.url("/users/band")),
        )
        .await;
    assert_eq!(res.status(), 410, "no new followers while suspended");

    let (status, _) = app
        .api(
            Method::POST,
            &admin,
            "/api/v1/admin/accounts/band/unsuspend",
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _, actor) = app.get_ap(&app.url("/users/band")).await;
    assert_eq!(status, 200);
    assert_eq!(actor["id"], app.url("/users/band"));
    let (_, log) = app
        .api(Method::GET, &admin, "/api/v1/admin/audit_log", None)
        .await;
    assert_eq!(log[0]["action"], "artist.unsuspend");
    assert_eq!(log[1]["action"], "artist.suspend");
    assert_eq!(log[1]["actor"], "mod");
    assert_eq!(log[1]["target"], "band");
    assert_eq!(log[1]["detail"], "spam", "the reason is kept");
}
