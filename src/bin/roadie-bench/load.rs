//! A small HTTP/1.1 load generator: a fixed number of keep-alive connections to one loopback
//! address, each sending its next request as soon as the previous answer is read, until a
//! deadline or until the supply of requests runs out.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

/// One request as the generator sends it; cheap to clone.
#[derive(Clone)]
pub struct Spec {
    pub method: Method,
    pub path_and_query: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

impl Spec {
    pub fn get(path_and_query: &str, accept: &str) -> Spec {
        Spec {
            method: Method::GET,
            path_and_query: path_and_query.to_owned(),
            headers: vec![("accept", accept.to_owned())],
            body: Bytes::new(),
        }
    }

    fn build(&self, host: &str) -> anyhow::Result<Request<Full<Bytes>>> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(&self.path_and_query);
        let mut has_host = false;
        for (name, value) in &self.headers {
            has_host |= *name == "host";
            builder = builder.header(*name, value);
        }
        if !has_host {
            builder = builder.header(header::HOST, host);
        }
        if !self.body.is_empty() {
            builder = builder.header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/activity+json"),
            );
        }
        Ok(builder.body(Full::new(self.body.clone()))?)
    }
}

/// Where the requests come from.
pub enum Supply {
    /// Sent round-robin until the deadline.
    Cycle(Vec<Spec>),
    /// Each sent once, until all are sent or the deadline passes.
    Once(Vec<Spec>),
}

/// What a load run measured.
pub struct Outcome {
    /// Answers with the expected status.
    pub ok: u64,
    /// Answers with another status, or failed requests.
    pub errors: u64,
    pub elapsed: Duration,
    /// The first unexpected status or error seen, for the report.
    pub first_error: Option<String>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs `connections` keep-alive connections against `addr` for at most `duration`.
/// `host` is the `Host` header for requests that do not carry their own; `expect` is the
/// status that counts as success.
pub async fn run(
    addr: SocketAddr,
    host: &str,
    connections: usize,
    duration: Duration,
    supply: Supply,
    expect: StatusCode,
) -> anyhow::Result<Outcome> {
    let (specs, once) = match supply {
        Supply::Cycle(s) => (s, false),
        Supply::Once(s) => (s, true),
    };
    anyhow::ensure!(!specs.is_empty(), "no requests to send");
    let specs = Arc::new(specs);
    let next = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (specs, next, ok, errors, first_error) = (
            specs.clone(),
            next.clone(),
            ok.clone(),
            errors.clone(),
            first_error.clone(),
        );
        let host = host.to_owned();
        tasks.push(tokio::spawn(async move {
            let note = |e: String| {
                let mut first = first_error.lock().unwrap_or_else(|p| p.into_inner());
                first.get_or_insert(e);
            };
            let stream = match tokio::net::TcpStream::connect(addr).await {
                Ok(s) => s,
                Err(e) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                    note(format!("connect: {e}"));
                    return;
                }
            };
            let _ = stream.set_nodelay(true);
            let (mut sender, conn) =
                match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
                    Ok(pair) => pair,
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        note(format!("handshake: {e}"));
                        return;
                    }
                };
            let driver = tokio::spawn(conn);
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if once && i >= specs.len() {
                    break;
                }
                let request = match specs[i % specs.len()].build(&host) {
                    Ok(r) => r,
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        note(format!("request: {e}"));
                        break;
                    }
                };
                if sender.ready().await.is_err() {
                    errors.fetch_add(1, Ordering::Relaxed);
                    note("connection closed".to_owned());
                    break;
                }
                match sender.send_request(request).await {
                    Ok(response) => {
                        let status = response.status();
                        // Read the whole body, as a real client would.
                        let body = response.into_body().collect().await;
                        if status == expect && body.is_ok() {
                            ok.fetch_add(1, Ordering::Relaxed);
                        } else {
                            errors.fetch_add(1, Ordering::Relaxed);
                            let text = body
                                .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
                                .unwrap_or_default();
                            note(format!(
                                "{status}: {}",
                                text.chars().take(200).collect::<String>()
                            ));
                        }
                    }
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        note(format!("send: {e}"));
                        break;
                    }
                }
            }
            drop(sender);
            driver.abort();
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = start.elapsed();
    let first_error = first_error.lock().unwrap_or_else(|p| p.into_inner()).take();
    Ok(Outcome {
        ok: ok.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed),
        elapsed,
        first_error,
    })
}
