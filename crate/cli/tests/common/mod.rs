//! Runs the real `tessera` binary against a throw-away home.
//!
//! Every run's stdout and stderr are checked against [`SEEDS`]: no test may see a seed in any
//! output, whatever it is testing.
#![allow(dead_code)] // Each test file uses a different part of this helper.
#![allow(clippy::unwrap_used)] // Test harness: a failing unwrap is a failing test.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_tessera");
pub const PASSPHRASE: &str = "correct horse battery staple";

/// Every seed the tests use, as they appear in URIs. None may ever be printed.
pub const SEEDS: &[&str] = &[
    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
    "JBSWY3DPEHPK3PXP",
    "UUXGEFACW7KYOGBGPFJVJLFVZ4STLERT2S7A6D6ZD725YKDD545BQ6EXZYFPZ4QL",
    "AEBAGBAFAYDQQCIKBMGA2DQPCA",
    // "tessera-seed-one", "tessera-seed-two", "tessera-seed-3" ... "tessera-seed-6".
    "ORSXG43FOJQS243FMVSC233OMU",
    "ORSXG43FOJQS243FMVSC25DXN4",
    "ORSXG43FOJQS243FMVSC2MY",
    "ORSXG43FOJQS243FMVSC2NA",
    "ORSXG43FOJQS243FMVSC2NI",
    "ORSXG43FOJQS243FMVSC2NQ",
];

/// RFC 6238's SHA1 seed ("12345678901234567890") in base32.
pub const RFC_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

#[derive(Debug)]
pub struct Run {
    /// `None` when the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Self {
        let run = Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        run.assert_no_seed();
        run
    }

    fn assert_no_seed(&self) {
        for seed in SEEDS {
            for text in [&self.stdout, &self.stderr] {
                let lower = text.to_lowercase();
                assert!(
                    !text.contains(seed) && !lower.contains(&seed.to_lowercase()),
                    "a seed was printed: {self:?}"
                );
            }
        }
    }

    /// Exit 0, nothing on stderr.
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(self.code, Some(0), "expected success: {self:?}");
        assert_eq!(self.stderr, "", "expected a quiet stderr: {self:?}");
        self
    }

    /// The given exit code, nothing on stdout, and exactly one stderr line `tessera: error: ...`
    /// (after `extra_lines` lines of candidates or notes). Returns the error line.
    #[track_caller]
    pub fn fails(&self, code: i32, extra_lines: usize) -> &str {
        assert_eq!(self.code, Some(code), "wrong exit code: {self:?}");
        assert_eq!(self.stdout, "", "stdout must be empty on error: {self:?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            extra_lines + 1,
            "wrong stderr line count: {self:?}"
        );
        let last = lines[lines.len() - 1];
        assert!(
            last.starts_with("tessera: error: "),
            "not an error line: {self:?}"
        );
        assert!(!self.stderr.contains("panicked"), "panic: {self:?}");
        assert!(
            !self.stderr.contains("RUST_BACKTRACE"),
            "backtrace hint: {self:?}"
        );
        last
    }
}

/// A temporary directory with a vault home under it (not created until `init`).
pub struct Home {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
}

impl Home {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("home");
        Home { _tmp: tmp, dir }
    }

    /// A home with `tessera init` done.
    pub fn init() -> Self {
        let home = Home::new();
        let run = home.run(&["init"]);
        assert_eq!(run.code, Some(0), "{run:?}");
        home
    }

    pub fn vault(&self) -> PathBuf {
        self.dir.join("vault.tessera")
    }

    pub fn keyring(&self) -> PathBuf {
        self.dir.join("keyring.tessera")
    }

    /// The command with this home, the test passphrase and the fast (floor) KDF.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_remove("TESSERA_TEST_CRASH")
            .env("TESSERA_HOME", &self.dir)
            .env("TESSERA_PASSPHRASE", PASSPHRASE)
            .env("TESSERA_KDF", "floor")
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().unwrap())
    }

    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().unwrap())
    }

    pub fn run_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        Run::from(child.wait_with_output().unwrap())
    }

    /// `tessera add URI` (and options), which must succeed.
    pub fn add(&self, args: &[&str]) {
        let mut all = vec!["add"];
        all.extend_from_slice(args);
        let run = self.run(&all);
        assert_eq!(run.code, Some(0), "{run:?}");
    }

    /// The names (second column) of `tessera list`, sorted.
    pub fn names(&self) -> Vec<String> {
        let run = self.run(&["list"]);
        assert_eq!(run.code, Some(0), "{run:?}");
        let mut names: Vec<String> = run
            .stdout
            .lines()
            .skip(1)
            .map(|l| {
                l.split("  ")
                    .filter(|c| !c.is_empty())
                    .nth(1)
                    .unwrap()
                    .trim()
                    .to_owned()
            })
            .collect();
        names.sort();
        names
    }
}

/// Records of a `tests/vectors/*.txt` file (see tests/vectors/README.md): `key: value` lines,
/// records separated by blank lines, `#` comments.
pub fn vector_records(name: &str) -> Vec<Vec<(String, String)>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut records = Vec::new();
    let mut current = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            if !current.is_empty() {
                records.push(std::mem::take(&mut current));
            }
            continue;
        }
        let (k, v) = line.split_once(": ").unwrap();
        current.push((k.to_owned(), v.to_owned()));
    }
    if !current.is_empty() {
        records.push(current);
    }
    records
}

pub fn get<'a>(record: &'a [(String, String)], key: &str) -> Option<&'a str> {
    record
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}
