#!/usr/bin/env bash
# Builds Tessera and runs it, installing what is missing first:
#   - the wasm package, the unpacked extensions (dist/chrome, dist/firefox) and the web console
#     (dist/www),
#   - the `tessera` CLI,
#   - the team server on its embedded SQLite default (data in ./tessera-data), serving the web
#     console at http://LISTEN/, in the foreground.
# Environment: TESSERA_LISTEN (default 127.0.0.1:8787), TESSERA_DATA_DIR (default ./tessera-data),
# TESSERA_WWW_DIR (default dist/www).
source "$(dirname "$0")/lib.sh"

ensure_rust
ensure_node

say "building the wasm package, the extensions and the web console (cargo xtask dist)"
cargo xtask dist
say "building the tessera CLI and the team server (release)"
cargo build --release --locked -p tessera-cli -p tessera-server

listen="${TESSERA_LISTEN:-127.0.0.1:8787}"
data="${TESSERA_DATA_DIR:-$ROOT/tessera-data}"
www="${TESSERA_WWW_DIR:-$ROOT/dist/www}"
mkdir -p "$data"

cat <<MSG

Tessera is built.
  Web console:        http://$listen/   (files: $www)
  Team server:        http://$listen/api/v1/health   (SQLite: $data/tessera.db; API: docs/openapi.yaml)
                      first start writes a one-time setup token to $data/setup-token:
                      open the console and paste it to register the owner
  Chrome extension:   $ROOT/dist/chrome    chrome://extensions → Developer mode → Load unpacked
  Firefox extension:  $ROOT/dist/firefox   about:debugging → This Firefox → Load Temporary Add-on → manifest.json
  CLI:                $ROOT/target/release/tessera --help

Starting the server (Ctrl-C stops it)...
MSG
exec "$ROOT/target/release/tessera-server" --listen "$listen" --data-dir "$data" --www-dir "$www"
