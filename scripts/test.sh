#!/usr/bin/env bash
# Runs every test Tessera has, installing what is missing first. Used by developers and by .ci/run.
# Usage: scripts/test.sh            (everything)
source "$(dirname "$0")/lib.sh"

ensure_rust
ensure_node
ensure_browsers
export TESSERA_E2E_REQUIRED=1

passed=0
failed=0
failures=()
step() {
  local name="$1"; shift
  say "$name"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); say "$name: ok ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1)); failures+=("$name"); say "$name: FAILED ($((SECONDS - t0)) s)"
  fi
}

step "rustfmt" cargo fmt --all --check
step "clippy (native)" cargo clippy --workspace --all-targets --locked -- -D warnings
step "clippy (wasm32)" cargo clippy -p tessera-core -p tessera-wasm --target wasm32-unknown-unknown --locked -- -D warnings
step "core builds for wasm32 without wasm deps" scripts/check-core-purity.sh
step "rust tests (server on SQLite)" cargo test --workspace --locked
step "server tests on PostgreSQL (incl. the PostgreSQL-only ones)" scripts/with-postgres.sh cargo test -p tessera-server --locked -- --include-ignored
step "CLI team mode against the real server binary" cargo test -p tessera-cli --locked --test team -- --include-ignored
step "JS lint (eslint)" npx eslint .
step "build wasm package and extensions (cargo xtask dist)" cargo xtask dist
step "wasm package tests (node)" node --test tests/wasm/
step "web console tests (node)" node --test tests/www/
step "extension unit tests (node)" node --test tests/extension/
step "firefox extension lint (web-ext)" npx web-ext lint --source-dir dist/firefox
step "build the team server for the browser tests" cargo build -p tessera-server --locked
step "browser end-to-end (chromium + firefox, built extension)" node --test --test-concurrency=1 tests/e2e/
step "fuzz (short runs of every target)" scripts/fuzz.sh

echo
if [ "$failed" -ne 0 ]; then
  printf 'failed steps: %s\n' "${failures[*]}"
fi
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
