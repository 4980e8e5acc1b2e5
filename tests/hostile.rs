//! A hostile fediverse: servers that lie about origins, point Roadie at its own network, drip
//! or bomb their answers, send markup and invisible characters, oversized or replayed
//! activities. Each case ends in a clear 4xx or a silent ignore; nothing is stored and nothing
//! answers 500. The fetching cases run with production settings (private networks refused):
//! host names get fixed answers from the app's own resolver, which still checks them.

use std::{
    io::Write,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::State,
    http::{StatusCode, Uri},
    response::{IntoResponse, Response},
    Router,
};
use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::{Backend, Peer, SignOptions, TestApp};

on_both_backends! {
    origins_and_foreign_objects_change_nothing,
    hostile_markup_and_names_are_neutralised,
    huge_and_deep_inputs_are_refused_or_truncated,
    replays_have_one_effect,
}

// ---------------------------------------------------------------------------------------------
// A hostile server: answers by path, records every path it was asked for.

#[derive(Clone)]
struct HostileState {
    port: u16,
    roadie: String,
    /// The public key of the peer actor "fan", so that a document that got through would verify.
    key_id: String,
    public_pem: String,
    hits: Arc<Mutex<Vec<String>>>,
}

struct Hostile {
    port: u16,
    hits: Arc<Mutex<Vec<String>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Hostile {
    async fn start(roadie: &str, peer: &Peer) -> Hostile {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (_, _, fan) = get_json(&format!("http://127.0.0.1:{}/users/fan", peer.port())).await;
        let hits = Arc::new(Mutex::new(Vec::new()));
        let state = HostileState {
            port,
            roadie: roadie.to_owned(),
            key_id: peer.key_id("fan"),
            public_pem: fan["publicKey"]["publicKeyPem"]
                .as_str()
                .unwrap()
                .to_owned(),
            hits: hits.clone(),
        };
        let app = Router::new().fallback(hostile).with_state(state);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Hostile { port, hits, server }
    }

    fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }
}

async fn get_json(url: &str) -> (u16, String, Value) {
    let res = reqwest::Client::new()
        .get(url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, ctype, res.json().await.unwrap_or(Value::Null))
}

/// An actor document that Roadie would accept for `id`, signed requests verifying with the
/// peer's "fan" key.
fn actor_doc(state: &HostileState, id: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": id.rsplit('/').next().unwrap_or("x"),
        "inbox": format!("{id}/inbox"),
        "publicKey": {"id": state.key_id, "owner": id, "publicKeyPem": state.public_pem},
    })
}

const AP: &str = "application/activity+json";

fn redirect(to: String) -> Response {
    (StatusCode::FOUND, [("location", to)]).into_response()
}

fn gzip_bomb() -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..64 {
        encoder.write_all(&zeros).unwrap();
    }
    encoder.finish().unwrap()
}

async fn hostile(State(st): State<HostileState>, uri: Uri) -> Response {
    let path = uri.path().to_owned();
    st.hits.lock().unwrap().push(path.clone());
    let port = st.port;
    let here = format!("http://evil.test:{port}{path}");
    match path.as_str() {
        "/users/redirect-private" => redirect(format!("http://private.test:{port}/users/target")),
        "/users/hop1" => redirect(format!("http://evil.test:{port}/users/hop2")),
        "/users/hop2" => redirect(format!("http://evil.test:{port}/users/hop3")),
        "/users/to-roadie" => redirect(format!("{}/users/band", st.roadie)),
        "/users/html" => (
            [("content-type", "text/html")],
            actor_doc(&st, &here).to_string(),
        )
            .into_response(),
        "/users/image" => (
            [("content-type", "image/png")],
            actor_doc(&st, &here).to_string(),
        )
            .into_response(),
        "/users/wrong-id" => (
            [("content-type", AP)],
            actor_doc(&st, &format!("http://other.test:{port}/users/wrong-id")).to_string(),
        )
            .into_response(),
        "/users/roadie-id" => (
            [("content-type", AP)],
            actor_doc(&st, &format!("{}/users/band", st.roadie)).to_string(),
        )
            .into_response(),
        "/users/bomb" => (
            [("content-type", AP), ("content-encoding", "gzip")],
            gzip_bomb(),
        )
            .into_response(),
        "/users/huge" => {
            let mut doc = actor_doc(&st, &here);
            doc["summary"] = json!("x".repeat(3 << 20));
            ([("content-type", AP)], doc.to_string()).into_response()
        }
        "/users/private-inbox" => {
            let mut doc = actor_doc(&st, &here);
            doc["inbox"] = json!(format!("http://private.test:{port}/private-inbox"));
            ([("content-type", AP)], doc.to_string()).into_response()
        }
        "/.well-known/webfinger" => webfinger(&st, uri.query().unwrap_or_default()),
        _ => ([("content-type", AP)], actor_doc(&st, &here).to_string()).into_response(),
    }
}

fn webfinger(st: &HostileState, query: &str) -> Response {
    let resource = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "resource")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let user = resource
        .strip_prefix("acct:")
        .and_then(|r| r.split('@').next())
        .unwrap_or_default()
        .to_owned();
    let port = st.port;
    let (subject, template) = match user.as_str() {
        "other-subject" => (
            "acct:someone@elsewhere.example".to_owned(),
            format!("http://evil.test:{port}/authorize_interaction?uri={{uri}}"),
        ),
        "other-host" => (
            resource.clone(),
            "http://phish.example/authorize_interaction?uri={uri}".to_owned(),
        ),
        _ => (
            resource.clone(),
            format!("http://evil.test:{port}/authorize_interaction?uri={{uri}}"),
        ),
    };
    (
        [("content-type", "application/jrd+json")],
        json!({
            "subject": subject,
            "links": [{"rel": "http://ostatus.org/schema/1.0/subscribe", "template": template}],
        })
        .to_string(),
    )
        .into_response()
}

/// A server that sends its headers, then one byte every half second: only a total deadline
/// stops reading it.
async fn start_drip() -> (u16, tokio::task::JoinHandle<()>) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        for _ in 0..10 {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {AP}\r\ncontent-length: 1000\r\n\r\n"
                );
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for _ in 0..120 {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    if socket.write_all(b" ").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, task)
}

/// Production settings, plus fixed DNS answers: `evil.test`, `other.test` and `drip.test`
/// play public servers (on loopback); the others resolve to addresses that must be refused.
async fn production_app(backend: Backend, timeout: Duration) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.allow_private_network = false;
        c.limits.request_timeout = timeout;
        let dns = &mut c.network.dns_overrides;
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        for public in ["evil.test", "other.test", "drip.test"] {
            dns.insert(public, vec![loopback], true);
        }
        for (name, ip) in [
            ("private.test", "127.0.0.1"),
            ("mapped.test", "::ffff:127.0.0.1"),
            ("nat64.test", "64:ff9b::7f00:1"),
            ("cgnat.test", "100.64.0.1"),
            ("linklocal.test", "169.254.169.254"),
            ("lan.test", "192.168.1.1"),
            ("ula.test", "fd00::1"),
        ] {
            dns.insert(name, vec![ip.parse().unwrap()], false);
        }
    })
    .await
}

/// A `Follow` of the band from `actor`, signed with the peer's "fan" key (which every hostile
/// actor document publishes): accepted if and only if Roadie fetched and accepted `actor`.
async fn follow_from(app: &TestApp, peer: &Peer, actor: &str) -> u16 {
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}#follows/{}", uuid::Uuid::new_v4()),
        "type": "Follow",
        "actor": actor,
        "object": app.url("/users/band"),
    });
    let res = tokio::time::timeout(
        Duration::from_secs(60),
        peer.post_signed(
            "fan",
            &app.url("/users/band/inbox"),
            follow.to_string().as_bytes(),
            SignOptions::default(),
        ),
    )
    .await
    .expect("the inbox answers within 60 s");
    res.status().as_u16()
}

// ---------------------------------------------------------------------------------------------
// Fetching (SSRF), production settings. The network behaviour does not depend on the database.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_destinations_are_refused_at_connect_time() {
    let app = production_app(Backend::Sqlite, Duration::from_secs(5)).await;
    app.artist_with_token("band").await;
    let peer = Peer::start(&["fan"], true).await;
    let evil = Hostile::start(&format!("http://{}", app.domain), &peer).await;
    let port = evil.port;

    // Control: a public server's actor is fetched and the follow accepted.
    let control = format!("http://evil.test:{port}/users/control");
    assert_eq!(follow_from(&app, &peer, &control).await, 202);
    assert_eq!(app.follower_count("band").await, 1);

    let refused = [
        format!("http://private.test:{port}/users/loopback"),
        format!("http://mapped.test:{port}/users/mapped"),
        format!("http://nat64.test:{port}/users/nat64"),
        format!("http://cgnat.test:{port}/users/cgnat"),
        format!("http://linklocal.test:{port}/users/linklocal"),
        format!("http://lan.test:{port}/users/lan"),
        format!("http://ula.test:{port}/users/ula"),
        format!("http://localhost:{port}/users/localhost"),
        format!("http://127.0.0.1:{port}/users/literal"),
        format!("http://[::ffff:127.0.0.1]:{port}/users/literal-mapped"),
        format!("http://[::1]:{port}/users/literal-v6"),
    ];
    for actor in &refused {
        let status = follow_from(&app, &peer, actor).await;
        assert!((400..500).contains(&status), "{actor}: {status}");
        let path = url::Url::parse(actor).unwrap().path().to_owned();
        assert_eq!(evil.hits(&path), 0, "{actor} was connected to");
    }

    // A public server redirecting to a private one: the redirect is followed, the private
    // address is not connected to.
    let status = follow_from(
        &app,
        &peer,
        &format!("http://evil.test:{port}/users/redirect-private"),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(evil.hits("/users/redirect-private"), 1);
    assert_eq!(evil.hits("/users/target"), 0);

    // At most one redirect.
    let status = follow_from(&app, &peer, &format!("http://evil.test:{port}/users/hop1")).await;
    assert_eq!(status, 401);
    assert_eq!(evil.hits("/users/hop2"), 1);
    assert_eq!(
        evil.hits("/users/hop3"),
        0,
        "a second redirect is not followed"
    );

    // A follower whose inbox resolves to a private address gets nothing delivered there.
    let status = follow_from(
        &app,
        &peer,
        &format!("http://evil.test:{port}/users/private-inbox"),
    )
    .await;
    assert_eq!(status, 202, "the actor itself is on a public server");
    app.run_deliveries().await;
    assert_eq!(evil.hits("/private-inbox"), 0);
    assert_eq!(app.follower_count("band").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lying_and_abusive_answers_are_refused() {
    // A short total deadline, so the dripping server is cut off quickly.
    let app = production_app(Backend::Sqlite, Duration::from_secs(2)).await;
    app.artist_with_token("band").await;
    let peer = Peer::start(&["fan"], true).await;
    let evil = Hostile::start(&format!("http://{}", app.domain), &peer).await;
    let port = evil.port;
    let (drip_port, _drip) = start_drip().await;

    for (case, actor) in [
        ("text/html", format!("http://evil.test:{port}/users/html")),
        ("image/*", format!("http://evil.test:{port}/users/image")),
        (
            "id on another host",
            format!("http://evil.test:{port}/users/wrong-id"),
        ),
        (
            "id on Roadie",
            format!("http://evil.test:{port}/users/roadie-id"),
        ),
        (
            "redirect to Roadie",
            format!("http://evil.test:{port}/users/to-roadie"),
        ),
        ("gzip bomb", format!("http://evil.test:{port}/users/bomb")),
        (
            "3 MiB document",
            format!("http://evil.test:{port}/users/huge"),
        ),
        (
            "dripping server",
            format!("http://drip.test:{drip_port}/users/drip"),
        ),
    ] {
        let status = follow_from(&app, &peer, &actor).await;
        assert_eq!(status, 401, "{case}");
    }
    assert_eq!(
        evil.hits("/users/html"),
        1,
        "the refusals were real fetches"
    );
    assert_eq!(app.follower_count("band").await, 0);
    // Roadie's own actor is untouched and still served.
    let (status, _, band) = app.get_ap(&app.url("/users/band")).await;
    assert_eq!(status, 200);
    assert_eq!(band["id"], app.url("/users/band"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webfinger_answers_about_other_hosts_are_refused() {
    let app = production_app(Backend::Sqlite, Duration::from_secs(5)).await;
    app.artist_with_token("band").await;
    let peer = Peer::start(&["fan"], true).await;
    let evil = Hostile::start(&format!("http://{}", app.domain), &peer).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let remote_follow = |user: &str| {
        let url = url::Url::parse_with_params(
            &app.url("/@band/follow"),
            [("handle", format!("@{user}@evil.test:{}", evil.port))],
        )
        .unwrap();
        client.get(url).send()
    };
    let res = remote_follow("fine").await.unwrap();
    assert_eq!(res.status(), 303, "control: a truthful answer is followed");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("http://evil.test:{}/", evil.port)),
        "{location}"
    );
    for user in ["other-subject", "other-host"] {
        let res = remote_follow(user).await.unwrap();
        assert_eq!(res.status(), 422, "{user}");
        assert!(res.headers().get("location").is_none());
        let page = res.text().await.unwrap();
        assert!(!page.contains("phish.example"), "{page}");
    }
    assert_eq!(evil.hits("/.well-known/webfinger"), 3);
}

// ---------------------------------------------------------------------------------------------
// Signature and origin.

async fn public_post(app: &TestApp, token: &str) -> (i64, String) {
    let (status, body) = app
        .api(
            reqwest::Method::POST,
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

async fn counts(app: &TestApp, token: &str, id: i64) -> Value {
    let (status, body) = app
        .api(
            reqwest::Method::GET,
            token,
            &format!("/api/v1/posts/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["counts"].clone()
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

fn reply(peer: &Peer, fan: &str, note: Value) -> Value {
    let mut note = note;
    note["type"] = json!("Note");
    note["attributedTo"] = json!(peer.actor_id(fan));
    if note.get("to").is_none() {
        note["to"] = json!(["https://www.w3.org/ns/activitystreams#Public"]);
    }
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activity", note["id"].as_str().unwrap()),
        "type": "Create",
        "actor": peer.actor_id(fan),
        "object": note,
    })
}

async fn page(app: &TestApp, url: &str) -> String {
    let res = app.http.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn origins_and_foreign_objects_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["ann", "mallory"], true).await;
    let (id, url) = public_post(&app, &token).await;
    let inbox = app.url("/inbox");

    // Ann follows and boosts.
    let follow = peer.follow("ann", &app.url("/users/band"));
    assert_eq!(peer.deliver("ann", &inbox, &follow).await.status(), 202);
    let boost = activity(&peer, "ann", "Announce", json!(url));
    assert_eq!(peer.deliver("ann", &inbox, &boost).await.status(), 202);
    assert_eq!(counts(&app, &token, id).await["boosts"], 1);

    // Mallory, on the same host, undoes Ann's boost and Ann's follow: no effect.
    let mut undo_boost = peer.undo("mallory", &boost);
    undo_boost["object"]["actor"] = json!(peer.actor_id("ann"));
    assert_eq!(
        peer.deliver("mallory", &inbox, &undo_boost).await.status(),
        202
    );
    let undo_follow = peer.undo("mallory", &follow);
    assert_eq!(
        peer.deliver("mallory", &inbox, &undo_follow).await.status(),
        202
    );
    assert_eq!(counts(&app, &token, id).await["boosts"], 1);
    assert_eq!(app.follower_count("band").await, 1);

    // Ann replies; Mallory may neither edit nor delete it (same host, other actor).
    let reply_id = format!("{}/statuses/1", peer.actor_id("ann"));
    let create = reply(
        &peer,
        "ann",
        json!({"id": reply_id, "inReplyTo": url, "content": "<p>Great</p>"}),
    );
    assert_eq!(peer.deliver("ann", &inbox, &create).await.status(), 202);
    let update = json!({
        "id": format!("{}#updates/1", peer.actor_id("mallory")),
        "type": "Update",
        "actor": peer.actor_id("mallory"),
        "object": {"id": reply_id, "type": "Note", "attributedTo": peer.actor_id("ann"), "content": "<p>HACKED</p>"},
    });
    let status = peer.deliver("mallory", &inbox, &update).await.status();
    assert!(status == 202 || status == 403, "{status}");
    let delete = activity(
        &peer,
        "mallory",
        "Delete",
        json!({"id": reply_id, "type": "Tombstone"}),
    );
    assert_eq!(peer.deliver("mallory", &inbox, &delete).await.status(), 202);
    let html = page(&app, &url).await;
    assert!(html.contains("Great") && !html.contains("HACKED"), "{html}");

    // A note whose id is a Roadie URL, or on another host than its author: refused.
    for (case, note_id) in [
        ("Roadie URL", app.url(&format!("/users/band/posts/{id}"))),
        ("other host", "http://elsewhere.example/notes/1".to_owned()),
    ] {
        let mut forged = reply(
            &peer,
            "ann",
            json!({"id": note_id, "inReplyTo": url, "content": "<p>forged</p>"}),
        );
        forged["id"] = json!(format!(
            "{}#creates/{}",
            peer.actor_id("ann"),
            uuid::Uuid::new_v4()
        ));
        let status = peer.deliver("ann", &inbox, &forged).await.status();
        assert_eq!(status, 400, "{case}");
    }
    // A note attributed to someone else than the actor: refused.
    let mut forged = reply(
        &peer,
        "ann",
        json!({"id": format!("{}/statuses/2", peer.actor_id("ann")), "inReplyTo": url, "content": "<p>x</p>"}),
    );
    forged["object"]["attributedTo"] = json!(peer.actor_id("mallory"));
    assert_eq!(peer.deliver("ann", &inbox, &forged).await.status(), 403);
    // An activity whose id is on Roadie's host.
    let mut local_id = activity(&peer, "ann", "Like", json!(url));
    local_id["id"] = json!(app.url("/activities/forged"));
    assert_eq!(peer.deliver("ann", &inbox, &local_id).await.status(), 400);

    assert_eq!(counts(&app, &token, id).await["replies"], 1);
    assert_eq!(counts(&app, &token, id).await["likes"], 0);
    let html = page(&app, &url).await;
    assert!(!html.contains("forged"), "{html}");
    app.run_deliveries().await;
}

// ---------------------------------------------------------------------------------------------
// Content.

/// Hostile markup and invisible characters never reach a page or an API answer: no tag of a
/// dangerous kind, no tag with an event handler or a script URL, no direction overrides or
/// zero-width characters. (Escaped text such as `&lt;iframe onload=…&gt;` is harmless.)
fn assert_clean(what: &str, text: &str) {
    for invisible in ["\u{202E}", "\u{200B}", "\u{2067}"] {
        assert!(
            !text.contains(invisible),
            "{invisible:?} reached {what}: {text}"
        );
    }
    for tag in text.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or_default().to_lowercase();
        for bad in ["script", "iframe", "svg", "object", "embed", "img src=x"] {
            assert!(!tag.starts_with(bad), "<{tag}> reached {what}: {text}");
        }
        for bad in ["onerror", "onload", "onclick", "javascript:", "data:text"] {
            assert!(!tag.contains(bad), "<{tag}> reached {what}: {text}");
        }
    }
}

async fn hostile_markup_and_names_are_neutralised(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["ann"], true).await;
    peer.set_actor_fields(
        "ann",
        json!({
            "name": "<script>alert(1)</script>Ann\u{202E}moc.elpmaxe\u{200B}\u{2067}",
            "url": "javascript:alert(1)",
            "summary": "<img src=x onerror=alert(1)>",
            "attachment": [{"type": "PropertyValue", "name": "<iframe src=x>", "value": "<a href=\"javascript:alert(1)\">x</a>"}],
            "icon": {"type": "Image", "url": "data:text/html,<script>alert(1)</script>"},
        }),
    );
    // Manual approval, so the follow request shows Ann's name in the API.
    let (status, _) = app
        .api(
            reqwest::Method::PATCH,
            &token,
            "/api/v1/profile",
            Some(json!({"manually_approves_followers": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (id, url) = public_post(&app, &token).await;
    let inbox = app.url("/inbox");
    let follow = peer.follow("ann", &app.url("/users/band"));
    assert_eq!(peer.deliver("ann", &inbox, &follow).await.status(), 202);
    let content = r#"<p>hi <script>alert(1)</script><iframe src="https://x.example"></iframe>
        <a href="javascript:alert(1)">j</a> <a href="data:text/html;base64,PHNjcmlwdD4=">d</a>
        <svg onload="alert(1)"></svg><img src="x" onerror="alert(1)"><b onclick="x()">bold</b></p>"#;
    let create = reply(
        &peer,
        "ann",
        json!({
            "id": format!("{}/statuses/1", peer.actor_id("ann")),
            "inReplyTo": url,
            "content": content,
            "summary": "<script>alert('cw')</script>",
            "name": "<iframe src=x>",
            "attachment": [{"type": "Document", "mediaType": "image/png", "url": "https://x.example/a.png", "name": "<img src=x onerror=alert(1)>"}],
        }),
    );
    assert_eq!(peer.deliver("ann", &inbox, &create).await.status(), 202);
    assert_eq!(counts(&app, &token, id).await["replies"], 1);

    let html = page(&app, &url).await;
    assert_clean("the post page", &html);
    assert!(html.contains("bold"), "{html}");
    assert!(html.contains("Annmoc.elpmaxe"), "{html}");
    assert!(
        html.contains(&format!(r#"href="{}""#, peer.actor_id("ann"))),
        "a javascript: profile URL falls back to the actor id: {html}"
    );
    for path in ["/api/v1/replies", "/api/v1/follow_requests"] {
        let (status, body) = app.api(reqwest::Method::GET, &token, path, None).await;
        assert_eq!(status, 200, "{path}");
        assert_clean(path, &body.to_string());
    }

    // The artist's own profile: markup in names, bio and link labels is escaped or removed,
    // a javascript: link refused.
    let (status, body) = app
        .api(
            reqwest::Method::PATCH,
            &token,
            "/api/v1/profile",
            Some(json!({"links": [{"name": "x", "url": "javascript:alert(1)"}]})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app
        .api(
            reqwest::Method::PATCH,
            &token,
            "/api/v1/profile",
            Some(json!({
                "display_name": "<script>alert(1)</script>The Band",
                "summary": "Bio <script>alert(1)</script> [l](javascript:alert(1)) <img src=x onerror=alert(1)>",
                "links": [{"name": "<iframe src=x onload=alert(1)>", "url": "https://band.example/"}],
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let html = page(&app, &app.url("/@band")).await;
    assert_clean("the profile page", &html);
    assert!(html.contains("The Band"));
    let (_, _, actor) = app.get_ap(&app.url("/users/band")).await;
    assert_clean(
        "the actor's summary",
        actor["summary"].as_str().unwrap_or_default(),
    );
    assert_clean(
        "the actor's link values",
        &actor["attachment"][0]["value"].to_string(),
    );
    app.run_deliveries().await;
}

async fn huge_and_deep_inputs_are_refused_or_truncated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["ann"], true).await;
    let (id, url) = public_post(&app, &token).await;
    let inbox = app.url("/inbox");

    // 100,000 levels of nesting: inbox and API refuse with 400, nothing crashes.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let res = peer
        .post_signed("ann", &inbox, deep.as_bytes(), SignOptions::default())
        .await;
    assert_eq!(res.status(), 400);
    let deep_object = format!(
        r#"{{"content": "x", "visibility": "public", "x": {}1{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let res = app
        .http
        .post(app.url("/api/v1/posts"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(deep_object)
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status().as_u16(), 400 | 422),
        "{}",
        res.status()
    );
    // Over 1 MiB through the API.
    let res = app
        .http
        .post(app.url("/api/v1/posts"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(json!({"content": "x".repeat(2 << 20), "visibility": "public"}).to_string())
        .send()
        .await;
    if let Ok(res) = res {
        assert_eq!(res.status(), 413);
    }

    // 10,000 tags and mentions, then 10,000 attachments: the reply is kept, the rest ignored.
    let tags: Vec<Value> = (0..10_000)
        .map(|i| {
            if i % 2 == 0 {
                json!({"type": "Mention", "href": format!("https://x.example/u/{i}")})
            } else {
                json!({"type": "Hashtag", "name": format!("#t{i}")})
            }
        })
        .collect();
    let attachments: Vec<Value> = (0..10_000)
        .map(|i| json!({"type": "Document", "url": format!("https://x.example/{i}.png")}))
        .collect();
    for (n, (field, items)) in [("tag", tags), ("attachment", attachments)]
        .into_iter()
        .enumerate()
    {
        let mut create = reply(
            &peer,
            "ann",
            json!({"id": format!("{}/statuses/{n}", peer.actor_id("ann")), "inReplyTo": url, "content": format!("<p>many {field}s</p>")}),
        );
        create["object"][field] = Value::Array(items);
        let body = create.to_string();
        assert!(body.len() < 1 << 20, "{field}: {} bytes", body.len());
        assert_eq!(peer.deliver("ann", &inbox, &create).await.status(), 202);
    }
    assert_eq!(counts(&app, &token, id).await["replies"], 2);

    // A direct message addressed 10,000 times to the artist is one command, answered once.
    let to: Vec<Value> = (0..10_000).map(|_| json!(app.url("/users/band"))).collect();
    let dm = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/statuses/dm/activity", peer.actor_id("ann")),
        "type": "Create",
        "actor": peer.actor_id("ann"),
        "object": {
            "id": format!("{}/statuses/dm", peer.actor_id("ann")),
            "type": "Note",
            "attributedTo": peer.actor_id("ann"),
            "to": to,
            "content": "<p>hide me</p>",
        },
    });
    assert_eq!(peer.deliver("ann", &inbox, &dm).await.status(), 202);
    app.run_deliveries().await;
    let answers = peer.received_of_type("Create");
    assert_eq!(answers.len(), 1, "one answer: {answers:?}");
}

// ---------------------------------------------------------------------------------------------
// Replays.

async fn replays_have_one_effect(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["ann"], true).await;
    let (id, url) = public_post(&app, &token).await;
    let inbox = app.url("/inbox");

    // The same Follow and the same boost, each delivered twice at once.
    let follow = peer.follow("ann", &app.url("/users/band"));
    let boost = activity(&peer, "ann", "Announce", json!(url));
    let personal = app.url("/users/band/inbox");
    let (a, b, c, d) = tokio::join!(
        peer.deliver("ann", &inbox, &follow),
        peer.deliver("ann", &personal, &follow),
        peer.deliver("ann", &inbox, &boost),
        peer.deliver("ann", &inbox, &boost),
    );
    for res in [a, b, c, d] {
        assert_eq!(res.status(), 202);
    }
    assert_eq!(counts(&app, &token, id).await["boosts"], 1);
    assert_eq!(app.follower_count("band").await, 1);
    app.run_deliveries().await;
    assert_eq!(peer.received_of_type("Accept").len(), 1, "one Accept");

    // A reply, its Delete, then the Create again (same id, and under a new activity id).
    let reply_id = format!("{}/statuses/7", peer.actor_id("ann"));
    let create = reply(
        &peer,
        "ann",
        json!({"id": reply_id, "inReplyTo": url, "content": "<p>zombie</p>"}),
    );
    assert_eq!(peer.deliver("ann", &inbox, &create).await.status(), 202);
    assert_eq!(counts(&app, &token, id).await["replies"], 1);
    let delete = activity(
        &peer,
        "ann",
        "Delete",
        json!({"id": reply_id, "type": "Tombstone"}),
    );
    assert_eq!(peer.deliver("ann", &inbox, &delete).await.status(), 202);
    assert_eq!(counts(&app, &token, id).await["replies"], 0);
    assert_eq!(peer.deliver("ann", &inbox, &create).await.status(), 202);
    let mut again = create.clone();
    again["id"] = json!(format!("{reply_id}/activity-again"));
    assert_eq!(peer.deliver("ann", &inbox, &again).await.status(), 202);
    assert_eq!(
        counts(&app, &token, id).await["replies"],
        0,
        "stays deleted"
    );
    let html = page(&app, &url).await;
    assert!(!html.contains("zombie"), "{html}");
}

// ---------------------------------------------------------------------------------------------
// Rate limits.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_with_retry_after() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.limits.rate_pages_per_minute = 3;
        c.limits.rate_webfinger_per_minute = 2;
        c.limits.rate_inbox_per_minute = 2;
        // Requests from 127.0.0.1 are a proxy's: the client is in X-Forwarded-For.
        c.network.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let (_, token) = app.artist_with_token("band").await;
    let other = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    let get = |client: &reqwest::Client, path: &str, forwarded: Option<&str>| {
        let mut req = client.get(app.url(path));
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        req.send()
    };

    // Pages: three pass, the fourth is refused with Retry-After and the JSON error shape.
    for _ in 0..3 {
        assert_eq!(get(&app.http, "/@band", None).await.unwrap().status(), 200);
    }
    let res = get(&app.http, "/@band", None).await.unwrap();
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = res.json().await.unwrap();
    assert!(body["error"].is_string());

    // Another address is unaffected, and so is what is not a page.
    assert_eq!(get(&other, "/@band", None).await.unwrap().status(), 200);
    let (status, _) = app
        .api(reqwest::Method::GET, &token, "/api/v1/profile", None)
        .await;
    assert_eq!(status, 200);
    let (status, _, _) = app.get_ap(&app.url("/users/band")).await;
    assert_eq!(status, 200);

    // Behind the trusted proxy each forwarded client has its own bucket; an untrusted sender
    // cannot pick one by sending the header.
    for _ in 0..3 {
        let res = get(&app.http, "/", Some("203.0.113.5")).await.unwrap();
        assert_eq!(res.status(), 200);
    }
    assert_eq!(
        get(&app.http, "/", Some("203.0.113.5"))
            .await
            .unwrap()
            .status(),
        429
    );
    assert_eq!(
        get(&app.http, "/", Some("203.0.113.6"))
            .await
            .unwrap()
            .status(),
        200
    );
    for _ in 0..2 {
        assert_eq!(
            get(&other, "/", Some("203.0.113.7"))
                .await
                .unwrap()
                .status(),
            200
        );
    }
    assert_eq!(
        get(&other, "/", Some("203.0.113.8"))
            .await
            .unwrap()
            .status(),
        429,
        "127.0.0.2 is no trusted proxy: its own (shared) bucket"
    );

    // WebFinger and the inbox have their own buckets.
    let webfinger = app.webfinger_url(&format!("acct:band@{}", app.domain));
    for _ in 0..2 {
        assert_eq!(app.http.get(&webfinger).send().await.unwrap().status(), 200);
    }
    assert_eq!(app.http.get(&webfinger).send().await.unwrap().status(), 429);
    for _ in 0..2 {
        let res = app
            .http
            .post(app.url("/inbox"))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "unsigned");
    }
    let res = app
        .http
        .post(app.url("/inbox"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
}
