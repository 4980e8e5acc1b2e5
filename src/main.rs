//! The `roadie` command: parses arguments, then calls the library.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use roadie::{config::Config, db::Db, domain, AppState};

#[derive(Parser)]
#[command(
    name = "roadie",
    version,
    about = "A federated ActivityPub server for artists"
)]
struct Cli {
    /// Optional TOML configuration file; environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server, federation and delivery (the default way to run Roadie).
    Serve,
    /// Run delivery workers only, no web server (add processes to scale out on PostgreSQL).
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Check that the server on ROADIE_BIND answers /health/live (for container health checks):
    /// exit status 0 when it does, 1 otherwise.
    Health,
    /// Administration tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Manage artists.
    Artist {
        #[command(subcommand)]
        command: ArtistCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage the people who log in to the web interface.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Show the delivery queue: pending, due, claimed, delivered, failed, unavailable hosts.
    Queue,
    /// Write a consistent backup of a running SQLite instance (database and media) into the
    /// new directory PATH; restore by using it as ROADIE_DATA_DIR. PostgreSQL: use pg_dump.
    Backup { path: PathBuf },
    /// Copy this SQLite instance's database into a new, empty PostgreSQL database (run
    /// `roadie migrate` on it first, or let this command do it); stop the server first.
    CopyTo {
        /// postgres://user@host/database
        database_url: String,
    },
    /// Remote hosts whose deliveries fail.
    Host {
        #[command(subcommand)]
        command: HostCommand,
    },
}

#[derive(Subcommand)]
enum HostCommand {
    /// List hosts with failures, unavailable ones first.
    List,
    /// Clear a host's failures so deliveries to it resume.
    Reset { host: String },
}

#[derive(Subcommand)]
enum ArtistCommand {
    /// Create a local artist with a new key pair.
    Create {
        username: String,
        /// Display name shown on profiles.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from --password-file, else from standard input
    /// (its first line; asked for only when standard input is a terminal).
    Create {
        username: String,
        /// Make the user an instance admin.
        #[arg(long)]
        admin: bool,
        /// A file whose first line is the password.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for an artist; the token is the last line of the output.
    Create { username: String },
}

/// Logs go to stderr: human-readable lines by default, one JSON object per line when
/// `ROADIE_LOG_FORMAT=json` (for log collectors). `RUST_LOG` filters both.
fn init_logging(format: Option<&str>) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format.unwrap_or("") {
        "" | "text" => builder.init(),
        "json" => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
        other => {
            return Err(format!(
                "configuration error: ROADIE_LOG_FORMAT must be text or json, not {other:?}"
            ))
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = init_logging(std::env::var("ROADIE_LOG_FORMAT").ok().as_deref()) {
        eprintln!("roadie: {e}");
        return ExitCode::from(2);
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("roadie: {e}");
            return ExitCode::from(2);
        }
    };
    // The federation library has its own switch for reaching private addresses; only Roadie's
    // own setting may decide that. Done before any thread starts.
    if std::env::var_os("DANGER_FEDERATION_ALLOW_LOCAL_IP").is_some()
        && !config.allow_private_network
    {
        eprintln!(
            "roadie: ignoring DANGER_FEDERATION_ALLOW_LOCAL_IP; use ROADIE_DANGER_ALLOW_PRIVATE_NETWORK for local testing"
        );
        std::env::remove_var("DANGER_FEDERATION_ALLOW_LOCAL_IP");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("roadie: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("roadie: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve(config).await,
        Command::Worker => worker(config).await,
        Command::Migrate => {
            Db::connect(&config.database_url).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Health => health(&config).await,
        Command::Admin { command } => {
            let db = Db::connect(&config.database_url).await?;
            match command {
                AdminCommand::Backup { path } => {
                    let report = roadie::admin::backup(&config, &db, &path).await?;
                    println!(
                        "backup written: {} and {} media files in {}",
                        report.database.display(),
                        report.media_files,
                        path.join("media").display()
                    );
                }
                AdminCommand::CopyTo { database_url } => {
                    if !(database_url.starts_with("postgres://")
                        || database_url.starts_with("postgresql://"))
                    {
                        anyhow::bail!("copy-to needs a postgres:// database URL");
                    }
                    let target = Db::connect(&database_url).await?;
                    let copied =
                        roadie::db::maintenance::copy_sqlite_to_postgres(&db, &target).await?;
                    for t in &copied {
                        println!("{:<24} {:>8} rows", t.table, t.rows);
                    }
                    println!(
                        "copied; now set ROADIE_DATABASE_URL to the PostgreSQL URL and keep \
                         ROADIE_DATA_DIR (media files stay where they are)"
                    );
                }
                AdminCommand::Artist {
                    command: ArtistCommand::Create { username, name },
                } => {
                    let username = domain::artists::Username::parse(&username)?;
                    let artist = domain::artists::create(&db, &username, &name).await?;
                    println!("created artist @{}@{}", artist.username, config.domain);
                    println!(
                        "create an API token with: roadie admin token create {}",
                        artist.username
                    );
                }
                AdminCommand::Token {
                    command: TokenCommand::Create { username },
                } => {
                    let token = domain::artists::create_token(&db, &username).await?;
                    println!("{token}");
                }
                AdminCommand::User {
                    command:
                        UserCommand::Create {
                            username,
                            admin,
                            password_file,
                        },
                } => {
                    let password = read_password(password_file.as_deref())?;
                    let user =
                        domain::accounts::create_user(&db, &username, &password, admin).await?;
                    println!(
                        "created {} {}; log in at {}/login",
                        if user.is_admin { "admin" } else { "user" },
                        user.username,
                        config.base_url()
                    );
                }
                AdminCommand::Queue => {
                    let s = roadie::db::deliveries::stats(&db, roadie::db::now()).await?;
                    println!("pending            {}", s.pending);
                    println!("due                {}", s.due);
                    println!("claimed            {}", s.claimed);
                    println!("delivered          {}", s.delivered);
                    println!("failed             {}", s.failed);
                    println!("unavailable hosts  {}", s.unavailable_hosts);
                }
                AdminCommand::Host {
                    command: HostCommand::List,
                } => {
                    for h in roadie::db::hosts::with_failures(&db).await? {
                        let state = match h.unavailable_since {
                            Some(since) => format!("unavailable since {since}"),
                            None => "available".to_owned(),
                        };
                        println!(
                            "{}\t{}\tfailure days: {}\tlast error: {}",
                            h.host,
                            state,
                            h.failure_days,
                            h.last_error.unwrap_or_default()
                        );
                    }
                }
                AdminCommand::Host {
                    command: HostCommand::Reset { host },
                } => {
                    let was = roadie::db::hosts::mark_available(&db, &host).await?;
                    println!(
                        "{host}: {}",
                        if was {
                            "available again"
                        } else {
                            "was not unavailable"
                        }
                    );
                }
            }
            Ok(())
        }
    }
}

/// `roadie health`: GET /health/live on this configuration's port, on loopback when the server
/// listens on every address.
async fn health(config: &Config) -> anyhow::Result<()> {
    let mut addr = config.bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let response = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()?
        .get(format!("http://{addr}/health/live"))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "/health/live answered {}",
        response.status()
    );
    println!("ok");
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
    let state = AppState::build(config.clone()).await?;
    println!(
        "Roadie listening on http://{} as {} (database: {})",
        listener.local_addr()?,
        config.base_url(),
        state.db.backend_name()
    );
    if let Some(token) = domain::accounts::setup_token(&state.db).await? {
        println!("No admin yet. Open this one-time link to set up Roadie (valid 24 hours):");
        println!("  {}", state.urls.join(&token));
        println!("or run: roadie admin user create --admin <username>");
    }
    if roadie::db::artists::count(&state.db).await? == 0 {
        println!("No artists yet. Create the first one with:");
        println!("  cargo run --release -- admin artist create <username> --name \"Display Name\"");
    }
    state.delivery.start();
    roadie::scheduler::start(state.services.clone());
    roadie::http::serve(state.clone(), listener).await?;
    state.delivery.shutdown().await;
    Ok(())
}

/// The password for `admin user create`: the first line of the file, or of standard input.
/// On a terminal it is asked for with echo turned off.
fn read_password(file: Option<&std::path::Path>) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    let line = match file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
        None => {
            let stdin = std::io::stdin();
            let terminal = stdin.is_terminal();
            let echo = |on: bool| {
                let _ = std::process::Command::new("stty")
                    .arg(if on { "echo" } else { "-echo" })
                    .stdin(std::process::Stdio::inherit())
                    .status();
            };
            if terminal {
                eprint!("Password: ");
                let _ = std::io::stderr().flush();
                echo(false);
            }
            let mut line = String::new();
            let read = stdin.lock().read_line(&mut line);
            if terminal {
                echo(true);
                eprintln!();
            }
            read?;
            line
        }
    };
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password given (use --password-file FILE or standard input)");
    }
    Ok(password)
}

async fn worker(config: Config) -> anyhow::Result<()> {
    let state = AppState::build(config).await?;
    state.delivery.start();
    roadie::scheduler::start(state.services.clone());
    println!(
        "Roadie delivery worker running (database: {})",
        state.db.backend_name()
    );
    roadie::http::shutdown_signal().await;
    state.delivery.shutdown().await;
    Ok(())
}
