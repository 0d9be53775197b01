// Loads the BUILT wasm package (dist/pkg, from `cargo xtask dist`) the way a service worker does:
// the `--target web` glue, instantiated synchronously from the .wasm bytes.

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const PKG = new URL('../../dist/pkg/', import.meta.url);
const WASM = new URL('tessera_wasm_bg.wasm', PKG);

if (!fs.existsSync(WASM)) {
  throw new Error(`${fileURLToPath(WASM)} is missing: run \`cargo xtask dist\` first`);
}

const tessera = await import(new URL('tessera_wasm.js', PKG).href);
tessera.initSync({ module: fs.readFileSync(WASM) });

export default tessera;
