// Argon2id (about a second) off the page's thread: a module worker (kdf-worker.js) loads the same
// wasm package and seals or unlocks; the unlocked keyring comes back as its session secret bytes,
// rebuilt here with Keyring.fromSessionSecret and wiped at once.

/** `{seal(keyring, passphrase) -> Uint8Array, unlock(sealed, passphrase) -> Keyring,
 * generate(passphrase) -> {keyring, sealed}}` via a worker. */
export function workerKdf(wasm, workerUrl = new URL('./kdf-worker.js', import.meta.url)) {
  const run = (message, transfer) =>
    new Promise((resolve, reject) => {
      const worker = new Worker(workerUrl, { type: 'module' });
      const done = () => worker.terminate();
      worker.onmessage = ({ data }) => {
        done();
        if (data?.error) reject(Object.assign(new Error(data.error.message), { code: data.error.code }));
        else resolve(data);
      };
      worker.onerror = (event) => {
        done();
        event.preventDefault?.();
        reject(Object.assign(new Error('The key derivation worker failed to start.'), { code: 'worker_failed' }));
      };
      worker.postMessage(message, transfer);
    });
  return {
    async seal(keyring, passphrase) {
      const secret = keyring.sessionSecret();
      const { sealed } = await run({ op: 'seal', secret, passphrase }, [secret.buffer]);
      return sealed;
    },
    /** A new keyring made and sealed in the worker (joining from an invite). */
    async generate(passphrase) {
      const { sealed, secret } = await run({ op: 'generate', passphrase }, []);
      try {
        return { keyring: wasm.Keyring.fromSessionSecret(secret), sealed };
      } finally {
        secret.fill(0);
      }
    },
    async unlock(sealed, passphrase) {
      const copy = new Uint8Array(sealed);
      const { secret } = await run({ op: 'unlock', sealed: copy, passphrase }, [copy.buffer]);
      try {
        return wasm.Keyring.fromSessionSecret(secret);
      } finally {
        secret.fill(0);
      }
    },
  };
}

/** The same interface on this thread (tests, and `kdf` params for fast test keyrings). */
export function inlineKdf(wasm, kdfParams) {
  return {
    async seal(keyring, passphrase) {
      return keyring.seal(passphrase, kdfParams);
    },
    async generate(passphrase) {
      const keyring = wasm.Keyring.generate();
      return { keyring, sealed: keyring.seal(passphrase, kdfParams) };
    },
    async unlock(sealed, passphrase) {
      return wasm.Keyring.unlock(sealed, passphrase);
    },
  };
}
