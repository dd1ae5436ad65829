//! The `onair` binary: one process serving the platform and (by default) the embedded
//! LiveKit-compatible media server. `main` parses the command line, composes the settings,
//! starts logging and hands over to a command.

mod cli;
mod commands;
mod livekit;
mod logging;
mod media;
mod settings;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, CreditsCommand, UserCommand};
use crate::settings::Settings;

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(&cli.flags())?;
    logging::init(settings.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve => commands::serve::run(settings).await,
            Command::Migrate => commands::admin::migrate(&settings).await,
            Command::User {
                command: UserCommand::Create(args),
            } => commands::admin::create_user(&settings, args).await,
            Command::Credits {
                command: CreditsCommand::Grant(args),
            } => commands::admin::grant_credits(&settings, args).await,
            Command::PrintConfig => commands::print_config::run(&settings),
        }
    })
}
