//! The wasm package: `crate/wasm` built for wasm32, run through wasm-bindgen (`--target web`)
//! and npm's binaryen `wasm-opt -Oz --converge --strip-target-features`, written to `dist/pkg/`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use flate2::Compression;
use flate2::write::GzEncoder;

const TARGET: &str = "wasm32-unknown-unknown";
const CRATE: &str = "tessera-wasm";
/// `[profile.wasm]` in the workspace manifest: release + size optimisation + panic=abort.
const PROFILE: &str = "wasm";
/// The file stem wasm-bindgen uses for its outputs (`tessera_wasm.js`, `tessera_wasm_bg.wasm`).
const STEM: &str = "tessera_wasm";

/// The features Rust enables by default for wasm32-unknown-unknown, and so the ones the module
/// already uses. wasm-opt must know them, and may use no others (browsers we support have these).
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-sign-ext",
    "--enable-multivalue",
    // Enabled by `WASM_RUSTFLAGS` below.
    "--enable-simd",
];

/// Extra rustc flags for the wasm target only (through `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS`,
/// so host builds and their cache are untouched). Fixed-width SIMD: every browser we support
/// (Chromium, Firefox 140+) and Node 20 run it; LLVM packs the byte loops of the crypto crates
/// into 128-bit operations and the module is 7 to 9.5 KB (gzipped) smaller, at the same speed
/// (docs/PERFORMANCE.md).
const WASM_RUSTFLAGS: &str = "-C target-feature=+simd128";

#[derive(Debug)]
pub struct Options {
    /// Run npm's binaryen `wasm-opt` (flags in `wasm_opt`) when it is installed (skipped with a
    /// note otherwise).
    pub wasm_opt: bool,
    /// Keep the name section (function names) for size profiling; never for a release.
    pub keep_names: bool,
}

pub fn package(root: &Path, out_dir: &Path, opts: &Options) -> Result<()> {
    check_target()?;
    let input = cargo_build(root)?;
    bindgen(&input, out_dir, opts.keep_names)?;
    let wasm = out_dir.join(format!("{STEM}_bg.wasm"));
    if opts.wasm_opt {
        wasm_opt(root, &wasm, opts.keep_names)?;
    }
    report_sizes(out_dir)?;
    Ok(())
}

/// Fails early and clearly when the wasm32 standard library is not installed.
fn check_target() -> Result<()> {
    let out = Command::new(rustc())
        .args(["--print", "sysroot"])
        .output()
        .context("running rustc --print sysroot")?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !sysroot.join("lib/rustlib").join(TARGET).is_dir() {
        bail!(
            "the Rust target {TARGET} is not installed (no {}).\n\
             Install it with: rustup target add {TARGET}",
            sysroot.join("lib/rustlib").join(TARGET).display()
        );
    }
    Ok(())
}

fn cargo_build(root: &Path) -> Result<PathBuf> {
    println!("==> cargo build -p {CRATE} --target {TARGET} --profile {PROFILE} --locked");
    println!("    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS={WASM_RUSTFLAGS:?}");
    let status = Command::new(cargo())
        .current_dir(root)
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            WASM_RUSTFLAGS,
        )
        .args([
            "build",
            "-p",
            CRATE,
            "--target",
            TARGET,
            "--profile",
            PROFILE,
            // `cargo xtask` itself has already resolved Cargo.lock; the package is built from it.
            "--locked",
        ])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build of {CRATE} for {TARGET} failed ({status})");
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let wasm = target_dir
        .join(TARGET)
        .join(PROFILE)
        .join(format!("{STEM}.wasm"));
    if !wasm.is_file() {
        bail!("cargo build succeeded but {} is missing", wasm.display());
    }
    Ok(wasm)
}

/// wasm-bindgen as a library, so its version is the one pinned in Cargo.lock (the same as the
/// crate's `wasm-bindgen`; a mismatch would make the glue and the module disagree).
fn bindgen(input: &Path, out_dir: &Path, keep_names: bool) -> Result<()> {
    println!(
        "==> wasm-bindgen --target web --out-dir {}",
        out_dir.display()
    );
    if out_dir.exists() {
        fs::remove_dir_all(out_dir).with_context(|| format!("removing {}", out_dir.display()))?;
    }
    fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(input)
        .web(true)?
        .typescript(true)
        .remove_name_section(!keep_names)
        .remove_producers_section(true)
        .generate(out_dir)
        .context("wasm-bindgen")?;
    Ok(())
}

/// npm's binaryen only: Debian's binaryen 108 `wasm-opt` exits 0 but corrupts wasm-bindgen
/// 0.2.130 output (the externref table), so /usr/bin/wasm-opt is never used.
fn wasm_opt(root: &Path, wasm: &Path, keep_names: bool) -> Result<()> {
    let bin = root.join("node_modules/binaryen/bin/wasm-opt");
    if !bin.is_file() {
        println!(
            "==> wasm-opt skipped: npm's binaryen is not installed (run `npm ci` at the \
             repository root); the package works without it, only larger"
        );
        return Ok(());
    }
    println!(
        "==> wasm-opt -Oz --converge --strip-target-features ({})",
        bin.display()
    );
    let mut cmd = Command::new("node");
    // `--converge` repeats -Oz until the module stops shrinking: about 0.5 KB gzipped
    // (docs/PERFORMANCE.md), a few seconds more. `--strip-target-features` drops the
    // `target_features` custom section (metadata for tools; wasm-bindgen has read it already,
    // engines ignore it): about 0.14 KB gzipped.
    cmd.arg(&bin)
        .args(["-Oz", "--converge", "--strip-target-features"])
        .args(WASM_FEATURES);
    if keep_names {
        cmd.arg("--debuginfo");
    }
    let status = cmd
        .arg(wasm)
        .arg("-o")
        .arg(wasm)
        .status()
        .context("running node node_modules/binaryen/bin/wasm-opt (is node installed?)")?;
    if !status.success() {
        bail!("wasm-opt failed ({status})");
    }
    Ok(())
}

fn report_sizes(out_dir: &Path) -> Result<()> {
    println!("==> {}", out_dir.display());
    let mut names: Vec<_> = fs::read_dir(out_dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name())
        .collect();
    names.sort();
    for name in names {
        let bytes = fs::read(out_dir.join(&name))?;
        println!(
            "    {:<28} {:>9} bytes raw {:>9} bytes gzipped",
            name.to_string_lossy(),
            bytes.len(),
            gzipped_len(&bytes)?
        );
    }
    Ok(())
}

/// Size after `gzip -9`, the figure the size budget (150 KB) is about.
pub fn gzipped_len(bytes: &[u8]) -> Result<usize> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes)?;
    Ok(enc.finish()?.len())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn rustc() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned())
}
