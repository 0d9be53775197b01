#!/usr/bin/env bash
# Builds Tessera and runs what exists so far, installing what is missing first.
# Today that is the wasm package (dist/pkg) and the `tessera` CLI; the team server and the extension
# arrive with issues 3-5 and will be started and printed here.
source "$(dirname "$0")/lib.sh"

ensure_rust
ensure_node

say "building the wasm package (cargo xtask dist)"
cargo xtask dist
say "building the tessera CLI (release)"
cargo build --release -p tessera-cli --locked

cat <<MSG

Tessera is built.
  CLI:           $ROOT/target/release/tessera --help
  wasm package:  $ROOT/dist/pkg/   (loaded by extension/ and www/)

Try it:
  export TESSERA_HOME=\$(mktemp -d)
  $ROOT/target/release/tessera init
  $ROOT/target/release/tessera add 'otpauth://totp/Amazon%20Web%20Services:root@123456789012?secret=JBSWY3DPEHPK3PXP'
  $ROOT/target/release/tessera code 123456789012
MSG
