//! Tessera's build tasks, run as `cargo xtask <task>` (alias in `.cargo/config.toml`).
//!
//! `dist` is the single entry point that developers, the README and CI use to produce everything
//! under `dist/`. Each artefact is one step in [`dist`], in dependency order.
// A build tool's console output is its interface.
#![allow(clippy::print_stdout)]

mod extension;
mod wasm;
mod www;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  dist [--no-wasm-opt] [--keep-names]
                         build everything under dist/:
                           dist/pkg/   the wasm package (wasm-bindgen --target web, wasm-opt -Oz --converge --strip-target-features)
                           dist/chrome/, dist/firefox/   the extension
                           dist/www/   the web console (tessera-server --www-dir dist/www)
                         --keep-names keeps the wasm name section, for size profiling only
  www                    rebuild only dist/www/ (the console) from the current dist/pkg/
  help                   this text";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dist") => dist(&args[1..]),
        Some("www") => workspace_root().and_then(|root| www::package(&root, &root.join("dist"))),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn dist(args: &[String]) -> Result<()> {
    let mut opts = wasm::Options {
        wasm_opt: true,
        keep_names: false,
    };
    for arg in args {
        match arg.as_str() {
            "--no-wasm-opt" => opts.wasm_opt = false,
            "--keep-names" => opts.keep_names = true,
            other => anyhow::bail!("unknown option for dist: {other}\n{USAGE}"),
        }
    }
    let root = workspace_root()?;
    let dist = root.join("dist");

    // 1. The wasm package, loaded by the extension, the web console and the JS tests.
    wasm::package(&root, &dist.join("pkg"), &opts)?;

    // 2. The browser extension: dist/chrome/ and dist/firefox/ (extension/ sources, the wasm
    //    package, one manifest per browser emitted from the top-level manifest.json).
    extension::package(&root, &dist)?;

    // 3. The web console: dist/www/ (www/ sources, the wasm package, the shared team client, the
    //    extension page modules it reuses, the QR decoder and encoder).
    www::package(&root, &dist)?;

    Ok(())
}

/// The workspace root: the parent of this crate's directory.
fn workspace_root() -> Result<PathBuf> {
    // `cargo run` sets CARGO_MANIFEST_DIR for the process: prefer it to the path compiled in, so
    // a binary reused from a shared target directory still builds the checkout it was run from.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .context("xtask's manifest directory has no parent")
}
