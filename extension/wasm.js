// The wasm package (`cargo xtask dist` copies it to pkg/), imported statically: Chrome's service
// worker allows neither top-level await nor dynamic import(). Instantiated on first use, inside a
// handler, so the worker starts fast and a failure surfaces as that handler's error.
import init, * as tessera from './pkg/tessera_wasm.js';

let ready = null;

/** The initialised wasm module's exports (Keyring, Vault, classifyHost, rankSignIn, ...). */
export function loadWasm() {
  ready ??= init({ module_or_path: new URL('./pkg/tessera_wasm_bg.wasm', import.meta.url) }).then(
    () => tessera,
    (error) => {
      ready = null;
      throw error;
    },
  );
  return ready;
}
