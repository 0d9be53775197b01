#!/usr/bin/env bash
# Runs every cargo-fuzz target in crate/fuzz for a few seconds each (FUZZ_SECONDS, default 5),
# seeded from the vector files. Any crash, panic, timeout or OOM fails the script; the input that
# caused it is left in crate/fuzz/artifacts/TARGET/.
#
# Stable Rust only here: cargo-fuzz passes nightly-only `-Z` flags, which stable rustc accepts
# under RUSTC_BOOTSTRAP=1. `-s none` skips AddressSanitizer: the core is `forbid(unsafe_code)`,
# libFuzzer still catches panics, overflows (debug assertions are on), hangs and OOM, and an
# ASan build takes twice as long on CI's two cores. For a long local run:
#   cd crate/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET --fuzz-dir . -s none
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FUZZ_DIR="$ROOT/crate/fuzz"
VECTORS="$ROOT/tests/vectors"
SECONDS_EACH="${FUZZ_SECONDS:-5}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked --quiet
fi

# Seeds: every `uri:` of the vector files, and a few base32 forms. Seeds are not committed
# (crate/fuzz/corpus is ignored); libFuzzer adds what it finds beside them.
seed() { # TARGET NAME TEXT
  mkdir -p "$FUZZ_DIR/corpus/$1"
  printf '%s' "$3" >"$FUZZ_DIR/corpus/$1/seed-$2"
}
n=0
while IFS= read -r uri; do
  n=$((n + 1)); seed otpauth_parse "$n" "$uri"
done < <(sed -n 's/^uri: //p' "$VECTORS"/otpauth-valid.txt "$VECTORS"/otpauth-invalid.txt)
n=0
while IFS= read -r uri; do
  n=$((n + 1)); seed migration_parse "$n" "$uri"
done < <(sed -n 's/^uri: //p' "$VECTORS"/migration.txt)
n=0
for text in JBSWY3DPEHPK3PXP "jbsw y3dp-ehpk 3pxp" MZXW6=== "MZXW6YQ=" \
  UUXGEFACW7KYOGBGPFJVJLFVZ4STLERT2S7A6D6ZD725YKDD545BQ6EXZYFPZ4QL; do
  n=$((n + 1)); seed base32 "$n" "$text"
done

cd "$FUZZ_DIR"
targets=$(cargo fuzz list --fuzz-dir .)
echo "==> building fuzz targets: $(echo $targets)" >&2
cargo fuzz build --fuzz-dir . -s none
for target in $targets; do
  echo "==> fuzzing $target for ${SECONDS_EACH}s" >&2
  mkdir -p "$FUZZ_DIR/logs"
  log="$FUZZ_DIR/logs/fuzz-$target.log"
  if ! cargo fuzz run --fuzz-dir . -s none "$target" -- \
    -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz: $target failed; the input is in crate/fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E '^(Done |stat::number_of_executed_units)' "$log" || true
done
echo "fuzz: $(echo $targets | wc -w) targets, ${SECONDS_EACH}s each, no failure"
