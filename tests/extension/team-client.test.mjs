// extension/shared/team-client.js against a fake fetch: address rules, invite links, error mapping,
// the session token’s life and its renewal after a 401, and the sign-in signature’s audience.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  TeamClient,
  TeamError,
  b64,
  inviteLink,
  parseInviteLink,
  permissionPattern,
  serverOrigin,
  unb64,
} from '../../extension/shared/team-client.js';

/** A fake fetch: `routes` maps "METHOD /path" to a function (request) -> {status, body?, text?, etag?},
 * or to an Error to throw (a network failure). Every request is recorded in `fake.requests`. */
function fakeFetch(routes) {
  const requests = [];
  const fake = async (url, init = {}) => {
    const u = new URL(url);
    const req = {
      url,
      method: init.method ?? 'GET',
      path: u.pathname,
      search: u.search,
      headers: init.headers ?? {},
      body: init.body === undefined ? undefined : JSON.parse(init.body),
      init,
    };
    requests.push(req);
    const route = routes[`${req.method} ${req.path}`];
    if (!route) return response({ status: 404, body: { error: { code: 'not_found', message: 'no route' } } });
    if (route instanceof Error) throw route;
    return response(await route(req));
  };
  fake.requests = requests;
  return fake;
}

function response({ status = 200, body, text, etag }) {
  const raw = text ?? (body === undefined ? '' : JSON.stringify(body));
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: new Map(etag ? [['ETag', etag]] : []),
    text: async () => raw,
  };
}

async function rejectsWith(promise, code, status) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof TeamError, `expected a TeamError, got ${e}`);
    assert.equal(e.code, code);
    if (status !== undefined) assert.equal(e.status, status);
    return true;
  });
}

function throwsCode(fn, code) {
  assert.throws(fn, (e) => e instanceof TeamError && e.code === code);
}

test('serverOrigin: https kept, path and default port dropped', () => {
  assert.equal(serverOrigin('https://vault.example.com'), 'https://vault.example.com');
  assert.equal(serverOrigin('https://vault.example.com/'), 'https://vault.example.com');
  assert.equal(serverOrigin(' https://Vault.Example.com:443/console?x=1#y '), 'https://vault.example.com');
  assert.equal(serverOrigin('https://vault.example.com:8443/'), 'https://vault.example.com:8443');
});

test('serverOrigin: http only on loopback', () => {
  assert.equal(serverOrigin('http://127.0.0.1:8787'), 'http://127.0.0.1:8787');
  assert.equal(serverOrigin('http://localhost:8787/x'), 'http://localhost:8787');
  assert.equal(serverOrigin('http://[::1]:8787'), 'http://[::1]:8787');
  throwsCode(() => serverOrigin('http://vault.example.com'), 'insecure_server');
  throwsCode(() => serverOrigin('http://10.0.0.5:8787'), 'insecure_server');
  throwsCode(() => serverOrigin('http://127.0.0.1.example.com'), 'insecure_server');
  throwsCode(() => serverOrigin('http://localhost.example.com'), 'insecure_server');
});

test('serverOrigin: other schemes, credentials and garbage refused', () => {
  throwsCode(() => serverOrigin('ftp://vault.example.com'), 'insecure_server');
  throwsCode(() => serverOrigin('javascript:alert(1)'), 'insecure_server');
  throwsCode(() => serverOrigin('vault.example.com'), 'insecure_server');
  throwsCode(() => serverOrigin(''), 'insecure_server');
  throwsCode(() => serverOrigin('https://user:pw@vault.example.com'), 'insecure_server');
});

test('invite links: built and parsed back', () => {
  const token = 'tsi_AbCdEf0123456789-_xyz';
  const link = inviteLink('https://vault.example.com', token);
  assert.equal(link, `https://vault.example.com/invite#${token}`);
  assert.deepEqual(parseInviteLink(link), { origin: 'https://vault.example.com', token });
  assert.deepEqual(parseInviteLink(`  ${inviteLink('http://127.0.0.1:8787', token)}\n`), {
    origin: 'http://127.0.0.1:8787',
    token,
  });
  assert.deepEqual(parseInviteLink(`https://vault.example.com/invite/#${token}`).token, token);
});

test('invite links: malformed ones refused with bad_invite_link, insecure ones with insecure_server', () => {
  const token = 'tsi_AbCdEf0123456789';
  throwsCode(() => parseInviteLink('https://vault.example.com/invite'), 'bad_invite_link');
  throwsCode(() => parseInviteLink('https://vault.example.com/invite#'), 'bad_invite_link');
  throwsCode(() => parseInviteLink(`https://vault.example.com/join#${token}`), 'bad_invite_link');
  throwsCode(() => parseInviteLink(`https://vault.example.com/invite?t=1#${token}`), 'bad_invite_link');
  throwsCode(() => parseInviteLink('https://vault.example.com/invite#short'), 'bad_invite_link');
  throwsCode(() => parseInviteLink('https://vault.example.com/invite#has space in it'), 'bad_invite_link');
  throwsCode(() => parseInviteLink(token), 'bad_invite_link');
  throwsCode(() => parseInviteLink(undefined), 'bad_invite_link');
  throwsCode(() => parseInviteLink(`http://vault.example.com/invite#${token}`), 'insecure_server');
});

test('b64 and unb64 are standard base64 and inverse', () => {
  const bytes = new Uint8Array(70000).map((_, i) => (i * 31 + 7) & 0xff);
  assert.deepEqual(unb64(b64(bytes)), bytes);
  assert.equal(b64(new Uint8Array([0xfb, 0xff, 0xfe])), '+//+');
  assert.deepEqual(unb64('+//+'), new Uint8Array([0xfb, 0xff, 0xfe]));
  assert.equal(b64(new Uint8Array([])), '');
  throwsCode(() => unb64('-_-_'), 'bad_response');
  throwsCode(() => unb64('abc'), 'bad_response');
  throwsCode(() => unb64(null), 'bad_response');
});

test('the client refuses an insecure origin at construction', () => {
  throwsCode(() => new TeamClient('http://vault.example.com'), 'insecure_server');
});

test('call: JSON bodies, bearer token, If-None-Match, 304 and ETag', async () => {
  const fetch = fakeFetch({
    'GET /api/v1/vaults': (req) =>
      req.headers['If-None-Match'] === '"v1"'
        ? { status: 304 }
        : { status: 200, body: { vaults: [] }, etag: '"v1"' },
    'POST /api/v1/invites': (req) => ({ status: 201, body: { echo: req.body } }),
  });
  const c = new TeamClient('https://vault.example.com/', { fetch });
  assert.equal(c.origin, 'https://vault.example.com');
  c.token = 'tss_secret';
  assert.deepEqual(await c.vaults(), { status: 200, body: { vaults: [] }, etag: '"v1"' });
  assert.deepEqual(await c.vaults('"v1"'), { status: 304, body: null, etag: '"v1"' });
  assert.deepEqual(await c.createInvite({ role: 'member', label: 'Ann' }), { echo: { role: 'member', label: 'Ann' } });
  const [first, , post] = fetch.requests;
  assert.equal(first.url, 'https://vault.example.com/api/v1/vaults');
  assert.equal(first.headers.Authorization, 'Bearer tss_secret');
  assert.equal(first.headers['Content-Type'], undefined);
  assert.equal(first.init.credentials, 'omit');
  assert.equal(post.headers['Content-Type'], 'application/json');
});

test('call: server errors become TeamError with the server code and status', async () => {
  const fetch = fakeFetch({
    'PATCH /api/v1/vaults/ab': () => ({
      status: 409,
      body: { error: { code: 'version_conflict', message: 'stale base_version' } },
    }),
    'GET /api/v1/org': () => ({ status: 502, text: '<html>Bad gateway</html>' }),
    'GET /api/v1/members/me': () => ({ status: 200, text: 'not json' }),
  });
  const c = new TeamClient('https://vault.example.com', { fetch });
  await rejectsWith(c.patchVault('ab', { base_version: 1 }), 'version_conflict', 409);
  await rejectsWith(c.org(), 'bad_response', 502);
  await rejectsWith(c.me(), 'bad_response', 200);
  await rejectsWith(c.members(), 'not_found', 404);
});

test('call: a network failure is network_unreachable with status 0', async () => {
  const fetch = fakeFetch({ 'GET /api/v1/health': new TypeError('Failed to fetch') });
  const c = new TeamClient('https://vault.example.com', { fetch });
  await rejectsWith(c.health(), 'network_unreachable', 0);
});

test('call: 401 clears the session token, other errors keep it', async () => {
  const fetch = fakeFetch({
    'GET /api/v1/members': () => ({ status: 403, body: { error: { code: 'forbidden', message: 'admins only' } } }),
    'GET /api/v1/members/me': () => ({ status: 401, body: { error: { code: 'unauthorized', message: 'no session' } } }),
  });
  const c = new TeamClient('https://vault.example.com', { fetch });
  c.token = 'tss_secret';
  await rejectsWith(c.members(), 'forbidden', 403);
  assert.equal(c.token, 'tss_secret');
  await rejectsWith(c.me(), 'unauthorized', 401);
  assert.equal(c.token, null);
  await rejectsWith(c.me(), 'unauthorized', 401);
  assert.equal(fetch.requests.at(-1).headers.Authorization, undefined);
});

test('error messages never carry the token', async () => {
  const fetch = fakeFetch({ 'GET /api/v1/org': () => ({ status: 500, text: '' }) });
  const c = new TeamClient('https://vault.example.com', { fetch });
  c.token = 'tss_very_secret_token';
  await assert.rejects(c.org(), (e) => !String(e.message).includes('tss_very_secret_token') && !e.stack.includes('tss_very'));
});

test('signIn: the keyring signs the challenge with the origin the client knows as audience', async () => {
  const calls = [];
  const keyring = {
    signChallenge: (audience, challengeId, nonce) => {
      calls.push({ audience, challengeId, nonce });
      return 'c2lnbmF0dXJl';
    },
  };
  const fetch = fakeFetch({
    'POST /api/v1/auth/challenge': (req) => ({
      status: 200,
      body: {
        challenge_id: `chal-${req.body.member_id}`,
        nonce: 'bm9uY2U=',
        audience: 'https://evil.example.net',
        expires_ms: 1,
      },
    }),
    'POST /api/v1/auth/session': (req) =>
      req.body.signature === 'c2lnbmF0dXJl' && req.body.challenge_id === 'chal-m1'
        ? { status: 200, body: { token: 'tss_tok', expires_ms: 2, member_id: 'm1', role: 'member' } }
        : { status: 401, body: { error: { code: 'bad_signature', message: 'no' } } },
    'DELETE /api/v1/auth/session': () => ({ status: 204 }),
  });
  const c = new TeamClient('http://127.0.0.1:8787', { fetch });
  const session = await c.signIn(keyring, 'm1');
  assert.equal(session.role, 'member');
  assert.equal(c.token, 'tss_tok');
  assert.deepEqual(calls, [{ audience: 'http://127.0.0.1:8787', challengeId: 'chal-m1', nonce: 'bm9uY2U=' }]);
  assert.equal(fetch.requests[0].headers.Authorization, undefined);
  await c.signOut();
  assert.equal(c.token, null);
  const del = fetch.requests.at(-1);
  assert.equal(del.method, 'DELETE');
  assert.equal(del.headers.Authorization, 'Bearer tss_tok');
});

test('signIn: a revoked member gets member_revoked and no token', async () => {
  const fetch = fakeFetch({
    'POST /api/v1/auth/challenge': () => ({
      status: 403,
      body: { error: { code: 'member_revoked', message: 'revoked' } },
    }),
  });
  const c = new TeamClient('https://vault.example.com', { fetch });
  const keyring = { signChallenge: () => assert.fail('must not sign') };
  await rejectsWith(c.signIn(keyring, 'm1'), 'member_revoked', 403);
  assert.equal(c.token, null);
});

test('wrappers: paths, query strings, ids encoded, text exports', async () => {
  const fetch = fakeFetch({
    'GET /api/v1/audit': (req) => ({ status: 200, body: { search: req.search } }),
    'GET /api/v1/audit/export': () => ({ status: 200, text: '{"seq":1}\n' }),
    'GET /api/v1/vaults/a%2Fb/audit': (req) => ({ status: 200, text: `csv${req.search}` }),
    'POST /api/v1/invites/accept': (req) => ({ status: 201, body: req.body }),
    'POST /api/v1/audit/events': (req) => ({ status: 201, body: { seq: 7, got: req.body } }),
    'POST /api/v1/vaults/v1/archive': (req) => ({ status: 200, body: req.body }),
  });
  const c = new TeamClient('https://vault.example.com', { fetch });
  assert.deepEqual(await c.audit({ vault: 'v1', action: 'vault.', limit: 5, member: undefined }), {
    search: '?vault=v1&action=vault.&limit=5',
  });
  assert.equal(await c.auditExport({ vault: 'v1' }), '{"seq":1}\n');
  assert.equal(fetch.requests.at(-1).search, '?vault=v1&format=jsonl');
  assert.equal(await c.vaultAudit('a/b', 'csv'), 'csv?format=csv');
  assert.deepEqual(await c.acceptInvite('tsi_x', 'AAAA', 'laptop'), { token: 'tsi_x', public_keys: 'AAAA', label: 'laptop' });
  assert.deepEqual(await c.postEvent({ event: 'ZQ==', signature: 'cw==', extra: 1 }), {
    seq: 7,
    got: { event: 'ZQ==', signature: 'cw==' },
  });
  assert.deepEqual(await c.archiveVault('v1', true), { archived: true });
});

test('permissionPattern: scheme and host, no port, no path', () => {
  assert.equal(permissionPattern('https://vault.example.com'), 'https://vault.example.com/*');
  assert.equal(permissionPattern('https://vault.example.com:8443/x'), 'https://vault.example.com/*');
  assert.equal(permissionPattern('http://127.0.0.1:8787'), 'http://127.0.0.1/*');
  assert.equal(permissionPattern('http://[::1]:8787'), 'http://[::1]/*');
  throwsCode(() => permissionPattern('http://vault.example.com'), 'insecure_server');
});

// ---- session renewal (`renew`): one sign-in again after a 401, shared by concurrent calls -------

const UNAUTHENTICATED = { status: 401, body: { error: { code: 'unauthenticated', message: 'no session' } } };

/** A server with sign-in routes handing out tss_1, tss_2, …; `valid` holds the tokens it accepts
 * (tests drop them to expire the session). GET /api/v1/org answers 200 to a valid token, else 401;
 * `signInAnswer` (when set) replaces the challenge's answer. */
function sessionServer(extra = {}) {
  const state = { issued: 0, valid: new Set(), signInAnswer: null };
  const fetch = fakeFetch({
    'POST /api/v1/auth/challenge': () => state.signInAnswer ?? { status: 200, body: { challenge_id: 'chal', nonce: 'bm9uY2U=' } },
    'POST /api/v1/auth/session': () => {
      state.issued += 1;
      const token = `tss_${state.issued}`;
      state.valid.add(token);
      return { status: 200, body: { token, expires_ms: 1, member_id: 'm1', role: 'member' } };
    },
    'GET /api/v1/org': (req) =>
      state.valid.has(req.headers.Authorization?.replace('Bearer ', '')) ? { status: 200, body: { name: 'Acme' } } : UNAUTHENTICATED,
    ...extra,
  });
  const count = (path) => fetch.requests.filter((r) => r.path === path).length;
  return { state, fetch, challenges: () => count('/api/v1/auth/challenge'), count };
}

const KEYRING = { signChallenge: () => 'c2lnbmF0dXJl' };

/** A client whose `renew` signs in with KEYRING as m1, counting its calls. */
function renewingClient(fetch) {
  const c = new TeamClient('https://vault.example.com', { fetch, renew: (client) => { c.renewals += 1; return client.signIn(KEYRING, 'm1'); } });
  c.renewals = 0;
  return c;
}

test('renew: a 401 signs in again once and repeats the call with the new token', async () => {
  const s = sessionServer();
  const c = renewingClient(s.fetch);
  c.token = 'tss_expired';
  assert.deepEqual(await c.org(), { name: 'Acme' });
  assert.equal(c.renewals, 1);
  assert.equal(c.token, 'tss_1');
  assert.deepEqual(s.fetch.requests.map((r) => `${r.method} ${r.path} ${r.headers.Authorization ?? '-'}`), [
    'GET /api/v1/org Bearer tss_expired',
    'POST /api/v1/auth/challenge -',
    'POST /api/v1/auth/session -',
    'GET /api/v1/org Bearer tss_1',
  ]);
  // Without `renew` (the default), a 401 stands.
  const plain = new TeamClient('https://vault.example.com', { fetch: s.fetch });
  plain.token = 'tss_expired';
  await rejectsWith(plain.org(), 'unauthenticated', 401);
  assert.equal(s.challenges(), 1);
});

test('renew: can be set after construction (the console, once the keyring is unlocked)', async () => {
  const s = sessionServer();
  const c = new TeamClient('https://vault.example.com', { fetch: s.fetch });
  await rejectsWith(c.org(), 'unauthenticated', 401);
  c.renew = (client) => client.signIn(KEYRING, 'm1');
  assert.deepEqual(await c.org(), { name: 'Acme' });
  assert.equal(s.challenges(), 1);
});

test('renew: calls that get 401 together share one sign-in', async () => {
  const s = sessionServer();
  const c = renewingClient(s.fetch);
  c.token = 'tss_expired';
  const answers = await Promise.all([c.org(), c.org(), c.org()]);
  assert.deepEqual(answers, [{ name: 'Acme' }, { name: 'Acme' }, { name: 'Acme' }]);
  assert.equal(c.renewals, 1);
  assert.equal(s.challenges(), 1);
  assert.equal(s.count('/api/v1/org'), 6);
  assert.equal(c.token, 'tss_1');
});

test('renew: a 401 that arrives after the renewal repeats with the new token and keeps it', async () => {
  let release;
  const late = new Promise((r) => { release = r; });
  const s = sessionServer({
    // The first GET /members/me is held back until the other call has renewed the session.
    'GET /api/v1/members/me': async (req) => {
      if (req.headers.Authorization === 'Bearer tss_expired') await late;
      return req.headers.Authorization === 'Bearer tss_1' ? { status: 200, body: { member_id: 'm1' } } : UNAUTHENTICATED;
    },
  });
  const c = renewingClient(s.fetch);
  c.token = 'tss_expired';
  const me = c.me();
  assert.deepEqual(await c.org(), { name: 'Acme' });
  release();
  assert.deepEqual(await me, { member_id: 'm1' });
  assert.equal(c.renewals, 1, 'no second sign-in for the late 401');
  assert.equal(c.token, 'tss_1', 'the late 401 did not drop the renewed session');
});

test('renew: a 401 after the new sign-in is thrown, no loop', async () => {
  const s = sessionServer();
  s.state.valid.add = () => {}; // the server never accepts its own sessions
  const c = renewingClient(s.fetch);
  c.token = 'tss_expired';
  await rejectsWith(c.org(), 'unauthenticated', 401);
  assert.equal(c.renewals, 1);
  assert.equal(s.challenges(), 1);
  assert.equal(s.count('/api/v1/org'), 2);
  // The next call tries again (one sign-in), still no loop.
  await rejectsWith(c.org(), 'unauthenticated', 401);
  assert.equal(s.challenges(), 2);
  assert.equal(s.count('/api/v1/org'), 4);
});

test('renew: a failed sign-in is thrown as its TeamError and the call is not repeated', async () => {
  const s = sessionServer();
  s.state.signInAnswer = { status: 429, body: { error: { code: 'rate_limited', message: 'slow down' } } };
  const c = renewingClient(s.fetch);
  c.token = 'tss_expired';
  await rejectsWith(c.org(), 'rate_limited', 429);
  assert.equal(s.count('/api/v1/org'), 1);
  assert.equal(c.token, null);
});

test('renew: a revoked member (member_revoked) is never retried', async () => {
  // Sign-in again answers member_revoked: that reaches the caller (which must stop), once.
  const s = sessionServer();
  s.state.signInAnswer = { status: 403, body: { error: { code: 'member_revoked', message: 'revoked' } } };
  const c = renewingClient(s.fetch);
  c.token = 'tss_expired';
  await rejectsWith(c.org(), 'member_revoked', 403);
  assert.equal(s.challenges(), 1);
  assert.equal(s.count('/api/v1/org'), 1);
  // A call answered member_revoked (403, or 401 from a server that says so) is not renewed.
  const r = sessionServer({
    'GET /api/v1/members': () => ({ status: 403, body: { error: { code: 'member_revoked', message: 'revoked' } } }),
    'GET /api/v1/members/me': () => ({ status: 401, body: { error: { code: 'member_revoked', message: 'revoked' } } }),
  });
  const d = renewingClient(r.fetch);
  d.token = 'tss_old';
  await rejectsWith(d.members(), 'member_revoked', 403);
  await rejectsWith(d.me(), 'member_revoked', 401);
  assert.equal(d.renewals, 0);
  assert.equal(r.challenges(), 0);
});

test('renew: a 401 on a sign-in path is not renewed', async () => {
  const s = sessionServer({
    'POST /api/v1/auth/session': () => ({ status: 401, body: { error: { code: 'unauthenticated', message: 'spent challenge' } } }),
    'DELETE /api/v1/auth/session': () => UNAUTHENTICATED,
  });
  const c = renewingClient(s.fetch);
  await rejectsWith(c.signIn(KEYRING, 'm1'), 'unauthenticated', 401);
  c.token = 'tss_gone';
  await rejectsWith(c.call('DELETE', '/api/v1/auth/session'), 'unauthenticated', 401);
  assert.equal(c.renewals, 0);
  assert.equal(s.challenges(), 1, 'only the explicit sign-in');
});

test('renew: resolving falsy (nothing to sign in with, e.g. locked) leaves the 401 as it was', async () => {
  const s = sessionServer();
  let calls = 0;
  const c = new TeamClient('https://vault.example.com', { fetch: s.fetch, renew: () => { calls += 1; return null; } });
  c.token = 'tss_expired';
  await rejectsWith(c.org(), 'unauthenticated', 401);
  assert.equal(calls, 1);
  assert.equal(s.challenges(), 0);
  assert.equal(s.count('/api/v1/org'), 1);
});
