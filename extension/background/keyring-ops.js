// The two operations that run Argon2id (about a second): creating a keyring + personal vault,
// and opening a sealed keyring + vault with a passphrase. Pure functions of the wasm module, so
// they run either in a dedicated worker (kdf-worker.js, where the background shares a thread with
// the extension's pages, as in Firefox) or inline (Chrome's service worker is its own thread).
//
// What leaves: sealed bytes (safe to store), the public keys (public), the vault key and the
// keyring's session secret (`keyring.sessionSecret()`), which the background keeps in memory and
// storage.session for the lock window (team sign-in and audit-event signatures need the keyring
// while unlocked). Each wasm handle is freed (wiped) before returning.

export const PERSONAL_VAULT_NAME = 'Personal';

/** A new keyring sealed under `passphrase`, and a new empty vault granted to it. */
export function createKeyringAndVault(tessera, passphrase) {
  const keyring = tessera.Keyring.generate();
  try {
    const sealedKeyring = keyring.seal(passphrase, undefined);
    const publicKeys = keyring.publicKeys();
    const vault = tessera.Vault.create(PERSONAL_VAULT_NAME);
    try {
      return {
        sealedKeyring,
        sealedVault: vault.seal([publicKeys], undefined),
        publicKeys,
        vaultKey: tessera.vaultSessionKey(vault),
        keyringSecret: keyring.sessionSecret(),
      };
    } finally {
      vault.free();
    }
  } finally {
    keyring.free();
  }
}

/** Opens a sealed keyring and a vault granted to it: `{publicKeys, vaultKey, keyringSecret}`. */
export function openKeyringAndVault(tessera, sealedKeyring, sealedVault, passphrase) {
  const keyring = tessera.Keyring.unlock(sealedKeyring, passphrase);
  try {
    const vault = tessera.Vault.open(sealedVault, keyring);
    try {
      return {
        publicKeys: keyring.publicKeys(),
        vaultKey: tessera.vaultSessionKey(vault),
        keyringSecret: keyring.sessionSecret(),
      };
    } finally {
      vault.free();
    }
  } finally {
    keyring.free();
  }
}

/** Runs one operation by name (the worker's and the inline path's single entry point). */
export function runKeyringOp(tessera, request) {
  switch (request.op) {
    case 'create':
      return createKeyringAndVault(tessera, request.passphrase);
    case 'open':
      return openKeyringAndVault(tessera, request.sealedKeyring, request.sealedVault, request.passphrase);
    default:
      throw Object.assign(new Error('unknown keyring operation'), { code: 'internal' });
  }
}
