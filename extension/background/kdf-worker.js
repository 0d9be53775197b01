// A dedicated worker for the Argon2id operations (keyring-ops.js), started by the background
// where it shares its thread with the extension's pages (Firefox's event page): the popup stays
// responsive while the key is derived. One operation per worker; the background terminates it,
// which frees the 64 MiB Argon2 used.
import { loadWasm } from '../wasm.js';
import { runKeyringOp } from './keyring-ops.js';

self.onmessage = async ({ data }) => {
  try {
    const result = runKeyringOp(await loadWasm(), data);
    self.postMessage({ ok: true, result });
  } catch (error) {
    self.postMessage({ ok: false, code: typeof error?.code === 'string' ? error.code : 'internal' });
  }
};
