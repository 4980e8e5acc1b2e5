//! The real `roadie` binary as a child process: `serve` on a random loopback port, `worker`, or
//! one-shot `admin` commands, with its output captured.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Output, Stdio},
    sync::{mpsc, Arc, Mutex},
    time::Duration,
};

/// `roadie` with a clean environment on `database_url`, `domain` and `data_dir`, plain HTTP and
/// loopback peers allowed.
pub fn command(database_url: &str, domain: &str, data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_roadie"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .env("ROADIE_DATABASE_URL", database_url)
        .env("ROADIE_DOMAIN", domain)
        .env("ROADIE_DATA_DIR", data_dir)
        .env("ROADIE_PROTOCOL", "http")
        .env("ROADIE_DANGER_ALLOW_PRIVATE_NETWORK", "true");
    cmd
}

/// Runs a one-shot command to its end (bounded by the test harness's own timeouts).
pub fn run(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("run roadie")
}

/// A running `roadie serve` or `roadie worker`. Killed when dropped.
pub struct Process {
    child: Option<Child>,
    /// Where `serve` listens (`None` for a worker).
    pub addr: Option<SocketAddr>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Process {
    /// `roadie serve` on `127.0.0.1:0`; returns once it printed where it listens.
    pub fn serve(mut cmd: Command) -> Process {
        cmd.env("ROADIE_BIND", "127.0.0.1:0").arg("serve");
        Self::start(cmd, Some("Roadie listening on http://"))
    }

    /// `roadie worker`; returns once it said it runs.
    pub fn worker(mut cmd: Command) -> Process {
        cmd.arg("worker");
        Self::start(cmd, Some("Roadie delivery worker running"))
    }

    fn start(mut cmd: Command, ready_prefix: Option<&'static str>) -> Process {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start roadie");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let (ready_tx, ready_rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if ready_prefix.is_some_and(|p| line.starts_with(p)) {
                    let _ = ready_tx.send(line);
                }
            }
        });
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let line = ready_rx.recv_timeout(Duration::from_secs(60));
        let mut process = Process {
            child: Some(child),
            addr: None,
            stderr: lines,
        };
        let line = line.unwrap_or_else(|_| {
            panic!(
                "roadie did not start; stderr:\n{}",
                process.stderr_lines().join("\n")
            )
        });
        if let Some(rest) = line.strip_prefix("Roadie listening on http://") {
            let addr = rest.split_whitespace().next().unwrap_or_default();
            process.addr = Some(addr.parse().expect("listening address"));
        }
        process
    }

    /// `http://ADDR{path}` of this serve process.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr.expect("a serve process"))
    }

    /// What it wrote to stderr so far (its logs).
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let pid = self.child.as_ref().expect("running").id();
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
    }

    /// Waits for the exit (at most `limit`, then kills it and fails the test).
    pub async fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let waited = tokio::task::spawn_blocking(move || {
            let start = std::time::Instant::now();
            loop {
                if let Some(status) = child.try_wait().expect("try_wait") {
                    return Ok(status);
                }
                if start.elapsed() > limit {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
        .await
        .unwrap();
        waited.unwrap_or_else(|_| panic!("roadie did not exit within {limit:?}"))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
