//! `TestApp`: the real Roadie router on a random loopback port, on a fresh database.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use roadie::{
    config::{Config, Limits, Protocol},
    db::{artists::Artist, Db},
    domain, AppState,
};
use serde_json::Value;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The server under test.
pub struct TestApp {
    /// `localhost:PORT`, the instance's domain.
    pub domain: String,
    pub state: AppState,
    pub http: reqwest::Client,
    _db: DbGuard,
    server: tokio::task::JoinHandle<()>,
    scheduler: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        if let Some(s) = &self.scheduler {
            s.abort();
        }
    }
}

/// Removes the test database when the test ends.
pub enum DbGuard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    /// Handed over to a restarted app.
    Moved,
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let DbGuard::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs outside async context; use a small runtime on its own thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let mut conn = AsyncPgConnection::establish(&admin_url).await.ok()?;
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await
                        .ok()
                })
            })
            .join();
        }
    }
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("ROADIE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A new, empty database of `backend` and the guard that removes it.
pub async fn fresh_database(backend: Backend) -> (String, DbGuard) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("roadie.db").display());
            (url, DbGuard::Sqlite(dir))
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url();
            let name = format!("roadie_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = AsyncPgConnection::establish(&admin_url)
                .await
                .unwrap_or_else(|e| {
                    panic!("PostgreSQL is required for the postgres tests ({admin_url}): {e}")
                });
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let (base, _) = admin_url.rsplit_once('/').expect("database URL has a path");
            (
                format!("{base}/{name}"),
                DbGuard::Postgres { admin_url, name },
            )
        }
    }
}

/// Limits shrunk so retries happen in milliseconds.
pub fn test_limits() -> Limits {
    Limits {
        delivery_max_attempts: 5,
        delivery_retry_unit: Duration::from_millis(1),
        delivery_poll_interval: Duration::from_millis(20),
        scheduler_interval: Duration::from_millis(50),
        request_timeout: Duration::from_secs(5),
        ..Limits::default()
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with a chance to change the configuration first.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_with_workers(backend, true, configure).await
    }

    /// Like [`TestApp::spawn_with`]; without workers nothing is delivered (a process that dies
    /// before sending, or one that only serves the web).
    pub async fn spawn_with_workers(
        backend: Backend,
        workers: bool,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (database_url, guard) = fresh_database(backend).await;
        let data_dir = tempfile::tempdir().expect("temp dir").keep();
        let mut config = Config {
            domain: format!("localhost:{}", addr.port()),
            bind: addr,
            database_url,
            data_dir,
            protocol: Protocol::Http,
            allow_private_network: true,
            authorized_fetch: false,
            federation_mode: Default::default(),
            limits: test_limits(),
            network: Default::default(),
            media: Default::default(),
        };
        configure(&mut config);
        let state = AppState::build(config).await.expect("app state");
        let scheduler = workers.then(|| {
            state.delivery.start();
            roadie::scheduler::start(state.services.clone())
        });
        let server_state = state.clone();
        let server = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                roadie::http::router(server_state)
                    .into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        TestApp {
            domain: format!("localhost:{}", addr.port()),
            state,
            http: reqwest::Client::new(),
            _db: guard,
            server,
            scheduler,
        }
    }

    /// Stops this server (as a crash would: nothing is shut down cleanly) and starts a new one,
    /// with workers, on the same database and address.
    pub async fn restart(mut self) -> TestApp {
        self.server.abort();
        let config = self.state.config.clone();
        let db = std::mem::replace(&mut self._db, DbGuard::Moved);
        drop(self);
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(config.bind).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot listen on {} again: {e}", config.bind),
            }
        };
        let state = AppState::build(config.clone()).await.expect("app state");
        state.delivery.start();
        let scheduler = Some(roadie::scheduler::start(state.services.clone()));
        let server_state = state.clone();
        let server = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                roadie::http::router(server_state)
                    .into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        TestApp {
            domain: config.domain.clone(),
            state,
            http: reqwest::Client::new(),
            _db: db,
            server,
            scheduler,
        }
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// `http://localhost:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.domain, path)
    }

    /// The WebFinger URL for `resource`, query-encoded.
    pub fn webfinger_url(&self, resource: &str) -> String {
        url::Url::parse_with_params(
            &self.url("/.well-known/webfinger"),
            [("resource", resource)],
        )
        .expect("webfinger URL")
        .to_string()
    }

    /// Creates an artist and an API token for it.
    pub async fn artist_with_token(&self, username: &str) -> (Artist, String) {
        let name = domain::artists::Username::parse(username).expect("valid username");
        let artist = domain::artists::create(self.db(), &name, &format!("{username} (band)"))
            .await
            .expect("create artist");
        let token = domain::artists::create_token(self.db(), username)
            .await
            .expect("token");
        (artist, token)
    }

    /// GET with `Accept: application/activity+json`: status, content type, JSON body.
    pub async fn get_ap(&self, url: &str) -> (u16, String, Value) {
        let res = self
            .http
            .get(url)
            .header("accept", "application/activity+json")
            .send()
            .await
            .expect("GET");
        let status = res.status().as_u16();
        let ctype = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = res.json().await.unwrap_or(Value::Null);
        (status, ctype, body)
    }

    pub async fn api(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("API request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Waits until every queued delivery was delivered or given up, retries included.
    pub async fn run_deliveries(&self) {
        tokio::time::timeout(Duration::from_secs(30), self.state.delivery.wait_settled())
            .await
            .expect("deliveries settle within 30 s");
    }

    /// `totalItems` of an artist's followers collection, read over HTTP.
    pub async fn follower_count(&self, username: &str) -> i64 {
        let (status, _, body) = self
            .get_ap(&self.url(&format!("/users/{username}/followers")))
            .await;
        assert_eq!(status, 200);
        body["totalItems"].as_i64().expect("totalItems")
    }
}

impl TestApp {
    /// Records a migration this binary does not know, as a newer Roadie would have left it.
    pub async fn pretend_newer_migration(&self, version: &str) {
        let query = diesel::sql_query(format!(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('{version}')"
        ));
        match self.db() {
            Db::Pg(pool) => {
                query
                    .execute(&mut *pool.get().await.unwrap())
                    .await
                    .unwrap();
            }
            Db::Sqlite(pool) => {
                query
                    .execute(&mut *pool.get().await.unwrap())
                    .await
                    .unwrap();
            }
        }
    }
}
