//! The command line (clap). Flags override `onair.toml` and the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::settings::Flags;

/// OnAir: live streaming in one binary, with an embedded LiveKit-compatible media server.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Configuration file (default: `onair.toml` in the working directory, when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// HTTP listener address [env: ONAIR_BIND] [default: 127.0.0.1:8080].
    #[arg(long, global = true, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Data directory: SQLite database, generated LiveKit key [env: ONAIR_DATA_DIR] [default: ./data].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    pub fn flags(&self) -> Flags {
        Flags {
            config: self.config.clone(),
            bind: self.bind,
            data_dir: self.data_dir.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the platform (and the embedded media server unless LIVEKIT_URL is set).
    Serve,
    /// Create or migrate the database, then exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage credits.
    Credits {
        #[command(subcommand)]
        command: CreditsCommand,
    },
    /// Print the effective configuration (secrets redacted).
    PrintConfig,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Create(CreateUser),
}

#[derive(Debug, Args)]
pub struct CreateUser {
    #[arg(long)]
    pub email: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// Password; when omitted, read from ONAIR_USER_PASSWORD or the first line of stdin.
    #[arg(long)]
    pub password: Option<String>,
    /// Make the account an admin.
    #[arg(long)]
    pub admin: bool,
}

#[derive(Debug, Subcommand)]
pub enum CreditsCommand {
    /// Grant credits to an account.
    Grant(GrantCredits),
}

#[derive(Debug, Args)]
pub struct GrantCredits {
    #[arg(long)]
    pub email: String,
    /// Positive number of credits.
    #[arg(long)]
    pub amount: i64,
    /// Why (logged with the grant).
    #[arg(long)]
    pub reason: Option<String>,
}
