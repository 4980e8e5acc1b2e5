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
    /// Domain blocks (Mastodon's severities and CSV format).
    #[command(name = "domain-block")]
    DomainBlock {
        #[command(subcommand)]
        command: DomainBlockCommand,
    },
    /// Allowed domains (used when ROADIE_FEDERATION_MODE=allowlist).
    #[command(name = "domain-allow")]
    DomainAllow {
        #[command(subcommand)]
        command: DomainAllowCommand,
    },
    /// Remote actors blocked instance-wide.
    #[command(name = "actor-block")]
    ActorBlock {
        #[command(subcommand)]
        command: ActorBlockCommand,
    },
    /// Show the audit log of admin actions, newest first.
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Subcommand)]
enum DomainBlockCommand {
    /// Block a domain and all its subdomains.
    Add {
        domain: String,
        /// noop, silence or suspend.
        #[arg(long, default_value = "silence")]
        severity: String,
        #[arg(long)]
        reject_media: bool,
        #[arg(long)]
        reject_reports: bool,
        #[arg(long)]
        public_comment: Option<String>,
        #[arg(long)]
        private_comment: Option<String>,
        #[arg(long)]
        obfuscate: bool,
    },
    /// Lift the block of a domain.
    Remove { domain: String },
    /// List blocks: domain, severity, flags, public comment.
    List,
    /// Import Mastodon's CSV (all rows or none; bad rows are reported by line).
    Import { file: PathBuf },
    /// Print every block as Mastodon's CSV.
    Export,
}

#[derive(Subcommand)]
enum DomainAllowCommand {
    Add { domain: String },
    Remove { domain: String },
    List,
}

#[derive(Subcommand)]
enum ActorBlockCommand {
    /// Block an actor by its ActivityPub id; their follows and interactions are removed.
    Add {
        actor: String,
        #[arg(long, default_value = "")]
        comment: String,
    },
    Remove {
        actor: String,
    },
    List,
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
    /// Suspend an artist: followers' servers get `Update` then `Delete`, pages answer 410.
    Suspend { username: String },
    /// Lift a suspension (followers' servers have dropped the account; fans follow again).
    Unsuspend { username: String },
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
    /// Create an API token for an artist, or with --admin one for the admin API; the token is
    /// the last line of the output.
    Create {
        /// The artist the token acts as (not with --admin).
        #[arg(required_unless_present = "admin", conflicts_with = "admin")]
        username: Option<String>,
        /// A token for the admin API (`/api/v1/admin/…`).
        #[arg(long)]
        admin: bool,
        /// Who holds the admin token, as the audit log shows it.
        #[arg(long, default_value = "admin", requires = "admin")]
        label: String,
    },
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
                    match &report.media_bucket {
                        None => println!(
                            "backup written: {} and {} media files in {}",
                            report.database.display(),
                            report.media_files,
                            path.join("media").display()
                        ),
                        Some(bucket) => {
                            println!("backup written: {}", report.database.display());
                            println!(
                                "media NOT copied: they are in the S3 bucket {bucket:?}; back \
                                 it up with your provider's tools (see docs/ADMIN.md, Backups)"
                            );
                        }
                    }
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
                    let media = match &config.media.storage {
                        roadie::config::MediaStorageConfig::Local => {
                            "keep ROADIE_DATA_DIR (media files stay where they are)".to_owned()
                        }
                        roadie::config::MediaStorageConfig::S3(s3) => format!(
                            "keep the ROADIE_S3_* settings (media stay in the bucket {:?})",
                            s3.bucket
                        ),
                    };
                    println!(
                        "copied; now set ROADIE_DATABASE_URL to the PostgreSQL URL and {media}"
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
                    command:
                        TokenCommand::Create {
                            username,
                            admin,
                            label,
                        },
                } => {
                    let token = match (admin, username) {
                        (true, _) => {
                            let token = domain::moderation::create_admin_token(&db, &label).await?;
                            println!("admin token for {label}:");
                            token
                        }
                        (false, Some(username)) => {
                            domain::artists::create_token(&db, &username).await?
                        }
                        (false, None) => anyhow::bail!("name the artist, or pass --admin"),
                    };
                    println!("{token}");
                }
                AdminCommand::Artist {
                    command: ArtistCommand::Suspend { username },
                } => {
                    let state = AppState::with_db(config.clone(), db.clone()).await?;
                    domain::moderation::suspend_artist(
                        &db,
                        state.publisher.as_ref(),
                        CLI,
                        &username,
                        "",
                        config.limits.suspension_delete_delay,
                    )
                    .await?;
                    println!("suspended {username}; followers' servers will get Update and Delete");
                }
                AdminCommand::Artist {
                    command: ArtistCommand::Unsuspend { username },
                } => {
                    domain::moderation::unsuspend_artist(&db, CLI, &username).await?;
                    println!("unsuspended {username}");
                }
                AdminCommand::DomainBlock { command } => domain_block(&db, command).await?,
                AdminCommand::DomainAllow { command } => domain_allow(&db, command).await?,
                AdminCommand::ActorBlock { command } => actor_block(&db, command).await?,
                AdminCommand::Audit { limit } => {
                    for e in domain::moderation::audit_log(&db, limit).await? {
                        println!(
                            "{}\t{}\t{}\t{}\t{}",
                            e.created_at.and_utc().to_rfc3339(),
                            e.actor,
                            e.action,
                            e.target,
                            e.detail
                        );
                    }
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

/// Who acts, in the audit log, for admin commands run from the CLI.
const CLI: &str = "cli";

async fn domain_block(db: &Db, command: DomainBlockCommand) -> anyhow::Result<()> {
    use domain::moderation::{self, BlockInput, Severity};
    match command {
        DomainBlockCommand::Add {
            domain,
            severity,
            reject_media,
            reject_reports,
            public_comment,
            private_comment,
            obfuscate,
        } => {
            let row = moderation::add_block(
                db,
                CLI,
                BlockInput {
                    domain,
                    severity: Severity::parse(&severity)?,
                    reject_media,
                    reject_reports,
                    private_comment,
                    public_comment,
                    obfuscate,
                },
            )
            .await?;
            println!("blocked {} ({})", row.domain, row.severity);
        }
        DomainBlockCommand::Remove { domain } => {
            let domain = moderation::normalize_domain(&domain)?;
            let row = roadie::db::moderation::block_by_domain(db, &domain)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{domain} is not blocked"))?;
            moderation::remove_block(db, CLI, row.id).await?;
            println!("unblocked {domain}");
        }
        DomainBlockCommand::List => {
            for b in roadie::db::moderation::list_blocks(db).await? {
                let mut flags = Vec::new();
                if b.reject_media {
                    flags.push("reject_media");
                }
                if b.reject_reports {
                    flags.push("reject_reports");
                }
                if b.obfuscate {
                    flags.push("obfuscate");
                }
                println!(
                    "{}\t{}\t{}\t{}",
                    b.domain,
                    b.severity,
                    flags.join(","),
                    b.public_comment.unwrap_or_default()
                );
            }
        }
        DomainBlockCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let rows = moderation::import_csv(db, CLI, &text).await?;
            println!("imported {} domain blocks", rows.len());
        }
        DomainBlockCommand::Export => print!("{}", moderation::export_csv(db).await?),
    }
    Ok(())
}

async fn domain_allow(db: &Db, command: DomainAllowCommand) -> anyhow::Result<()> {
    use domain::moderation;
    match command {
        DomainAllowCommand::Add { domain } => {
            let row = moderation::allow_domain(db, CLI, &domain).await?;
            println!("allowed {}", row.domain);
        }
        DomainAllowCommand::Remove { domain } => {
            let domain = moderation::normalize_domain(&domain)?;
            let row = roadie::db::moderation::list_allows(db)
                .await?
                .into_iter()
                .find(|a| a.domain == domain)
                .ok_or_else(|| anyhow::anyhow!("{domain} is not allowed"))?;
            moderation::remove_allow(db, CLI, row.id).await?;
            println!("removed {domain} from the allowlist");
        }
        DomainAllowCommand::List => {
            for a in roadie::db::moderation::list_allows(db).await? {
                println!("{}", a.domain);
            }
        }
    }
    Ok(())
}

async fn actor_block(db: &Db, command: ActorBlockCommand) -> anyhow::Result<()> {
    use domain::moderation;
    match command {
        ActorBlockCommand::Add { actor, comment } => {
            let row = moderation::block_actor(db, CLI, &actor, &comment).await?;
            println!("blocked {}", row.actor_ap_id);
        }
        ActorBlockCommand::Remove { actor } => {
            let row = roadie::db::moderation::list_actor_blocks(db)
                .await?
                .into_iter()
                .find(|a| a.actor_ap_id == actor.trim())
                .ok_or_else(|| anyhow::anyhow!("{actor} is not blocked"))?;
            moderation::unblock_actor(db, CLI, row.id).await?;
            println!("unblocked {actor}");
        }
        ActorBlockCommand::List => {
            for a in roadie::db::moderation::list_actor_blocks(db).await? {
                println!("{}\t{}", a.actor_ap_id, a.comment);
            }
        }
    }
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
