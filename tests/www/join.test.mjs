// "Join in this browser" from the invite page: the accept request carries the public keys made
// here, the sealed keyring is stored like the owner's, the member waits (403 member_pending) until
// confirmed and then enters the console; bad links and refusals are clear and store nothing. Also
// what a member (not admin) sees once signed in.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { $, authRoutes, b64, click, errorText, fakeServer, FAST_KDF, load, makeApp, type, unb64Bytes, until, wasm } from './harness.mjs';

const { renderInvitePage, takeInviteToken } = await load('console/invite.js');
const { start, startSignedIn, route } = await load('console/app.js');
const { inlineKdf } = await load('console/kdf.js');

const PASS = 'correct horse battery staple 42';
const TOKEN = 'tsi_AbCdEfGhIjKlMnOpQrStUv-_0123';
const ORIGIN = 'http://127.0.0.1:8787';
const MEMBER_ID = 'bb'.repeat(16);

/** Makes and seals keyrings inline (fast parameters) and remembers the last fingerprint. */
function recordingKdf() {
  const inline = inlineKdf(wasm, FAST_KDF);
  const seen = { fingerprintHex: null, calls: 0 };
  return {
    seen,
    kdf: () => ({
      async generate(passphrase) {
        seen.calls += 1;
        const made = await inline.generate(passphrase);
        seen.fingerprintHex = wasm.keyringHeader(made.sealed).fingerprintHex;
        return made;
      },
    }),
  };
}

/** A server where the invite is accepted and sign-in answers member_pending until `confirm()`. */
function joinServer({ role = 'admin', accept } = {}) {
  const state = { confirmed: false, revoked: false };
  const recorder = recordingKdf();
  const me = { member_id: MEMBER_ID, role, label: 'Bob', status: 'active' };
  const auth = authRoutes(me);
  const server = fakeServer({
    'GET /api/v1/health': () => [200, { status: 'ok', setup_complete: true }],
    'POST /api/v1/invites/accept': accept ?? (() => [201, { member_id: MEMBER_ID, fingerprint: recorder.seen.fingerprintHex, fingerprint_display: 'x', role, status: 'pending' }]),
    ...auth,
    'POST /api/v1/auth/challenge': (body) => {
      if (state.revoked) return [403, { error: { code: 'member_revoked', message: 'this member was revoked' } }];
      if (!state.confirmed) return [403, { error: { code: 'member_pending', message: "an admin has not confirmed this member's fingerprint yet" } }];
      return auth['POST /api/v1/auth/challenge'](body);
    },
    'GET /api/v1/org': () => [200, { recovery_public_key: b64(new Uint8Array(32)) }],
    'GET /api/v1/vaults': () => [200, { vaults: [] }],
  });
  return { server, state, recorder };
}

function joinContext(app, recorder, extra = {}) {
  return {
    loadWasm: async () => wasm,
    client: app.client,
    store: app.store,
    kdf: recorder.kdf,
    retryMs: 20,
    enterConsole: (keyring, memberId) => startSignedIn({ ...app, retryMs: 20 }, keyring, memberId),
    ...extra,
  };
}

function fillJoin({ label = 'Bob', pass = PASS, again = pass } = {}) {
  type('#join-label', label);
  type('#join-passphrase', pass);
  type('#join-confirm', again);
  click('#join-submit');
}

const challenges = (server) => server.requests.filter((r) => r.path === '/api/v1/auth/challenge');

test('the token is read from the fragment and the fragment is removed from the address bar', () => {
  const calls = [];
  const history = { replaceState: (...args) => calls.push(args) };
  assert.equal(takeInviteToken({ hash: `#${TOKEN}`, pathname: '/invite', search: '' }, history), TOKEN);
  assert.deepEqual(calls, [[null, '', '/invite']]);
  calls.length = 0;
  assert.equal(takeInviteToken({ hash: '', pathname: '/invite', search: '' }, history), '');
  assert.deepEqual(calls, [], 'nothing to clear');
});

test('join: accept with the public keys made here, sealed keyring stored, pending -> confirmed -> signed in', async () => {
  const { server, state, recorder } = joinServer();
  const app = makeApp(server);
  renderInvitePage(app.root, { token: TOKEN, origin: ORIGIN }, joinContext(app, recorder));
  assert.ok($('#join-form'), 'the join form is offered');
  assert.ok($('#invite-page-command'), 'the CLI instructions are still there');
  assert.equal(server.requests.length, 0, 'the page itself sends nothing');

  fillJoin();
  await until(() => $('#join-fingerprint'), 'the fingerprint');

  // One accept request: {token, public_keys, label}, nothing else.
  const accepts = server.requests.filter((r) => r.path === '/api/v1/invites/accept');
  assert.equal(accepts.length, 1);
  assert.deepEqual(Object.keys(accepts[0].body).sort(), ['label', 'public_keys', 'token']);
  assert.equal(accepts[0].body.token, TOKEN);
  assert.equal(accepts[0].body.label, 'Bob');
  assert.equal(unb64Bytes(accepts[0].body.public_keys).length, 64);
  assert.equal(accepts[0].auth, null, 'accept is not authenticated');
  for (const r of server.requests) {
    assert.ok(!r.path.includes(TOKEN) && !JSON.stringify(r.query).includes(TOKEN), 'the token is never in a URL');
    if (r.path !== '/api/v1/invites/accept') assert.ok(!JSON.stringify(r.body ?? null).includes(TOKEN), `the token only goes to accept (${r.path})`);
  }

  // Stored exactly like the owner's: the sealed keyring and the member id; it opens to the keys sent.
  const stored = app.store.load();
  assert.equal(stored.memberId, MEMBER_ID);
  assert.throws(() => wasm.Keyring.unlock(stored.sealed, 'wrong passphrase'), { code: 'keyring_wrong_passphrase_or_tampered' });
  const keyring = wasm.Keyring.unlock(stored.sealed, PASS);
  assert.deepEqual(Uint8Array.from(keyring.publicKeys()), unb64Bytes(accepts[0].body.public_keys));
  assert.equal($('#join-fingerprint').textContent, keyring.fingerprint, 'the fingerprint shown is the one of the stored keys');
  keyring.free();
  assert.equal(document.body.textContent.includes(PASS), false);

  // Waiting: sign-in is retried and answered member_pending.
  await until(() => challenges(server).length >= 2, 'two sign-in tries');
  assert.match($('#join-status').textContent, /Not confirmed yet/);
  assert.equal($('#join-status').dataset.state, 'pending');
  assert.equal($('#vault-list'), null);
  assert.equal(challenges(server)[0].body.member_id, MEMBER_ID);

  // Confirmed by the admin: the next try signs in and the console opens.
  state.confirmed = true;
  await until(() => $('#vault-list'), 'the console');
  assert.equal(errorText(), '');
  assert.ok(server.requests.some((r) => r.path === '/api/v1/members/me' && r.auth === 'Bearer session-token'));
  const settled = challenges(server).length;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(challenges(server).length, settled, 'no more sign-in tries once in');
});

test('"Check now" tries at once; a revoked member stops the retries with a clear status', async () => {
  const { server, state, recorder } = joinServer();
  const app = makeApp(server);
  renderInvitePage(app.root, { token: TOKEN, origin: ORIGIN }, joinContext(app, recorder, { retryMs: 60_000 }));
  fillJoin();
  await until(() => $('#join-fingerprint'), 'the fingerprint');
  assert.equal(challenges(server).length, 0, 'right after joining nobody can have confirmed: no try yet');
  click('#join-check');
  await until(() => challenges(server).length === 1 && $('#join-status').dataset.state === 'pending', 'one try');
  state.revoked = true;
  click('#join-check');
  await until(() => $('#join-status').dataset.state === 'failed', 'the refusal');
  assert.match($('#join-status').textContent, /refused or removed.*\(member_revoked\)/);
  assert.equal($('#join-check').disabled, true);
});

test('bad links: a malformed token sends nothing, an unknown or used invite says so and stores nothing', async () => {
  // Malformed: refused before any request.
  {
    const { server, recorder } = joinServer();
    const app = makeApp(server);
    renderInvitePage(app.root, { token: 'abc', origin: ORIGIN }, joinContext(app, recorder));
    fillJoin();
    await until(() => errorText(), 'an error');
    assert.match(errorText(), /incomplete or damaged.*\(bad_invite_link\)/);
    assert.equal(server.requests.length, 0);
    assert.equal(app.store.load(), null);
  }
  for (const [status, code, pattern] of [
    [404, 'invalid_invite', /not valid on this server/],
    [409, 'invite_used', /already used/],
    [410, 'invite_expired', /expired/],
  ]) {
    const { server, recorder } = joinServer({ accept: () => [status, { error: { code, message: code } }] });
    const app = makeApp(server);
    renderInvitePage(app.root, { token: TOKEN, origin: ORIGIN }, joinContext(app, recorder));
    fillJoin();
    await until(() => errorText(), `the ${code} error`);
    assert.match(errorText(), pattern);
    assert.ok(errorText().endsWith(`(${code})`), errorText());
    assert.equal(app.store.load(), null, 'nothing stored');
    assert.ok($('#join-form'), 'the form stays');
    assert.equal($('#join-label').value, 'Bob', 'and keeps its input');
    assert.equal($('#join-fingerprint'), null);
    assert.equal($('#join-submit').disabled, false);
    assert.equal(challenges(server).length, 0);
  }
  // An incomplete link offers no join form.
  const app = makeApp(fakeServer({}));
  renderInvitePage(app.root, { token: '', origin: ORIGIN }, joinContext(app, recordingKdf()));
  assert.ok($('#invite-page-missing'));
  assert.equal($('#join-form'), null);
});

test('a weak or mismatched passphrase, or a keyring already here, stops before any request', async () => {
  const { server, recorder } = joinServer();
  const app = makeApp(server);
  renderInvitePage(app.root, { token: TOKEN, origin: ORIGIN }, joinContext(app, recorder));
  fillJoin({ pass: 'password1' });
  await until(() => /weak_passphrase/.test(errorText()), 'the weak passphrase error');
  fillJoin({ again: `${PASS}!` });
  await until(() => /passphrase_mismatch/.test(errorText()), 'the mismatch error');
  // The owner's keyring in this browser is never overwritten.
  app.store.save({ memberId: 'aa'.repeat(16), sealed: new Uint8Array([1, 2, 3]) });
  fillJoin();
  await until(() => /keyring_exists/.test(errorText()), 'the keyring-exists error');
  assert.deepEqual(Array.from(app.store.load().sealed), [1, 2, 3]);
  assert.equal(server.requests.length, 0);
  assert.equal(recorder.seen.calls, 0, 'nothing sealed either');
});

test('a server that registers other keys than the ones made here is refused', async () => {
  const { server, recorder } = joinServer({ accept: () => [201, { member_id: MEMBER_ID, fingerprint: 'ab'.repeat(32), fingerprint_display: 'x', role: 'admin', status: 'pending' }] });
  const app = makeApp(server);
  renderInvitePage(app.root, { token: TOKEN, origin: ORIGIN }, joinContext(app, recorder));
  fillJoin();
  await until(() => errorText(), 'the error');
  assert.match(errorText(), /\(fingerprint_mismatch\)$/);
  assert.equal(app.store.load(), null);
});

test('unlocking a keyring not yet confirmed shows the waiting page, then the console', async () => {
  const { server, state } = joinServer();
  const app = makeApp(server, { retryMs: 20 });
  const keyring = wasm.Keyring.generate();
  app.store.save({ memberId: MEMBER_ID, sealed: keyring.seal(PASS, FAST_KDF) });
  const fingerprint = keyring.fingerprint;
  keyring.free();
  await start(app);
  await until(() => $('#unlock-form'), 'the unlock form');
  type('#unlock-passphrase', PASS);
  click('#unlock-submit');
  await until(() => $('#join-fingerprint'), 'the waiting page');
  assert.equal($('#join-fingerprint').textContent, fingerprint);
  assert.equal(errorText(), '', 'pending is a state, not an error');
  state.confirmed = true;
  await until(() => $('#vault-list'), 'the console');
});

test('the no-keyring page explains both ways in', async () => {
  const server = fakeServer({ 'GET /api/v1/health': () => [200, { status: 'ok', setup_complete: true }] });
  const app = makeApp(server);
  await start(app);
  await until(() => $('#no-keyring'), 'the no-keyring page');
  assert.match($('#no-keyring-owner').textContent, /setup/i);
  assert.match($('#no-keyring-invite').textContent, /invite link.*Join in this browser/);
});

test('a member (not admin) gets "admins only" pages without a refused request, and a read-only vault', async () => {
  const keyring = wasm.Keyring.generate();
  const recovery = wasm.createRecoveryKit();
  const vault = wasm.Vault.create('Acme Corp');
  const entryId = vault.add('otpauth://totp/Acme:bob?secret=JBSWY3DPEHPK3PXP&issuer=Acme');
  const snapshot = vault.seal([keyring.publicKeys()], recovery.publicKey);
  const vaultId = vault.id;
  vault.free();
  const me = { member_id: MEMBER_ID, role: 'member', label: 'Bob', status: 'active' };
  const item = { vault_id: vaultId, epoch: 1, version: 2, role: 'use', archived: false, rotation_required: false };
  const server = fakeServer({
    ...authRoutes(me),
    'GET /api/v1/org': () => [200, { recovery_public_key: b64(recovery.publicKey) }],
    'GET /api/v1/vaults': () => [200, { vaults: [item] }],
    [`GET /api/v1/vaults/${vaultId}`]: () => [200, { ...item, snapshot: b64(snapshot) }],
    [`GET /api/v1/vaults/${vaultId}/grants`]: () => [200, { vault_id: vaultId, grants: [{ member_id: MEMBER_ID, role: 'use', fingerprint: 'ff', label: 'Bob', grant: null }] }],
    'GET /api/v1/members': () => [200, { members: [{ ...me, fingerprint: 'ff', fingerprint_display: 'FF', public_keys: b64(keyring.publicKeys()) }] }],
  });
  // The shell's nav, as index.html has it.
  const app = makeApp(server);
  const nav = document.createElement('nav');
  nav.id = 'nav';
  nav.hidden = true;
  for (const id of ['nav-vaults', 'nav-members', 'nav-audit', 'nav-breakglass']) {
    const a = document.createElement('a');
    a.id = id;
    nav.append(a);
  }
  document.body.prepend(nav);
  await startSignedIn(app, keyring, MEMBER_ID);
  await until(() => $(`#vault-row-${vaultId}`), 'the granted vault');
  assert.equal($('#vault-create'), null, 'members create no vault');
  assert.equal($('#nav-audit').hidden, true);
  assert.equal($('#nav-breakglass').hidden, true);

  for (const page of ['#audit', '#revocation/cc']) {
    await route(app, page);
    assert.ok($('#admins-only'), `${page}: admins only`);
    assert.match($('#admins-only').textContent, /Admins only/);
  }
  await route(app, `#vault/${vaultId}`);
  await until(() => $('#vault-page'), 'the vault page');
  assert.ok($(`#entry-${entryId}`), 'the entry metadata is listed');
  assert.equal($(`#entry-edit-${entryId}`), null);
  assert.equal($(`#entry-reveal-${entryId}`), null);
  assert.ok($('#vault-readonly'));
  assert.equal($('#vault-audit-verify'), null, 'the vault audit needs manage or admin');
  assert.ok($('#vault-audit-admins'));
  await route(app, '#members');
  await until(() => $('#member-list'), 'the member list');
  assert.equal($('#invite-create'), null);

  const refused = server.requests.filter((r) => /\/audit|\/revocations|\/invites/.test(r.path));
  assert.deepEqual(refused, [], 'no admin-only request was sent');
  assert.equal(errorText(), '');
});
