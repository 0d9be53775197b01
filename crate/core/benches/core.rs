//! Native benchmarks of the core's hot paths (docs/PERFORMANCE.md has the figures):
//! 10,000 codes, opening a 10,000-entry vault, and one Argon2id keyring unlock at the default
//! parameters. Run: `cargo bench -p tessera-core --bench core`.
// Setup that fails should stop the benchmark loudly; there is no caller to return an error to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rand_core::UnwrapErr;
use tessera_core::Entry;
use tessera_core::codebook::CodeBook;
use tessera_core::keyring::{KdfParams, Keyring};
use tessera_core::otp::Generator;
use tessera_core::secret::SecretBytes;
use tessera_core::vault::{OpenVault, SealedVault};

const N: usize = 10_000;
const T: u64 = 1_700_000_000;

fn rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

/// 10,000 TOTP entries with 20-byte seeds (SHA1, 6 digits, 30 s: what most services issue).
fn entries() -> Vec<Entry> {
    (0..N)
        .map(|i| {
            let seed: Vec<u8> = (0..20u8)
                .map(|b| b.wrapping_mul(31).wrapping_add(i as u8) ^ (i >> 8) as u8)
                .collect();
            let mut e = Entry::new(SecretBytes::new(seed), format!("user{i}@example.com"));
            e.issuer = Some(format!("Service {i}"));
            e
        })
        .collect()
}

fn codes(c: &mut Criterion) {
    let entries = entries();
    let book = CodeBook::new(&entries);
    let generators: Vec<Generator> = entries
        .iter()
        .map(|e| Generator::new(&e.secret, &e.otp).unwrap())
        .collect();
    let mut out = String::with_capacity(N * 7);
    c.bench_function("codes: 10,000 via CodeBook (keyed once)", |b| {
        b.iter(|| {
            out.clear();
            for i in 0..book.len() {
                book.write_code(i, black_box(T), &mut out);
            }
            black_box(out.len())
        })
    });
    c.bench_function(
        "codes: 10,000 via otp::Generator (totp-rs, keyed per code)",
        |b| {
            b.iter(|| {
                out.clear();
                for g in &generators {
                    g.write_code(black_box(T), &mut out);
                }
                black_box(out.len())
            })
        },
    );
}

fn open_vault(c: &mut Criterion) {
    let keyring = Keyring::generate(&mut rng());
    let mut vault = OpenVault::create("bench", &mut rng());
    for e in entries() {
        vault.add(e, &mut rng()).unwrap();
    }
    let bytes = vault
        .seal(&[*keyring.public()], None, &mut rng())
        .unwrap()
        .to_bytes();
    c.bench_function("vault: open a 10,000-entry snapshot", |b| {
        b.iter(|| {
            let opened = SealedVault::from_bytes(black_box(&bytes))
                .unwrap()
                .open(&keyring)
                .unwrap();
            black_box(opened.entries().len())
        })
    });
    c.bench_function("vault: open a 10,000-entry snapshot + CodeBook", |b| {
        b.iter(|| {
            let opened = SealedVault::from_bytes(black_box(&bytes))
                .unwrap()
                .open(&keyring)
                .unwrap();
            black_box(CodeBook::new(opened.entries().iter().map(|(_, e)| e)).len())
        })
    });
}

fn argon2_unlock(c: &mut Criterion) {
    let keyring = Keyring::generate(&mut rng());
    let passphrase = b"correct horse battery staple";
    let sealed = keyring
        .seal(passphrase, KdfParams::DEFAULT, &mut rng())
        .unwrap();
    let mut group = c.benchmark_group("keyring");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("keyring: Argon2id unlock (64 MiB, t=3, p=1)", |b| {
        b.iter(|| black_box(Keyring::open(black_box(&sealed), passphrase).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, codes, open_vault, argon2_unlock);
criterion_main!(benches);
