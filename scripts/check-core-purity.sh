#!/usr/bin/env bash
# The core crate must build for wasm32 with no wasm-bindgen, js-sys or web-sys anywhere in its tree
# (STYLE.md practice 1): only the thin crate/wasm layer talks to JS.
set -euo pipefail
cd "$(dirname "$0")/.."
tree="$(cargo tree -p tessera-core -e normal --target wasm32-unknown-unknown --prefix none)"
if grep -E '^(wasm-bindgen|js-sys|web-sys|getrandom) ' <<<"$tree"; then
  echo "tessera-core depends on a wasm binding or an OS RNG (above); randomness must be a parameter" >&2
  exit 1
fi
cargo build -p tessera-core --target wasm32-unknown-unknown --locked --quiet
echo "tessera-core: pure (no wasm-bindgen/js-sys/web-sys/getrandom), builds for wasm32"
