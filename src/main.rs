//! The `besthub` command: `serve` (default), `import PATH...` and
//! `user grant-admin|revoke-admin EMAIL`.

use std::path::PathBuf;
use std::process::ExitCode;

use besthub::accounts::Role;
use besthub::config::Config;
use clap::{Parser, Subcommand};

/// mimalloc for every Rust allocation: a page render makes thousands of small allocations on
/// many threads at once, and glibc's malloc spent about a fifth of an uncached render in
/// itself and its arena locks (perf, issue 12). It also returns freed memory to the system
/// on its own: argon2's 19 MiB blocks no longer stay resident in each hashing thread, which
/// glibc needed a fixed `M_MMAP_THRESHOLD` for.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// BestHub: curated tech articles, republished and discussed.
#[derive(Parser)]
#[command(name = "besthub", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site (the default). Configuration: Leptos.toml and BESTHUB_* variables.
    Serve,
    /// Import Markdown files with YAML front matter, or every .md file in a folder.
    Import {
        /// Files or folders to import.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Give the account with this email the admin role.
    GrantAdmin {
        /// The account's email address.
        email: String,
    },
    /// Take the admin role from the account with this email (it stays a reader; its open
    /// sessions lose admin rights at their next request).
    RevokeAdmin {
        /// The account's email address.
        email: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(config) => config,
        Err(err) => return fail(&err),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(&format!("cannot start the async runtime: {err}")),
    };
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                init_tracing(&config.log_filter);
                match besthub::server::serve(config).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(err) => fail(&err),
                }
            }
            Command::Import { paths } => {
                init_tracing("warn");
                let pool = match besthub::db::connect(&config.database_url, 2).await {
                    Ok(pool) => pool,
                    Err(err) => return fail(&err),
                };
                let summary = besthub::import::import_paths(&pool, &paths).await;
                pool.close().await;
                println!("{summary}");
                if summary.failed > 0 {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                }
            }
            Command::User { command } => {
                init_tracing("warn");
                let (email, role, done) = match command {
                    UserCommand::GrantAdmin { email } => (email, Role::Admin, "is now an admin"),
                    UserCommand::RevokeAdmin { email } => {
                        (email, Role::Reader, "is no longer an admin")
                    }
                };
                set_role(&config, &email, role, done).await
            }
        }
    })
}

/// Gives the account with `email` the `role`, and says `done` of it.
async fn set_role(config: &Config, email: &str, role: Role, done: &str) -> ExitCode {
    let email = match besthub::accounts::domain::Email::parse(email) {
        Ok(email) => email,
        Err(why) => return fail(&format!("{email:?}: {why}")),
    };
    let pool = match besthub::db::connect(&config.database_url, 1).await {
        Ok(pool) => pool,
        Err(err) => return fail(&err),
    };
    let result = besthub::accounts::store::set_role(&pool, email.as_str(), role).await;
    pool.close().await;
    match result {
        Ok(true) => {
            println!("{} {done}", email.as_str());
            ExitCode::SUCCESS
        }
        Ok(false) => fail(&format!("no account has the email {}", email.as_str())),
        Err(err) => fail(&format!("database: {err}")),
    }
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn fail(err: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("besthub: {err}");
    ExitCode::FAILURE
}
