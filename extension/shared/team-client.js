// The team server's HTTP client, shared by the extension (`../shared/team-client.js`) and the web
// console (`./shared/team-client.js`, copied by `cargo xtask dist`). Plain fetch, no browser API
// beyond it, so it runs unchanged in a service worker, a page and Node's tests.
//
// The API is docs/openapi.yaml; server/tests/common/mod.rs is the reference client. Secrets (session
// token, invite token, signatures) never go into an error message or a URL; an invite token travels
// only in a link's fragment, which browsers never send to a server.

/** A failed call: `.code` is the server's error code, or one of `network_unreachable`,
 * `insecure_server`, `bad_invite_link`, `bad_response`; `.status` is the HTTP status (0 when no
 * answer came back). */
export class TeamError extends Error {
  constructor(code, message, status = 0) {
    super(message);
    this.name = 'TeamError';
    this.code = code;
    this.status = status;
  }
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** The origin (`scheme://host[:port]`) of a server address: https, or http on a loopback host
 * (127.0.0.1, [::1], localhost; for local testing). Anything else: TeamError `insecure_server`. */
export function serverOrigin(url) {
  let parsed;
  try {
    parsed = new URL(String(url).trim());
  } catch {
    throw new TeamError('insecure_server', 'Not a server address (expected https://host).');
  }
  if (parsed.username || parsed.password) {
    throw new TeamError('insecure_server', 'A server address must not carry a user name or password.');
  }
  const loopback = LOOPBACK.has(parsed.hostname);
  if (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && loopback)) {
    if (!parsed.hostname) throw new TeamError('insecure_server', 'Not a server address (no host).');
    return parsed.origin;
  }
  if (parsed.protocol === 'http:') {
    throw new TeamError('insecure_server', `${parsed.host} is not served over https (http is accepted only for 127.0.0.1, [::1] and localhost).`);
  }
  throw new TeamError('insecure_server', 'Not a server address (expected https://host).');
}

// Invite tokens are URL-safe text (the server makes `tsi_` + base64url).
const TOKEN = /^[A-Za-z0-9_-]{8,512}$/;

/** `${origin}/invite#${token}` -> {origin, token}. TeamError `bad_invite_link` for anything else
 * (`insecure_server` when the link points at an http server that is not loopback). */
export function parseInviteLink(link) {
  const text = String(link ?? '').trim();
  let parsed;
  try {
    parsed = new URL(text);
  } catch {
    throw new TeamError('bad_invite_link', 'Not an invite link (expected https://server/invite#…).');
  }
  const origin = serverOrigin(parsed.href);
  if (parsed.pathname.replace(/\/+$/, '') !== '/invite' || parsed.search) {
    throw new TeamError('bad_invite_link', 'Not an invite link (expected https://server/invite#…).');
  }
  const token = parsed.hash.replace(/^#/, '');
  if (!TOKEN.test(token)) {
    throw new TeamError('bad_invite_link', 'The invite link is incomplete: copy the whole link, including the part after #.');
  }
  return { origin, token };
}

/**
 * The extension's host-permission match pattern for a server origin: `scheme://host/*`, without
 * the port (Firefox's match patterns have none; Chrome's without one match every port).
 */
export function permissionPattern(origin) {
  const { protocol, hostname } = new URL(serverOrigin(origin));
  return `${protocol}//${hostname}/*`;
}

/** The link an admin hands to an invitee. */
export function inviteLink(origin, token) {
  return `${origin}/invite#${token}`;
}

/** Standard base64 of bytes. */
export function b64(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Standard base64 text -> bytes. TeamError `bad_response` when the text is not base64. */
export function unb64(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new TeamError('bad_response', 'The server sent a field that is not base64.');
  }
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i += 1) out[i] = s.charCodeAt(i);
  return out;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

const seg = encodeURIComponent;

const AUTH_PATHS = '/api/v1/auth/';

/**
 * One team server, one session. Every method throws TeamError.
 *
 * Sessions expire (the server's --session-ttl-secs). With `renew` set (at construction or later,
 * e.g. once a keyring is unlocked), a 401 on any call outside /api/v1/auth/ signs in again and
 * repeats the call once. `renew(client)` signs the client in again (typically
 * `client.signIn(keyring, memberId)`) and resolves to a falsy value when it cannot (locked): the
 * 401 then stands. Calls that get 401 together share one sign-in (the sign-in endpoints are
 * rate-limited). A 401 on the repeated call, or a failed sign-in, is thrown as it is: never a loop,
 * and a revoked member's `member_revoked` (403 from sign-in) reaches the caller, which must stop.
 */
export class TeamClient {
  #fetch;
  #renewal = null;

  constructor(origin, { fetch, renew = null } = {}) {
    this.origin = serverOrigin(origin);
    this.#fetch = fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.token = null;
    /** `async (client) => truthy | falsy`, or null: see the class comment. */
    this.renew = renew;
  }

  /** One request. Resolves `{status, body, etag}` for 2xx and 304 (`body` is parsed JSON, the text
   * with `{text: true}`, null for 204/304); any other status throws TeamError with the server's
   * `{error: {code, message}}`. A 401 clears the session token it was sent with, then (outside
   * /api/v1/auth/, with `renew` set) signs in again and repeats the request once. */
  async call(method, path, body, options) {
    try {
      return await this.#send(method, path, body, options);
    } catch (error) {
      if (error.status !== 401 || error.code === 'member_revoked' || !this.renew || path.startsWith(AUTH_PATHS)) {
        throw error;
      }
      // A token here is one another call renewed while this one was out: repeat with it.
      if (!this.token) {
        this.#renewal ??= this.#renewOnce();
        if (!(await this.#renewal) || !this.token) throw error;
      }
      return this.#send(method, path, body, options);
    }
  }

  async #renewOnce() {
    try {
      return await this.renew(this);
    } finally {
      this.#renewal = null;
    }
  }

  async #send(method, path, body, { etag, text = false } = {}) {
    const sent = this.token;
    const headers = { Accept: text ? '*/*' : 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (sent) headers.Authorization = `Bearer ${sent}`;
    if (etag) headers['If-None-Match'] = etag;
    let res;
    try {
      const doFetch = this.#fetch;
      res = await doFetch(`${this.origin}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
        redirect: 'error',
      });
    } catch {
      throw new TeamError('network_unreachable', `Cannot reach ${this.origin}.`, 0);
    }
    const status = res.status;
    const resEtag = res.headers?.get?.('ETag') ?? null;
    if (status === 304) return { status, body: null, etag: resEtag ?? etag ?? null };
    let raw;
    try {
      raw = await res.text();
    } catch {
      throw new TeamError('network_unreachable', `The answer from ${this.origin} was cut off.`, 0);
    }
    if (status >= 200 && status < 300) {
      if (text) return { status, body: raw, etag: resEtag };
      if (raw === '') return { status, body: null, etag: resEtag };
      try {
        return { status, body: JSON.parse(raw), etag: resEtag };
      } catch {
        throw new TeamError('bad_response', `${this.origin} answered with something that is not JSON.`, status);
      }
    }
    // Only the token this request carried: a stale 401 must not drop a session renewed meanwhile.
    if (status === 401 && this.token === sent) this.token = null;
    let err = null;
    try {
      err = JSON.parse(raw)?.error;
    } catch {
      err = null;
    }
    if (err && typeof err.code === 'string') {
      throw new TeamError(err.code, typeof err.message === 'string' ? err.message : err.code, status);
    }
    throw new TeamError('bad_response', `${this.origin} answered HTTP ${status}.`, status);
  }

  async #json(method, path, body) {
    return (await this.call(method, path, body)).body;
  }

  async #text(path) {
    return (await this.call('GET', path, undefined, { text: true })).body;
  }

  /** Challenge, signature by the member's keyring (audience: the origin this client knows, not the
   * one the server sends), session. Sets and returns the session `{token, expires_ms, member_id, role}`. */
  async signIn(keyring, memberId) {
    const challenge = await this.#json('POST', '/api/v1/auth/challenge', { member_id: memberId });
    if (!challenge || typeof challenge.challenge_id !== 'string' || typeof challenge.nonce !== 'string') {
      throw new TeamError('bad_response', 'The sign-in challenge is malformed.', 200);
    }
    const signature = keyring.signChallenge(this.origin, challenge.challenge_id, challenge.nonce);
    const session = await this.#json('POST', '/api/v1/auth/session', {
      challenge_id: challenge.challenge_id,
      signature,
    });
    if (!session || typeof session.token !== 'string') {
      throw new TeamError('bad_response', 'The sign-in answer has no session.', 200);
    }
    this.token = session.token;
    return session;
  }

  /** Deletes the session on the server (best effort) and forgets the token. */
  async signOut() {
    if (!this.token) return;
    try {
      await this.call('DELETE', '/api/v1/auth/session');
    } catch (e) {
      if (e.code !== 'unauthorized' && e.status !== 401) throw e;
    } finally {
      this.token = null;
    }
  }

  health() { return this.#json('GET', '/api/v1/health'); }
  org() { return this.#json('GET', '/api/v1/org'); }
  setup(body) { return this.#json('POST', '/api/v1/setup', body); }
  acceptInvite(token, publicKeysB64, label) {
    const body = { token, public_keys: publicKeysB64 };
    if (label) body.label = label;
    return this.#json('POST', '/api/v1/invites/accept', body);
  }
  me() { return this.#json('GET', '/api/v1/members/me'); }
  members() { return this.#json('GET', '/api/v1/members'); }
  /** The whole `{status, body, etag}`: status 304 (body null) when `etag` still matches. */
  vaults(etag) { return this.call('GET', '/api/v1/vaults', undefined, { etag }); }
  /** The whole `{status, body, etag}`: status 304 (body null) when `etag` still matches. */
  vault(id, etag) { return this.call('GET', `/api/v1/vaults/${seg(id)}`, undefined, { etag }); }
  patchVault(id, body) { return this.#json('PATCH', `/api/v1/vaults/${seg(id)}`, body); }
  createVault(body) { return this.#json('POST', '/api/v1/vaults', body); }
  rotateVault(id, body) { return this.#json('POST', `/api/v1/vaults/${seg(id)}/rotate`, body); }
  grants(id) { return this.#json('GET', `/api/v1/vaults/${seg(id)}/grants`); }
  addGrant(id, body) { return this.#json('POST', `/api/v1/vaults/${seg(id)}/grants`, body); }
  setGrantRole(id, memberId, role) {
    return this.#json('PUT', `/api/v1/vaults/${seg(id)}/grants/${seg(memberId)}`, { role });
  }
  removeGrant(id, memberId) { return this.#json('DELETE', `/api/v1/vaults/${seg(id)}/grants/${seg(memberId)}`); }
  archiveVault(id, archived) { return this.#json('POST', `/api/v1/vaults/${seg(id)}/archive`, { archived }); }
  invites() { return this.#json('GET', '/api/v1/invites'); }
  createInvite({ role, label, ttl_secs } = {}) {
    const body = { role };
    if (label) body.label = label;
    if (ttl_secs) body.ttl_secs = ttl_secs;
    return this.#json('POST', '/api/v1/invites', body);
  }
  cancelInvite(id) { return this.#json('DELETE', `/api/v1/invites/${seg(id)}`); }
  confirmMember(id, fingerprintHex) {
    return this.#json('POST', `/api/v1/members/${seg(id)}/confirm`, { fingerprint: fingerprintHex });
  }
  setRole(id, role) { return this.#json('PUT', `/api/v1/members/${seg(id)}/role`, { role }); }
  revoke(id) { return this.#json('POST', `/api/v1/members/${seg(id)}/revoke`, {}); }
  revocations() { return this.#json('GET', '/api/v1/revocations'); }
  revocation(id) { return this.#json('GET', `/api/v1/revocations/${seg(id)}`); }
  markItemDone(revId, itemId) {
    return this.#json('POST', `/api/v1/revocations/${seg(revId)}/items/${seg(itemId)}/done`, {});
  }
  /** Filters: vault, member, action, since_ms, until_ms, after_seq, limit. */
  audit(filters) { return this.#json('GET', `/api/v1/audit${query(filters)}`); }
  /** The filtered log as text (JSON Lines, or CSV with format 'csv'). */
  auditExport(filters, format = 'jsonl') {
    return this.#text(`/api/v1/audit/export${query({ ...filters, format })}`);
  }
  auditVerify(vault) { return this.#json('GET', `/api/v1/audit/verify${query({ vault })}`); }
  /** One vault's whole log as text. */
  vaultAudit(id, format = 'jsonl') { return this.#text(`/api/v1/vaults/${seg(id)}/audit${query({ format })}`); }
  postEvent({ event, signature }) { return this.#json('POST', '/api/v1/audit/events', { event, signature }); }
  exportAll() { return this.#json('GET', '/api/v1/export'); }
}
