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
    /// Show the delivery queue: pending, due, claimed, delivered, failed, unavailable hosts.
    Queue,
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
enum TokenCommand {
    /// Create an API token for an artist; the token is the last line of the output.
    Create { username: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
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
        Command::Admin { command } => {
            let db = Db::connect(&config.database_url).await?;
            match command {
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
