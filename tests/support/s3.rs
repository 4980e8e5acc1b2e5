//! A real S3-compatible server for the storage tests: `moto` (PyPI `moto[server]`, installed by
//! `.ci/run`), run as a child process on a free loopback port and killed when dropped. If it
//! cannot be started the test fails: nothing is skipped silently.

use std::{
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use object_store::{aws::AmazonS3Builder, path::Path, ObjectStore, ObjectStoreExt};
use roadie::config::S3Config;

/// Fixed test credentials; moto accepts any.
const ACCESS_KEY: &str = "roadie-test";
const SECRET_KEY: &str = "roadie-test-secret";

/// A running moto server.
pub struct S3Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    _log: tempfile::NamedTempFile,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    /// Starts moto and waits (at most 60 s) until it answers.
    pub async fn start() -> S3Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = tempfile::NamedTempFile::new().expect("log file");
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(log.reopen().expect("log file"))
            .stderr(log.reopen().expect("log file"))
            .spawn()
            .unwrap_or_else(|e| {
                panic!("the S3 tests need moto (python3 -m pip install 'moto[server]'): {e}")
            });
        let mut server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            _log: log,
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(res) = http.get(&server.endpoint).send().await {
                if res.status().is_success() {
                    return server;
                }
            }
            let exited = server.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                let output = std::fs::read_to_string(server._log.path()).unwrap_or_default();
                panic!(
                    "moto did not start (exit: {exited:?}); is it installed \
                     (python3 -m pip install 'moto[server]')?\n{output}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Creates a bucket (moto takes unsigned requests).
    pub async fn create_bucket(&self, name: &str) {
        let res = reqwest::Client::new()
            .put(format!("{}/{name}", self.endpoint))
            .send()
            .await
            .expect("create bucket");
        assert!(res.status().is_success(), "create bucket: {}", res.status());
    }

    /// Roadie's settings for `bucket` on this server.
    pub fn config(&self, bucket: &str) -> S3Config {
        S3Config {
            bucket: bucket.to_owned(),
            region: "us-east-1".to_owned(),
            endpoint: Some(self.endpoint.parse().expect("endpoint URL")),
            access_key_id: ACCESS_KEY.to_owned(),
            secret_access_key: SECRET_KEY.to_owned(),
            path_style: true,
        }
    }

    /// A client of `bucket`, independent of Roadie's, to look at what is stored.
    pub fn client(&self, bucket: &str) -> Arc<dyn ObjectStore> {
        Arc::new(
            AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_region("us-east-1")
                .with_endpoint(&self.endpoint)
                .with_access_key_id(ACCESS_KEY)
                .with_secret_access_key(SECRET_KEY)
                .with_allow_http(true)
                .build()
                .expect("S3 client"),
        )
    }
}

/// The names of the objects in a bucket, sorted.
pub async fn object_names(store: &Arc<dyn ObjectStore>) -> Vec<String> {
    let listing = store.list_with_delimiter(None).await.expect("list bucket");
    let mut names: Vec<String> = listing
        .objects
        .into_iter()
        .map(|o| o.location.to_string())
        .collect();
    names.sort();
    names
}

/// An object's bytes and content type.
pub async fn object(store: &Arc<dyn ObjectStore>, name: &str) -> (Vec<u8>, Option<String>) {
    let result = store.get(&Path::from(name)).await.expect("get object");
    let content_type = result
        .attributes
        .get(&object_store::Attribute::ContentType)
        .map(|v| v.to_string());
    let bytes = result.bytes().await.expect("object bytes");
    (bytes.to_vec(), content_type)
}
