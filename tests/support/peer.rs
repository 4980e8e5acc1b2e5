//! A fake fediverse server, written independently of Roadie's own signing code: it holds RSA
//! keys (the `rsa` crate), serves its actors and WebFinger, signs requests exactly like Mastodon
//! (draft-cavage, rsa-sha256, `(request-target) host date digest`), and records every POST it
//! receives together with whether its signature verified against the sender's published key.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex},
    time::SystemTime,
};

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, Uri},
    response::IntoResponse,
    routing::{get, post},
    Json, Router,
};
use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use rsa::{
    pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding},
    Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Keys are slow to make in debug builds: every peer actor draws from this small pool.
static KEYS: LazyLock<Vec<RsaPrivateKey>> = LazyLock::new(|| {
    let mut rng = rand::thread_rng();
    (0..3)
        .map(|_| RsaPrivateKey::new(&mut rng, 2048).expect("generate key"))
        .collect()
});

#[derive(Clone)]
struct PeerActor {
    key: RsaPrivateKey,
    public_pem: String,
}

/// How the peer answers the next POSTs to its inboxes (then 202 again).
#[derive(Clone, Debug)]
pub enum Reply {
    Status(u16),
    /// A status with `Retry-After: SECONDS`.
    RetryAfter(u16, u64),
    /// Answer 202, but only after this long (to make the sender time out).
    Slow(std::time::Duration),
}

/// One POST the peer received.
#[derive(Clone, Debug)]
pub struct Received {
    pub at: std::time::Instant,
    /// The status the peer answered (0: it answered too late, on purpose).
    pub status: u16,
    pub path: String,
    pub body: Value,
    /// The signature verified against the key published at its `keyId`, and the digest matched.
    pub signature_valid: bool,
    pub key_id: String,
}

struct PeerState {
    domain: String,
    shared_inbox: bool,
    actors: HashMap<String, PeerActor>,
    received: Mutex<Vec<Received>>,
    script: Mutex<std::collections::VecDeque<Reply>>,
    /// WebFinger answers without the remote-follow template.
    hide_subscribe: std::sync::atomic::AtomicBool,
    /// Key ids as `ACTOR/main-key` (GoToSocial) instead of `ACTOR#main-key` (Mastodon).
    path_key_ids: std::sync::atomic::AtomicBool,
    /// Every answer waits this long (a slow but working server).
    delay: Mutex<Option<std::time::Duration>>,
    /// Fields that replace those of an actor's document (a hostile profile).
    overrides: Mutex<HashMap<String, serde_json::Map<String, Value>>>,
    /// GETs of actors, keys and WebFinger answered so far (what others fetched from us).
    fetches: std::sync::atomic::AtomicUsize,
    client: reqwest::Client,
}

/// A fake remote server on `localhost:PORT`.
pub struct Peer {
    addr: std::net::SocketAddr,
    pub domain: String,
    state: Arc<PeerState>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// How to sign (or mis-sign) a request the peer sends.
#[derive(Clone, Debug)]
pub struct SignOptions {
    /// Components listed in `headers=`.
    pub components: Vec<&'static str>,
    pub date: SystemTime,
    /// A `Host` header value other than the target's.
    pub host: Option<String>,
    /// Sign with this other actor's key and key id.
    pub signer: Option<String>,
    /// Compute the digest over this body instead of the one sent.
    pub digest_of: Option<Vec<u8>>,
    /// Send no signature at all.
    pub unsigned: bool,
}

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions {
            components: vec!["(request-target)", "host", "date", "digest"],
            date: SystemTime::now(),
            host: None,
            signer: None,
            digest_of: None,
            unsigned: false,
        }
    }
}

impl Peer {
    /// Starts a peer hosting `actors`; with `shared_inbox` they advertise `/inbox`.
    pub async fn start(actors: &[&str], shared_inbox: bool) -> Peer {
        Self::start_named("localhost", actors, shared_inbox).await
    }

    /// Like [`Peer::start`], calling itself `host:PORT` (resolved by the app's fixed DNS
    /// answers; the peer's own signature checks of what it receives will then fail).
    pub async fn start_named(host: &str, actors: &[&str], shared_inbox: bool) -> Peer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let domain = format!("{host}:{}", addr.port());
        let actors = actors
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let key = KEYS[i % KEYS.len()].clone();
                let public_pem = RsaPublicKey::from(&key)
                    .to_public_key_pem(LineEnding::LF)
                    .expect("pem");
                (name.to_string(), PeerActor { key, public_pem })
            })
            .collect();
        let state = Arc::new(PeerState {
            domain: domain.clone(),
            shared_inbox,
            actors,
            received: Mutex::new(Vec::new()),
            script: Mutex::new(Default::default()),
            delay: Mutex::new(None),
            overrides: Mutex::new(HashMap::new()),
            fetches: std::sync::atomic::AtomicUsize::new(0),
            path_key_ids: std::sync::atomic::AtomicBool::new(false),
            hide_subscribe: std::sync::atomic::AtomicBool::new(false),
            client: reqwest::Client::new(),
        });
        let server = serve(listener, state.clone());
        Peer {
            addr,
            domain,
            state,
            server,
        }
    }

    /// Stops answering: connections are refused until [`Peer::resume`].
    pub fn stop(&mut self) {
        self.server.abort();
    }

    /// Listens again on the same address.
    pub async fn resume(&mut self) {
        self.server.abort();
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    let _ = e;
                }
                Err(e) => panic!("cannot listen on {} again: {e}", self.addr),
            }
        };
        self.server = serve(listener, self.state.clone());
    }

    /// Publishes key ids the GoToSocial way, `ACTOR/main-key`, with a stub document there.
    pub fn use_path_key_ids(&self) {
        self.state
            .path_key_ids
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// WebFinger stops offering the remote-follow ("subscribe") template.
    pub fn hide_subscribe(&self) {
        self.state
            .hide_subscribe
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Replaces fields of `actor`'s document (name, url…) from now on.
    pub fn set_actor_fields(&self, actor: &str, fields: Value) {
        let Value::Object(map) = fields else {
            panic!("actor fields must be an object");
        };
        self.state
            .overrides
            .lock()
            .unwrap()
            .insert(actor.to_owned(), map);
    }

    /// The port the peer listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The key id of one of this peer's actors.
    pub fn key_id(&self, name: &str) -> String {
        key_id(&self.state, &self.actor_id(name))
    }

    /// A signed GET as `actor`: `(request-target) host date`, no digest, labelled `algorithm`.
    /// With `sign_query` false the query string is left out of `(request-target)`, as Gancio does.
    pub async fn get_signed(
        &self,
        actor: &str,
        url: &str,
        algorithm: &str,
        sign_query: bool,
    ) -> reqwest::Response {
        self.get_signed_as(actor, url, url, algorithm, sign_query)
            .await
    }

    /// GETs `url` with a signature made for `signed_url` (a replay to another path).
    pub async fn get_signed_for(
        &self,
        actor: &str,
        url: &str,
        signed_url: &str,
    ) -> reqwest::Response {
        self.get_signed_as(actor, url, signed_url, "rsa-sha256", true)
            .await
    }

    async fn get_signed_as(
        &self,
        actor: &str,
        url: &str,
        signed_url: &str,
        algorithm: &str,
        sign_query: bool,
    ) -> reqwest::Response {
        let target = url::Url::parse(signed_url).expect("target URL");
        let host = match target.port() {
            Some(p) => format!("{}:{p}", target.host_str().unwrap_or_default()),
            None => target.host_str().unwrap_or_default().to_owned(),
        };
        let date = httpdate::fmt_http_date(SystemTime::now());
        let path = match (target.query(), sign_query) {
            (Some(q), true) => format!("{}?{q}", target.path()),
            _ => target.path().to_owned(),
        };
        let signing_string = format!("(request-target): get {path}\nhost: {host}\ndate: {date}");
        let signature = self.state.actors[actor]
            .key
            .sign(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(signing_string.as_bytes()),
            )
            .expect("sign");
        self.state
            .client
            .get(url)
            .header("accept", "application/activity+json")
            .header("host", &host)
            .header("date", &date)
            .header(
                "signature",
                format!(
                    r#"keyId="{}",algorithm="{algorithm}",headers="(request-target) host date",signature="{}""#,
                    self.key_id(actor),
                    BASE64.encode(signature)
                ),
            )
            .send()
            .await
            .expect("GET from peer")
    }

    /// How many GETs (actors, keys, WebFinger) this peer has answered.
    pub fn fetch_count(&self) -> usize {
        self.state.fetches.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Answers every POST (successfully) only after `delay`.
    pub fn set_delay(&self, delay: std::time::Duration) {
        *self.state.delay.lock().unwrap() = Some(delay);
    }

    /// The next POSTs are answered like this, in order.
    pub fn script(&self, replies: Vec<Reply>) {
        self.state.script.lock().unwrap().extend(replies);
    }

    /// POSTs of one activity type, including those the peer refused.
    pub fn attempts_of_type(&self, kind: &str) -> Vec<Received> {
        self.state
            .received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.body["type"] == kind)
            .cloned()
            .collect()
    }

    /// `http://localhost:PORT{path}`
    pub fn url_of(&self, path: &str) -> String {
        format!("http://{}{}", self.domain, path)
    }

    pub fn actor_id(&self, name: &str) -> String {
        format!("http://{}/users/{name}", self.domain)
    }

    /// Every POST received and accepted (2xx) so far.
    pub fn received(&self) -> Vec<Received> {
        self.state
            .received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| (200..300).contains(&r.status))
            .cloned()
            .collect()
    }

    /// Received activities of one `type`.
    pub fn received_of_type(&self, kind: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.body["type"] == kind)
            .collect()
    }

    /// A `Follow` from `actor` of `target` (an actor URL), with a fresh id.
    pub fn follow(&self, actor: &str, target: &str) -> Value {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}#follows/{}", self.actor_id(actor), uuid::Uuid::new_v4()),
            "type": "Follow",
            "actor": self.actor_id(actor),
            "object": target,
        })
    }

    /// An `Undo` of `activity`, embedding it as Mastodon does.
    pub fn undo(&self, actor: &str, activity: &Value) -> Value {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}#undo/{}", self.actor_id(actor), uuid::Uuid::new_v4()),
            "type": "Undo",
            "actor": self.actor_id(actor),
            "object": activity,
        })
    }

    /// POSTs `body` to `url`, signed as `actor` the way Mastodon signs.
    pub async fn post_signed(
        &self,
        actor: &str,
        url: &str,
        body: &[u8],
        opts: SignOptions,
    ) -> reqwest::Response {
        self.try_post_signed(actor, url, body, opts)
            .await
            .expect("POST from peer")
    }

    /// Like [`Peer::post_signed`], returning transport errors (a server may close the
    /// connection while a large body is still being sent).
    pub async fn try_post_signed(
        &self,
        actor: &str,
        url: &str,
        body: &[u8],
        opts: SignOptions,
    ) -> reqwest::Result<reqwest::Response> {
        let target = url::Url::parse(url).expect("target URL");
        let host = match target.port() {
            Some(p) => format!("{}:{p}", target.host_str().unwrap_or_default()),
            None => target.host_str().unwrap_or_default().to_owned(),
        };
        let host = opts.host.clone().unwrap_or(host);
        let date = httpdate::fmt_http_date(opts.date);
        let digest = format!(
            "SHA-256={}",
            BASE64.encode(Sha256::digest(opts.digest_of.as_deref().unwrap_or(body)))
        );
        let mut req = self
            .state
            .client
            .post(url)
            .header("content-type", "application/activity+json")
            .header("host", &host)
            .header("date", &date)
            .header("digest", &digest)
            .body(body.to_vec());
        if !opts.unsigned {
            let signer_name = opts.signer.as_deref().unwrap_or(actor);
            let signer = &self.state.actors[signer_name];
            let signing_string = opts
                .components
                .iter()
                .map(|c| match *c {
                    "(request-target)" => format!("(request-target): post {}", target.path()),
                    "host" => format!("host: {host}"),
                    "date" => format!("date: {date}"),
                    "digest" => format!("digest: {digest}"),
                    other => panic!("unknown component {other}"),
                })
                .collect::<Vec<_>>()
                .join("\n");
            let signature = signer
                .key
                .sign(
                    Pkcs1v15Sign::new::<Sha256>(),
                    &Sha256::digest(signing_string.as_bytes()),
                )
                .expect("sign");
            req = req.header(
                "signature",
                format!(
                    r#"keyId="{}",algorithm="rsa-sha256",headers="{}",signature="{}""#,
                    self.key_id(signer_name),
                    opts.components.join(" "),
                    BASE64.encode(signature)
                ),
            );
        }
        req.send().await
    }

    /// POSTs a JSON activity, correctly signed by `actor`.
    pub async fn deliver(&self, actor: &str, url: &str, activity: &Value) -> reqwest::Response {
        self.post_signed(
            actor,
            url,
            activity.to_string().as_bytes(),
            SignOptions::default(),
        )
        .await
    }
}

fn serve(listener: tokio::net::TcpListener, state: Arc<PeerState>) -> tokio::task::JoinHandle<()> {
    let app = Router::new()
        .route("/users/{name}", get(actor))
        .route("/users/{name}/main-key", get(key_stub))
        .route("/users/{name}/inbox", post(inbox))
        .route("/inbox", post(inbox))
        .route("/.well-known/webfinger", get(webfinger))
        .with_state(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    })
}

async fn actor(State(state): State<Arc<PeerState>>, Path(name): Path<String>) -> impl IntoResponse {
    state
        .fetches
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let Some(actor) = state.actors.get(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let id = format!("http://{}/users/{name}", state.domain);
    let mut doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": name,
        "name": format!("Fan {name}"),
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "publicKey": {"id": key_id(&state, &id), "owner": id, "publicKeyPem": actor.public_pem},
    });
    if state.shared_inbox {
        doc["endpoints"] = json!({"sharedInbox": format!("http://{}/inbox", state.domain)});
    }
    if let Some(fields) = state.overrides.lock().unwrap().get(&name) {
        for (k, v) in fields {
            doc[k] = v.clone();
        }
    }
    (
        [("content-type", "application/activity+json")],
        doc.to_string(),
    )
        .into_response()
}

fn key_id(state: &PeerState, actor_id: &str) -> String {
    if state.path_key_ids.load(std::sync::atomic::Ordering::SeqCst) {
        format!("{actor_id}/main-key")
    } else {
        format!("{actor_id}#main-key")
    }
}

/// GoToSocial serves a stub at its key URL: the key, and the actor it belongs to as `id`.
async fn key_stub(
    State(state): State<Arc<PeerState>>,
    Path(name): Path<String>,
) -> impl IntoResponse {
    state
        .fetches
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let Some(actor) = state.actors.get(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let id = format!("http://{}/users/{name}", state.domain);
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": name,
        "inbox": format!("{id}/inbox"),
        "publicKey": {"id": key_id(&state, &id), "owner": id, "publicKeyPem": actor.public_pem},
    });
    (
        [("content-type", "application/activity+json")],
        doc.to_string(),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct WebfingerQuery {
    resource: String,
}

/// Mastodon-like WebFinger: the actor, and (unless hidden) the "subscribe" template that remote
/// follow uses.
async fn webfinger(
    State(state): State<Arc<PeerState>>,
    axum::extract::Query(q): axum::extract::Query<WebfingerQuery>,
) -> axum::response::Response {
    state
        .fetches
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let name = q
        .resource
        .strip_prefix("acct:")
        .and_then(|a| a.strip_suffix(&format!("@{}", state.domain)))
        .unwrap_or_default();
    if !state.actors.contains_key(name) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let id = format!("http://{}/users/{name}", state.domain);
    let mut links = vec![json!({"rel": "self", "type": "application/activity+json", "href": id})];
    if !state
        .hide_subscribe
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        links.push(json!({
            "rel": "http://ostatus.org/schema/1.0/subscribe",
            "template": format!("http://{}/authorize_interaction?uri={{uri}}", state.domain),
        }));
    }
    Json(json!({"subject": q.resource, "links": links})).into_response()
}

async fn inbox(
    State(state): State<Arc<PeerState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let at = std::time::Instant::now();
    let reply = state.script.lock().unwrap().pop_front();
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (signature_valid, key_id) = verify(&state, "post", uri.path(), &headers, &body).await;
    let (status, retry_after, delay) = match reply {
        None => (202, None, None),
        Some(Reply::Status(s)) => (s, None, None),
        Some(Reply::RetryAfter(s, secs)) => (s, Some(secs), None),
        // Recorded as status 0: the sender gives up before the answer comes.
        Some(Reply::Slow(wait)) => (0, None, Some(wait)),
    };
    state.received.lock().unwrap().push(Received {
        at,
        status,
        path: uri.path().to_owned(),
        body: value,
        signature_valid,
        key_id,
    });
    if let Some(wait) = delay {
        tokio::time::sleep(wait).await;
    }
    let slow = *state.delay.lock().unwrap();
    if let Some(wait) = slow {
        tokio::time::sleep(wait).await;
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::ACCEPTED);
    match retry_after {
        Some(secs) => (status, [("retry-after", secs.to_string())]).into_response(),
        None => status.into_response(),
    }
}

/// Verifies a Mastodon-style signature by fetching the key from its `keyId`.
async fn verify(
    state: &PeerState,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> (bool, String) {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let sig = header("signature");
    let fields: HashMap<String, String> = sig
        .split("\",")
        .filter_map(|part| part.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim_matches('"').to_owned()))
        .collect();
    let key_id = fields.get("keyId").cloned().unwrap_or_default();
    let digest_ok = header("digest") == format!("SHA-256={}", BASE64.encode(Sha256::digest(body)));
    let Some(components) = fields.get("headers") else {
        return (false, key_id);
    };
    let signing_string = components
        .split(' ')
        .map(|c| match c {
            "(request-target)" => format!("(request-target): {method} {path}"),
            name => format!("{name}: {}", header(name)),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let covers_all = ["(request-target)", "host", "date", "digest"]
        .iter()
        .all(|c| components.split(' ').any(|x| x == *c));
    let Ok(actor) = state
        .client
        .get(key_id.split('#').next().unwrap_or_default())
        .header("accept", "application/activity+json")
        .send()
        .await
    else {
        return (false, key_id);
    };
    let Ok(doc) = actor.json::<Value>().await else {
        return (false, key_id);
    };
    if doc["publicKey"]["id"] != key_id.as_str() {
        return (false, key_id);
    }
    let Ok(public) = RsaPublicKey::from_public_key_pem(
        doc["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap_or_default(),
    ) else {
        return (false, key_id);
    };
    let Ok(signature) = BASE64.decode(fields.get("signature").cloned().unwrap_or_default()) else {
        return (false, key_id);
    };
    let valid = public
        .verify(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(signing_string.as_bytes()),
            &signature,
        )
        .is_ok();
    (valid && digest_ok && covers_all, key_id)
}
