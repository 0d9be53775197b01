// The console's Argon2id worker (module worker). Messages:
//   {op: 'seal', secret: Uint8Array, passphrase} -> {sealed: Uint8Array}
//   {op: 'unlock', sealed: Uint8Array, passphrase} -> {secret: Uint8Array} (the session secret)
//   {op: 'generate', passphrase} -> {sealed, secret}: a new keyring (Keyring.generate), sealed
// Errors answer {error: {code, message}}. Secret bytes are wiped here once used.
import init, { Keyring } from '../pkg/tessera_wasm.js';

const ready = init({ module_or_path: new URL('../pkg/tessera_wasm_bg.wasm', import.meta.url) });

self.onmessage = async ({ data }) => {
  try {
    await ready;
    if (data?.op === 'seal') {
      const keyring = Keyring.fromSessionSecret(data.secret);
      data.secret.fill(0);
      try {
        const sealed = keyring.seal(data.passphrase);
        self.postMessage({ sealed }, [sealed.buffer]);
      } finally {
        keyring.free();
      }
    } else if (data?.op === 'generate') {
      const keyring = Keyring.generate();
      try {
        const sealed = keyring.seal(data.passphrase);
        const secret = keyring.sessionSecret();
        self.postMessage({ sealed, secret }, [sealed.buffer, secret.buffer]);
      } finally {
        keyring.free();
      }
    } else if (data?.op === 'unlock') {
      const keyring = Keyring.unlock(data.sealed, data.passphrase);
      try {
        const secret = keyring.sessionSecret();
        self.postMessage({ secret }, [secret.buffer]);
      } finally {
        keyring.free();
      }
    } else {
      self.postMessage({ error: { code: 'bad_argument', message: 'Unknown worker request.' } });
    }
  } catch (error) {
    self.postMessage({
      error: {
        code: typeof error?.code === 'string' ? error.code : 'internal',
        message: typeof error?.message === 'string' ? error.message : 'Key derivation failed.',
      },
    });
  }
};
