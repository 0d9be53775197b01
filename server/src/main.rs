//! `tessera-server`: see docs/SERVER.md. A binary of its own rather than a `tessera serve`
//! subcommand, so the CLI does not link the server (docs/CLI.md).

use clap::Parser;
use tessera_server::config::{Cli, Command};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Some(Command::Export(args)) = cli.command {
        // Offline: warnings and errors only, to stderr (the document may go to stdout).
        tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new("warn"))
            .with_ansi(false)
            .with_writer(std::io::stderr)
            .init();
        if let Err(e) = tessera_server::export::run_offline(&args).await {
            eprintln!("tessera-server export: {e}");
            std::process::exit(1);
        }
        return;
    }
    let config = cli.serve;
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = tessera_server::run(config).await {
        tracing::error!(error = %e, "tessera-server failed");
        std::process::exit(1);
    }
}
