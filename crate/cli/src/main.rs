//! `tessera`: one-time codes from otpauth URIs and from a local, passphrase-sealed vault.
//!
//! This binary is an edge of the system: it reads the clock, the OS random number generator, the
//! terminal and the file system, and hands everything else to `tessera-core`.
//!
//! Output goes through `out::line` (a `writeln!` whose errors are handled) rather than `println!`,
//! which panics when stdout is a closed pipe (`tessera list | head -1`). That is also why the
//! workspace's `print_stdout` lint needs no exception here.

mod atomic;
mod cli;
mod commands;
mod error;
mod home;
mod lock;
mod out;
mod passphrase;
mod rng;
mod store;
mod team;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{AuditCommand, Cli, Command, TeamCommand};
use crate::error::CliError;
use crate::home::Home;

fn main() -> ExitCode {
    // Last resort: no code path is meant to panic, but if one does, print one line (no payload,
    // which could quote data) and exit 1 instead of a message and a backtrace.
    std::panic::set_hook(Box::new(|_| {
        out::error_line("internal error (this is a bug in tessera)");
        std::process::exit(1);
    }));

    // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            out::error_line(&format!("{e} [{}]", e.code()));
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    panic_hook_test();
    // `code URI` and `audit` need no home; everything else does.
    if let Command::Code { at, target } = &cli.command
        && let Some(uri) = commands::code::as_uri(target)?
    {
        return commands::code::of_uri(&uri, *at);
    }
    let home = || Home::resolve(cli.home.clone());
    match cli.command {
        Command::Init => commands::init::run(&home()?),
        Command::Add {
            uri,
            name,
            aws_account,
        } => commands::add::run(&home()?, &uri, name, aws_account),
        Command::Import { file, skip_invalid } => {
            commands::import::run(&home()?, &file, skip_invalid)
        }
        Command::List => commands::list::run(&home()?),
        Command::Code { at, target } => commands::code::of_query(&home()?, &target, at),
        Command::Rm { query, yes } => commands::rm::run(&home()?, &query, yes),
        Command::Audit {
            command: AuditCommand::Verify { file, head },
        } => commands::audit::verify(&file, head.as_deref()),
        Command::Recover {
            kit,
            export,
            server,
            format,
            out,
        } => {
            let fetch = || match (&export, &server) {
                (Some(path), _) => commands::recover::read_export_file(path),
                (None, Some(url)) => commands::team::fetch_export(&home()?, url),
                (None, None) => Err(CliError::Usage(
                    "give an EXPORT file or --server URL".into(),
                )),
            };
            commands::recover::run(&kit, fetch, format, out.as_deref())
        }
        Command::Team { command } => match command {
            TeamCommand::Join { link, label } => {
                commands::team::join(&home()?, &link, label.as_deref())
            }
            TeamCommand::Status => commands::team::status(&home()?),
            TeamCommand::Sync => commands::team::sync(&home()?),
            TeamCommand::Leave => commands::team::leave(&home()?),
        },
    }
}

/// Debug builds only: `TESSERA_TEST_CRASH=panic` panics here so the integration tests can check
/// that the hook above turns a panic into one line and exit 1. Release builds have no such path.
#[cfg(debug_assertions)]
#[allow(clippy::panic)] // The deliberate panic under test.
fn panic_hook_test() {
    if std::env::var_os("TESSERA_TEST_CRASH").is_some_and(|v| v == "panic") {
        panic!("TESSERA_TEST_CRASH=panic");
    }
}

#[cfg(not(debug_assertions))]
fn panic_hook_test() {}
