//! The browser extension: `dist/chrome/` and `dist/firefox/`, each a complete unpacked extension.
//!
//! Each gets the sources under `extension/` (minus the build scripts and the README), the wasm
//! package from `dist/pkg/` (glue and module only), the vendored QR decoder, and its own manifest,
//! emitted from the one source `/manifest.json` by `extension/build/emit-manifests.mjs`.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

pub const BROWSERS: [&str; 2] = ["chrome", "firefox"];

/// Entries of `extension/` that are not part of the shipped extension.
const NOT_SHIPPED: &[&str] = &["build", "README.md"];

/// The wasm package files the extension loads (`--target web` glue and module); the `.d.ts`
/// files are for editors only.
const PKG_FILES: &[&str] = &["tessera_wasm.js", "tessera_wasm_bg.wasm"];

/// Vendored npm files: (source under node_modules, destination in the extension).
const VENDORED: &[(&str, &str)] = &[
    ("jsqr/dist/jsQR.js", "vendor/jsQR.js"),
    ("jsqr/LICENSE", "vendor/jsQR.LICENSE"),
];

pub fn package(root: &Path, dist: &Path) -> Result<()> {
    let sources = root.join("extension");
    let pkg = dist.join("pkg");
    for name in PKG_FILES {
        if !pkg.join(name).is_file() {
            bail!(
                "{} is missing: the wasm package must be built first",
                pkg.join(name).display()
            );
        }
    }
    for (from, _) in VENDORED {
        let path = root.join("node_modules").join(from);
        if !path.is_file() {
            bail!(
                "{} is missing: run `npm ci` at the repository root",
                path.display()
            );
        }
    }
    for browser in BROWSERS {
        let out = dist.join(browser);
        println!("==> extension: {}", out.display());
        if out.exists() {
            fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
        }
        copy_tree(&sources, &out, NOT_SHIPPED)?;
        for name in PKG_FILES {
            copy_file(&pkg.join(name), &out.join("pkg").join(name))?;
        }
        for (from, to) in VENDORED {
            copy_file(&root.join("node_modules").join(from), &out.join(to))?;
        }
    }
    emit_manifests(root, dist)
}

/// `node extension/build/emit-manifests.mjs --out dist`: writes `dist/<browser>/manifest.json`.
fn emit_manifests(root: &Path, dist: &Path) -> Result<()> {
    let script = root.join("extension/build/emit-manifests.mjs");
    println!("==> node {} --out {}", script.display(), dist.display());
    let status = Command::new("node")
        .arg(&script)
        .arg("--source")
        .arg(root.join("manifest.json"))
        .arg("--out")
        .arg(dist)
        .status()
        .context("running node (is node installed?)")?;
    if !status.success() {
        bail!("emit-manifests.mjs failed ({status})");
    }
    Ok(())
}

pub fn copy_tree(from: &Path, to: &Path, skip: &[&str]) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut entries: Vec<_> = fs::read_dir(from)
        .with_context(|| format!("reading {}", from.display()))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            copy_tree(&path, &to.join(&name), &[])?;
        } else {
            copy_file(&path, &to.join(&name))?;
        }
    }
    Ok(())
}

pub fn copy_file(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}
