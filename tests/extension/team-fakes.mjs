// Fakes for the background's team logic: storage areas that behave like chrome.storage, and a
// team server that speaks the API of docs/openapi.yaml closely enough to test the extension
// against it: it checks sign-in and audit-event signatures with Node's own Ed25519 (over the
// messages of FORMAT.md §8, §13.1, §13.5), so a wrong audience or a forged event fails here too.
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { popupEntries } from '../../extension/background/codes.js';
import { MSG } from '../../extension/messages.js';

/** A chrome.storage area: get(null | key | [keys]), set(object), remove(key | [keys]); values cloned. */
export class FakeArea {
  constructor() {
    this.data = new Map();
  }

  async get(keys) {
    const names = keys == null ? [...this.data.keys()] : Array.isArray(keys) ? keys : [keys];
    const out = {};
    for (const k of names) if (this.data.has(k)) out[k] = structuredClone(this.data.get(k));
    return out;
  }

  async set(items) {
    for (const [k, v] of Object.entries(items)) this.data.set(k, structuredClone(v));
  }

  async remove(keys) {
    for (const k of Array.isArray(keys) ? keys : [keys]) this.data.delete(k);
  }
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function ed25519Verify(publicKey32, message, signatureB64) {
  const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey32]), format: 'der', type: 'spki' });
  const signature = Buffer.from(signatureB64, 'base64');
  return signature.length === 64 && verify(null, message, key, signature);
}

function labelled(context, message) {
  return Buffer.concat([Buffer.from(`tessera/v1/sig/${context}\0`), message]);
}

const ACTION_NAMES = { 1: 'reveal', 2: 'copy', 3: 'fill' };

/** FORMAT.md §13.1, parsed strictly enough for the tests. */
export function parseClientEvent(bytes) {
  if (bytes.subarray(0, 4).toString() !== 'TSAE' || bytes[4] !== 1) throw new Error('not an event');
  const action = ACTION_NAMES[bytes[5]];
  const vaultId = hex(bytes.subarray(6, 22));
  const entryId = hex(bytes.subarray(22, 38));
  const timeMs = Number(bytes.readBigUInt64BE(38));
  const nonce = hex(bytes.subarray(46, 62));
  const hostLen = bytes[62];
  const host = bytes.subarray(63, 63 + hostLen).toString();
  if (bytes.length !== 63 + hostLen) throw new Error('trailing bytes');
  return { action, vaultId, entryId, timeMs, nonce, host };
}

/**
 * A team server in memory. `origin` is its public URL (the audience it checks signatures against).
 * Switches: `down` (every request fails like a network error), `eventFailure` ({status, code}
 * answered to audit events).
 */
export class FakeTeamServer {
  constructor(origin) {
    this.origin = origin;
    this.invites = new Set();
    this.members = new Map(); // id -> {id, publicKeys (Buffer 64), status, label}
    this.fingerprints = new Map(); // public_keys b64 -> fingerprint display (the test tells)
    this.challenges = new Map();
    this.tokens = new Map(); // token -> member id
    this.vaults = new Map(); // id -> {snapshot b64, version, epoch, grants: Map(memberId -> role), archived}
    this.events = [];
    this.down = false;
    this.eventFailure = null;
    this.requests = [];
    this.fetch = this.fetch.bind(this);
  }

  invite() {
    const token = `tsi_${randomBytes(24).toString('base64url')}`;
    this.invites.add(token);
    return `${this.origin}/invite#${token}`;
  }

  confirm(memberId) {
    this.members.get(memberId).status = 'active';
  }

  revoke(memberId) {
    this.members.get(memberId).status = 'revoked';
    for (const [t, m] of this.tokens) if (m === memberId) this.tokens.delete(t);
    for (const v of this.vaults.values()) v.grants.delete(memberId);
  }

  dropSessions() {
    this.tokens.clear();
  }

  putVault(id, snapshotBytes, grants, { version = 1, epoch = 1 } = {}) {
    this.vaults.set(id, {
      snapshot: Buffer.from(snapshotBytes).toString('base64'),
      version,
      epoch,
      grants: new Map(Object.entries(grants)),
      archived: false,
    });
  }

  async fetch(url, init = {}) {
    if (this.down) throw new TypeError('fetch failed');
    const u = new URL(url);
    if (u.origin !== this.origin) throw new TypeError('fetch failed');
    const method = init.method ?? 'GET';
    const body = init.body ? JSON.parse(init.body) : undefined;
    const auth = init.headers?.Authorization ?? '';
    this.requests.push({ method, path: u.pathname, body });
    const answer = this.route(method, u.pathname, body, auth.replace(/^Bearer /, ''));
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
    return { status: answer.status, headers: new Map(), text: async () => text };
  }

  route(method, path, body, token) {
    const error = (status, code) => ({ status, body: { error: { code, message: code } } });
    const me = this.tokens.get(token);
    if (method === 'POST' && path === '/api/v1/invites/accept') {
      if (!this.invites.delete(body.token)) return error(404, 'invalid_invite');
      const id = randomBytes(16).toString('hex');
      const publicKeys = Buffer.from(body.public_keys, 'base64');
      this.members.set(id, { id, publicKeys, status: 'pending', label: body.label });
      return {
        status: 201,
        body: {
          member_id: id,
          fingerprint: 'ab'.repeat(16),
          fingerprint_display: this.fingerprints.get(body.public_keys) ?? 'UNKNOWN',
          role: 'member',
          status: 'pending',
        },
      };
    }
    if (method === 'POST' && path === '/api/v1/auth/challenge') {
      const m = this.members.get(body.member_id);
      if (!m) return error(404, 'unknown_member');
      if (m.status === 'pending') return error(403, 'member_pending');
      if (m.status !== 'active') return error(403, 'member_revoked');
      const challenge = { id: randomBytes(16), nonce: randomBytes(32), member: m.id };
      this.challenges.set(hex(challenge.id), challenge);
      // A server relaying someone else's challenge would send another audience: clients must ignore it.
      return {
        status: 200,
        body: { challenge_id: hex(challenge.id), nonce: challenge.nonce.toString('base64'), audience: 'https://elsewhere.example', expires_ms: 0 },
      };
    }
    if (method === 'POST' && path === '/api/v1/auth/session') {
      const c = this.challenges.get(body.challenge_id);
      this.challenges.delete(body.challenge_id);
      if (!c) return error(401, 'challenge_unknown');
      const m = this.members.get(c.member);
      const audience = Buffer.from(this.origin);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(audience.length);
      const message = labelled('auth-challenge', Buffer.concat([len, audience, c.id, c.nonce]));
      if (!ed25519Verify(m.publicKeys.subarray(32), message, body.signature)) return error(401, 'invalid_signature');
      const session = `tss_${randomBytes(24).toString('base64url')}`;
      this.tokens.set(session, m.id);
      return { status: 200, body: { token: session, expires_ms: 0, member_id: m.id, role: 'member' } };
    }
    if (!me) return error(401, 'unauthorized');
    if (method === 'GET' && path === '/api/v1/vaults') {
      const vaults = [...this.vaults.entries()]
        .filter(([, v]) => v.grants.has(me))
        .map(([id, v]) => ({ vault_id: id, epoch: v.epoch, version: v.version, role: v.grants.get(me), rotation_required: false, archived: v.archived, grant: '' }));
      return { status: 200, body: { vaults } };
    }
    const vaultMatch = /^\/api\/v1\/vaults\/([0-9a-f]{32})$/.exec(path);
    if (method === 'GET' && vaultMatch) {
      const v = this.vaults.get(vaultMatch[1]);
      if (!v || !v.grants.has(me)) return error(403, 'forbidden');
      return { status: 200, body: { vault_id: vaultMatch[1], epoch: v.epoch, version: v.version, role: v.grants.get(me), rotation_required: false, snapshot: v.snapshot } };
    }
    if (method === 'POST' && path === '/api/v1/audit/events') {
      if (this.eventFailure) return error(this.eventFailure.status, this.eventFailure.code);
      const bytes = Buffer.from(body.event, 'base64');
      const m = this.members.get(me);
      if (!ed25519Verify(m.publicKeys.subarray(32), labelled('audit-event', bytes), body.signature)) {
        return error(422, 'invalid_signature');
      }
      const event = parseClientEvent(bytes);
      if (!this.vaults.get(event.vaultId)?.grants.has(me)) return error(403, 'forbidden');
      if (this.events.some((e) => e.nonce === event.nonce)) return error(409, 'event_replayed');
      this.events.push({ ...event, member: me });
      return { status: 201, body: { seq: this.events.length } };
    }
    return error(404, 'not_found');
  }
}

// ---- the extension's pages in happy-dom ---------------------------------------------------------

export const FINGERPRINT = 'AILA 5VS2 374M 5QYN SU7S VNDW 5YIH I23U';
export const ORIGIN = 'http://127.0.0.1:8787';

/** The page's HTML without its scripts (the test imports the module itself). */
export function pageHtml(path) {
  return readFileSync(new URL(`../../extension/${path}`, import.meta.url), 'utf8').replace(/<script[^>]*><\/script>/g, '');
}

/** A fake runtime answering the pages' messages from `state`; records what was sent. */
export function fakeExtension(state) {
  const sent = [];
  const permissionRequests = [];
  const status = () => ({ teams: state.teams, failedEvents: state.failedEvents, notices: state.notices });
  const answers = {
    [MSG.VAULT_STATUS]: () => ({ state: state.locked ? 'locked' : 'unlocked', size: state.entries.length }),
    [MSG.VAULT_LOCK]: () => {
      state.locked = true;
      return { state: 'locked' };
    },
    [MSG.ENTRIES_LIST]: () => ({ entries: state.entries }),
    // The background's own compaction (background/codes.js) over vaults made of state.entries.
    [MSG.POPUP_ENTRIES]: (m) => popupEntries(fakeVaults(state.entries), m.first),
    // A code per entry and vault: a request naming a vault that does not hold the id fails, as the
    // real vault's `codes` does.
    [MSG.ENTRIES_CODES]: (m) => {
      const codeOf = (vault, id) => {
        const entry = state.entries.find((e) => e.id === id && e.vault === vault);
        if (!entry) throw Object.assign(new Error('entry_not_found'), { code: 'entry_not_found' });
        return String(100000 + state.entries.indexOf(entry));
      };
      try {
        return { time: 0, codes: m.groups.map((g) => g.ids.map((id) => codeOf(g.vault, id))), next: null };
      } catch (error) {
        return { error: error.code };
      }
    },
    [MSG.ACTIVE_TAB_STATE]: () => ({ signIn: false, mfa: false, filled: false, host: null }),
    [MSG.SETTINGS_GET]: () => ({ autoSubmit: false, autoLockMinutes: 15, clipboardClearSeconds: 30 }),
    [MSG.USE_LOG_GET]: () => ({ log: [] }),
    [MSG.TEAM_STATUS]: status,
    [MSG.TEAM_NOTICES]: () => ({ notices: state.notices }),
    [MSG.TEAM_SYNC]: status,
    [MSG.TEAM_CONNECT]: () => {
      state.teams = [{ origin: ORIGIN, memberId: 'm1', fingerprint: FINGERPRINT, status: 'pending', error: null, syncedMs: null, vaults: [], queued: 0 }];
      return { origin: ORIGIN, memberId: 'm1', fingerprint: FINGERPRINT, status: 'pending', ...status() };
    },
  };
  return {
    sent,
    permissionRequests,
    chrome: {
      runtime: {
        id: 'test',
        async sendMessage(message) {
          sent.push(message);
          // `state.holdWholeList`: a promise the whole-list request waits for (the popup's
          // first screen meanwhile).
          if (message.type === MSG.POPUP_ENTRIES && message.first === undefined) await state.holdWholeList;
          const answer = answers[message.type];
          return answer ? answer(message) : { error: 'internal' };
        },
        getURL: (p) => `chrome-extension://test/${p}`,
        openOptionsPage() {},
      },
      permissions: {
        async request(request) {
          permissionRequests.push(request);
          return state.grant;
        },
      },
      tabs: {},
    },
  };
}

/**
 * Vault refs (as background/vaults.js `allVaults`) holding `entries` (EntryInfo plus `vault` and
 * `vaultName`), in order of first appearance; each vault answers size, ids, list and get.
 */
export function fakeVaults(entries) {
  const refs = new Map();
  for (const { vault, vaultName, team, manage, editable, ...info } of entries) {
    if (!refs.has(vault)) refs.set(vault, { key: vault, name: vaultName, infos: [] });
    refs.get(vault).infos.push(info);
  }
  return [...refs.values()].map(({ key, name, infos }) => ({
    key,
    name,
    vault: {
      size: infos.length,
      ids: () => infos.map((i) => i.id),
      list: () => infos.map((i) => ({ ...i })),
      get: (id) => {
        const info = infos.find((i) => i.id === id);
        if (!info) throw Object.assign(new Error('entry_not_found'), { code: 'entry_not_found' });
        return { ...info };
      },
    },
  }));
}

/** Waits until `predicate()` is true (the pages run on promises and timers). */
export async function until(predicate, timeoutMs = 2000) {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await sleep(5);
  }
}
