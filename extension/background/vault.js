// The vault in the background: the only place (with the extension's pages' forms) where it is
// created, unlocked, changed and locked.
//
// Where things live:
//   storage.local    the sealed keyring and the sealed vault (FORMAT.md §3, §9), base64; settings;
//                    remembered choices; the use log. Nothing here opens without the passphrase.
//   storage.session  while unlocked: the vault key, the keyring's session secret (team sign-in and
//                    audit-event signatures, background/team.js), the public keys (to re-seal
//                    after a change) and the auto-lock deadline. Memory only, never written to disk, cleared by the
//                    browser on restart, readable only by the extension's own pages and background
//                    (not by content scripts). It lets the vault reopen after Chrome stopped the
//                    idle service worker, without asking for the passphrase again.
//   memory           the open wasm Vault (seeds in wasm memory) and Keyring, rebuilt from the two
//                    above.
//
// Auto-lock: every use moves the deadline to now + autoLockMinutes and sets an alarm for it; the
// alarm (or the first use after the deadline, whichever comes first) locks. A browser restart
// empties storage.session, which locks too.
import { canStartWorker, ext, sessionStorageArea } from '../browser.js';
import { loadWasm } from '../wasm.js';
import { runKeyringOp } from './keyring-ops.js';
import { getSettings } from './settings.js';

export const AUTOLOCK_ALARM = 'tessera-autolock';
const SESSION_KEY = 'session';
/** Moving the deadline costs a storage write and an alarm: not more than once per this. */
const TOUCH_GRANULARITY_MS = 15_000;

export const STATE = Object.freeze({ NONE: 'none', LOCKED: 'locked', UNLOCKED: 'unlocked' });

/** An error with a stable code, as the wasm layer's. */
export function codedError(code, message = code) {
  return Object.assign(new Error(message), { code });
}

// ---- bytes <-> storage ------------------------------------------------------------------------

export function toBase64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

export function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// ---- state ------------------------------------------------------------------------------------

/** The open vault (a wasm handle) and the session it was opened from. */
let open = null; // { vault, keyring, publicKeys: Uint8Array, vaultKey: Uint8Array }
/** Called when the vault locks (the team module frees its vaults and forgets its sessions). */
const lockListeners = [];

export function onLock(listener) {
  lockListeners.push(listener);
}
/** One restore at a time: concurrent handlers after a worker restart share it. */
let restoring = null;

function session() {
  return sessionStorageArea();
}

async function readSession() {
  const area = session();
  if (!area) return null;
  const { [SESSION_KEY]: value } = await area.get(SESSION_KEY);
  return value ?? null;
}

async function stored() {
  const { keyring, vault } = await ext.storage.local.get(['keyring', 'vault']);
  return keyring && vault ? { keyring: fromBase64(keyring), vault: fromBase64(vault) } : null;
}

export async function vaultState() {
  // Unlocked (or reopened from the session): no need to read the sealed vault (megabytes of base64
  // with 10,000 entries) to know that it exists. restore() reads it only when it reopens.
  if (await openVault()) return STATE.UNLOCKED;
  return (await stored()) ? STATE.LOCKED : STATE.NONE;
}

/**
 * The open vault, reopened from storage.session after a worker restart if the lock window is
 * still open; null when locked. Each call counts as a use (moves the auto-lock deadline).
 */
export async function openVault({ touch = true } = {}) {
  if (!open) {
    restoring ??= restore().finally(() => {
      restoring = null;
    });
    await restoring;
  }
  if (open) {
    // The deadline is checked on every use too: the alarm may come late (a sleeping machine).
    const saved = session() ? await readSession() : { lockAt: Infinity };
    if (!saved || Date.now() >= saved.lockAt) {
      await lock();
      return null;
    }
    if (touch) await touchSession(saved);
  }
  return open?.vault ?? null;
}

/** The unlocked keyring (a wasm handle: team sign-in, event signatures), or null when locked. */
export function sessionKeyring() {
  return open?.keyring ?? null;
}

/** The open vault's key (for keyed hashes of local metadata), or null when locked. */
export function sessionVaultKey() {
  return open?.vaultKey ?? null;
}

/** The open vault or a `vault_locked` error. */
export async function requireVault() {
  const vault = await openVault();
  if (!vault) throw codedError('vault_locked', 'the vault is locked');
  return vault;
}

async function restore() {
  const saved = await readSession();
  if (!saved) return;
  if (Date.now() >= saved.lockAt) {
    await lock();
    return;
  }
  const sealed = await stored();
  if (!sealed) {
    await lock();
    return;
  }
  const tessera = await loadWasm();
  const vaultKey = fromBase64(saved.vaultKey);
  open = {
    vault: tessera.openVaultWithSessionKey(sealed.vault, vaultKey),
    keyring: saved.keyringSecret ? keyringFromSecret(tessera, fromBase64(saved.keyringSecret)) : null,
    publicKeys: fromBase64(saved.publicKeys),
    vaultKey,
  };
}

/** A keyring handle from its session secret; the secret bytes are wiped. */
function keyringFromSecret(tessera, secret) {
  try {
    return tessera.Keyring.fromSessionSecret(secret);
  } finally {
    secret.fill(0);
  }
}

async function startSession({ publicKeys, vaultKey, keyringSecret }) {
  const sealed = await stored();
  const tessera = await loadWasm();
  closeVault();
  const secretText = toBase64(keyringSecret);
  open = {
    vault: tessera.openVaultWithSessionKey(sealed.vault, vaultKey),
    keyring: keyringFromSecret(tessera, keyringSecret),
    publicKeys,
    vaultKey,
  };
  const minutes = (await getSettings()).autoLockMinutes;
  const lockAt = Date.now() + minutes * 60_000;
  await session()?.set({
    [SESSION_KEY]: {
      vaultKey: toBase64(vaultKey),
      keyringSecret: secretText,
      publicKeys: toBase64(publicKeys),
      lockAt,
    },
  });
  await ext.alarms.create(AUTOLOCK_ALARM, { when: lockAt });
}

async function touchSession(saved) {
  const minutes = (await getSettings()).autoLockMinutes;
  const lockAt = Date.now() + minutes * 60_000;
  if (lockAt - saved.lockAt < TOUCH_GRANULARITY_MS) return;
  await session().set({ [SESSION_KEY]: { ...saved, lockAt } });
  await ext.alarms.create(AUTOLOCK_ALARM, { when: lockAt });
}

/** Re-arms the auto-lock after the setting changed. */
export async function rescheduleAutoLock() {
  const saved = await readSession();
  if (!saved) return;
  const minutes = (await getSettings()).autoLockMinutes;
  const lockAt = Date.now() + minutes * 60_000;
  await session().set({ [SESSION_KEY]: { ...saved, lockAt } });
  await ext.alarms.create(AUTOLOCK_ALARM, { when: lockAt });
}

function closeVault() {
  if (open) {
    open.vault.free(); // wipes every seed and the vault key in wasm memory
    open.keyring?.free(); // wipes the keyring's secret keys
    open.vaultKey.fill(0);
    open = null;
  }
}

/** Locks now: wipes the open vault and keyring, forgets the session key and secret. */
export async function lock() {
  closeVault();
  await session()?.remove(SESSION_KEY);
  await ext.alarms.clear(AUTOLOCK_ALARM);
  for (const listener of lockListeners) await listener();
}

// ---- Argon2id operations ----------------------------------------------------------------------

/** Runs a keyring operation off the pages' thread: a dedicated worker where one can be started. */
function keyringOp(request) {
  if (!canStartWorker()) return loadWasm().then((tessera) => runKeyringOp(tessera, request));
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./kdf-worker.js', import.meta.url), { type: 'module' });
    const done = () => worker.terminate();
    worker.onmessage = ({ data }) => {
      done();
      if (data.ok) resolve(data.result);
      else reject(codedError(data.code));
    };
    worker.onerror = () => {
      done();
      reject(codedError('internal', 'the key derivation worker failed'));
    };
    worker.postMessage(request);
  });
}

/** First run: a keyring sealed under `passphrase` and an empty personal vault; unlocked. */
export async function createVault(passphrase) {
  if (passphrase.length === 0) throw codedError('bad_argument', 'empty passphrase');
  if (await stored()) throw codedError('vault_exists', 'a vault already exists');
  const made = await keyringOp({ op: 'create', passphrase });
  await ext.storage.local.set({
    keyring: toBase64(made.sealedKeyring),
    vault: toBase64(made.sealedVault),
  });
  await startSession(made);
}

export async function unlockVault(passphrase) {
  const sealed = await stored();
  if (!sealed) throw codedError('vault_none', 'no vault yet');
  const opened = await keyringOp({
    op: 'open',
    sealedKeyring: sealed.keyring,
    sealedVault: sealed.vault,
    passphrase,
  });
  await startSession(opened);
}

/** Seals the open vault again and stores it (after any change). */
export async function saveVault() {
  if (!open) throw codedError('vault_locked', 'the vault is locked');
  const sealed = open.vault.seal([open.publicKeys], undefined);
  await ext.storage.local.set({ vault: toBase64(sealed) });
}

/**
 * Copies every entry of the CLI's vault home (keyring.tessera, vault.tessera, FORMAT.md §3/§9)
 * into the open vault. The CLI's passphrase opens its keyring (Argon2id, off the pages' thread);
 * the entries go across inside the background's wasm: seed and OTP parameters by the canonical
 * otpauth URI, metadata by the same fields the vault lists.
 */
export async function importCliVault(keyringBytes, vaultBytes, passphrase) {
  const vault = await requireVault();
  const tessera = await loadWasm();
  const cli = await keyringOp({
    op: 'open',
    sealedKeyring: keyringBytes,
    sealedVault: vaultBytes,
    passphrase,
  });
  cli.keyringSecret?.fill(0); // the CLI's keyring is not kept
  const source = tessera.openVaultWithSessionKey(vaultBytes, cli.vaultKey);
  cli.vaultKey.fill(0);
  const added = [];
  try {
    for (const info of source.list()) {
      const edit = {
        issuer: info.issuer ?? null,
        awsAccountId: info.awsAccountId ?? null,
        awsAccountAlias: info.awsAccountAlias ?? null,
        awsPrincipal: info.awsPrincipal ?? null,
        iamUserName: info.iamUserName ?? null,
        rootEmail: info.rootEmail ?? null,
        deviceName: info.deviceName ?? null,
        notes: info.notes ?? null,
      };
      added.push(vault.add(source.exportUri(info.id), { label: info.label, ...edit }));
    }
  } catch (error) {
    // All or nothing: take back what this import added, so a later save cannot store half of it.
    for (const id of added) vault.remove(id);
    throw error;
  } finally {
    source.free();
  }
  await saveVault();
  return { added: added.length };
}
