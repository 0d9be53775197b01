#!/usr/bin/env bash
# Builds Tessera and runs it, installing what is missing first:
#   - the wasm package and the unpacked extensions (dist/chrome, dist/firefox),
#   - the `tessera` CLI,
#   - the team server on its embedded SQLite default (data in ./tessera-data), in the foreground.
# Environment: TESSERA_LISTEN (default 127.0.0.1:8787), TESSERA_DATA_DIR (default ./tessera-data).
source "$(dirname "$0")/lib.sh"

ensure_rust
ensure_node

say "building the wasm package and the extensions (cargo xtask dist)"
cargo xtask dist
say "building the tessera CLI and the team server (release)"
cargo build --release --locked -p tessera-cli -p tessera-server

listen="${TESSERA_LISTEN:-127.0.0.1:8787}"
data="${TESSERA_DATA_DIR:-$ROOT/tessera-data}"
mkdir -p "$data"

cat <<MSG

Tessera is built.
  Team server:        http://$listen/api/v1/health   (SQLite: $data/tessera.db)
                      first start writes a one-time setup token to $data/setup-token
                      (the web console that uses it arrives with issue 5; API: docs/openapi.yaml)
  Chrome extension:   $ROOT/dist/chrome    chrome://extensions → Developer mode → Load unpacked
  Firefox extension:  $ROOT/dist/firefox   about:debugging → This Firefox → Load Temporary Add-on → manifest.json
  CLI:                $ROOT/target/release/tessera --help

Starting the server (Ctrl-C stops it)...
MSG
exec "$ROOT/target/release/tessera-server" --listen "$listen" --data-dir "$data"
