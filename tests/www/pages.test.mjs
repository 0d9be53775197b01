// Members (fingerprint confirmation), the invite page, the audit verdict, the kit QR code.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import jsQR from 'jsqr';

import { $, authRoutes, click, errorText, fakeServer, load, makeApp, type, until, wasm } from './harness.mjs';

const { renderMembers, fingerprintMatches } = await load('console/members.js');
const { renderInvitePage } = await load('console/invite.js');
const { renderAudit, verdictText } = await load('console/audit.js');
const { create } = await load('vendor/qrcode.js');
const { qrSvg } = await load('console/qr-svg.js');
const { reenrolSteps } = await load('console/revocation.js');

const OWNER = { member_id: 'aa'.repeat(16), role: 'owner', label: 'Alice', status: 'active', fingerprint: 'ab'.repeat(32), fingerprint_display: 'AAAA BBBB', public_keys: '' };

function pendingMember() {
  const keyring = wasm.Keyring.generate();
  const header = wasm.keyringHeader(keyring.seal('pass phrase for test', { mKib: 19 * 1024, t: 2, p: 1 }));
  const member = { member_id: 'bb'.repeat(16), role: 'member', label: 'Bob', status: 'pending', fingerprint: header.fingerprintHex, fingerprint_display: keyring.fingerprint, public_keys: '' };
  keyring.free();
  return member;
}

test('a pending member is confirmed only when the typed fingerprint matches', async () => {
  const bob = pendingMember();
  const server = fakeServer({
    'GET /api/v1/members': () => [200, { members: [OWNER, bob] }],
    'GET /api/v1/invites': () => [200, { invites: [{ invite_id: 'cc'.repeat(16), role: 'member', label: 'Carol', created_by: OWNER.member_id, expires_ms: Date.now() + 1e6 }] }],
    'GET /api/v1/revocations': () => [200, { revocations: [] }],
    [`POST /api/v1/members/${bob.member_id}/confirm`]: () => [200, { ...bob, status: 'active' }],
    'POST /api/v1/invites': (body) => [201, { invite_id: 'dd'.repeat(16), token: 'tsi_abcdefghijklmnop', role: body.role, expires_ms: Date.now() + 1e6 }],
  });
  const app = makeApp(server);
  app.me = OWNER;
  await renderMembers(app);
  assert.ok($(`#invite-cancel-${'cc'.repeat(16)}`), 'pending invites are listed');

  // A wrong fingerprint: refused in the browser, no request.
  type(`#member-fingerprint-${bob.member_id}`, 'AAAA AAAA AAAA AAAA AAAA AAAA AAAA AAAA');
  click(`#member-confirm-${bob.member_id}`);
  await until(() => errorText(), 'the mismatch');
  assert.match(errorText(), /fingerprint_mismatch/);
  assert.equal(server.requests.filter((r) => r.path.endsWith('/confirm')).length, 0);

  // As read out: lower case, other spacing.
  type(`#member-fingerprint-${bob.member_id}`, bob.fingerprint_display.toLowerCase().replace(/ /g, '-'));
  click(`#member-confirm-${bob.member_id}`);
  await until(() => server.requests.some((r) => r.path.endsWith('/confirm')), 'the confirm request');
  const confirm = server.requests.find((r) => r.path.endsWith('/confirm'));
  assert.deepEqual(confirm.body, { fingerprint: bob.fingerprint }, 'the hex fingerprint from the members list is sent');

  // An invite link is shown once, with the token in the fragment.
  await until(() => /Bob confirmed/.test($('#notice').textContent), 'the re-rendered page');
  type('#invite-label', 'Dave');
  click('#invite-create');
  await until(() => $('#invite-link'), 'the invite link');
  assert.equal($('#invite-link').value, 'http://127.0.0.1:8787/invite#tsi_abcdefghijklmnop');
  assert.deepEqual(server.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/invites').body, { role: 'member', label: 'Dave' });
});

test('fingerprint comparison forgives case, spacing and 0/1/8 misreadings only', () => {
  const m = { fingerprint: '0a'.repeat(32), fingerprint_display: 'NDIS 7RQX 2DX2 OWFW VHEW JLCJ NBDW JQSI' };
  assert.ok(fingerprintMatches('ndis7rqx2dx2owfwvhewjlcjnbdwjqsi', m));
  assert.ok(fingerprintMatches('NDIS 7RQX 2DX2 0WFW VHEW JLCJ N8DW JQS1', m));
  assert.ok(fingerprintMatches('0a'.repeat(32), m));
  assert.ok(!fingerprintMatches('NDIS 7RQX 2DX2 OWFW VHEW JLCJ NBDW JQSA', m));
  assert.ok(!fingerprintMatches('', m));
});

test('the invite page explains how to join and makes no request', async () => {
  const server = fakeServer({});
  makeApp(server);
  const root = $('#main');
  renderInvitePage(root, { token: 'tsi_token123456', origin: 'https://vault.example.com' });
  assert.equal($('#invite-page-link').value, 'https://vault.example.com/invite#tsi_token123456');
  assert.equal($('#invite-page-command').textContent, "tessera team join 'https://vault.example.com/invite#tsi_token123456'");
  assert.match(root.textContent, /Connect to a team server/);
  assert.equal(server.requests.length, 0);
  renderInvitePage(root, { token: '', origin: 'https://vault.example.com' });
  assert.ok($('#invite-page-missing'));
});

test('audit verification renders a clear verdict for an intact and a broken log', async () => {
  assert.equal(verdictText({ ok: true, records: 3, head: 'ab12', error: null }), 'Chain intact: 3 records, head ab12');
  assert.equal(verdictText({ ok: false, records: 1, head: null, error: { code: 'audit_hash_mismatch', message: 'record 2 does not match its hash', line: 2 } }), 'Chain BROKEN at line 2: record 2 does not match its hash (audit_hash_mismatch)');

  const server = fakeServer({
    'GET /api/v1/members': () => [200, { members: [OWNER] }],
    'GET /api/v1/vaults': () => [200, { vaults: [] }],
    'GET /api/v1/audit': () => [200, { events: [{ seq: 1, time_ms: 0, action: 'org.setup', actor: OWNER.member_id, subject: null, vault: null, entry: null, detail: '{}', client: null }], next_after_seq: null }],
    'GET /api/v1/audit/export': () => [200, '{"seq":1,"not":"a record"}\n', 'text'],
  });
  const app = makeApp(server);
  app.me = OWNER;
  await renderAudit(app);
  assert.ok($('#audit-1'), 'the records are listed');
  assert.match($('#audit-1').textContent, /org\.setup/);
  assert.match($('#audit-1').textContent, /Alice/);
  click('#audit-verify');
  await until(() => $('#audit-verdict').dataset.ok, 'the verdict');
  assert.equal($('#audit-verdict').dataset.ok, 'false');
  assert.match($('#audit-verdict').textContent, /^Chain BROKEN at line 1: .+ \([a-z_]+\)$/);
  assert.equal(server.requests.find((r) => r.path === '/api/v1/audit/export').query.format, 'jsonl');
});

test('the kit QR code decodes back to the kit', () => {
  const { kit } = wasm.createRecoveryKit();
  const { modules } = create(kit, { errorCorrectionLevel: 'M' });
  const scale = 4;
  const side = (modules.size + 8) * scale;
  const data = new Uint8ClampedArray(side * side * 4).fill(255);
  for (let y = 0; y < side; y += 1) {
    for (let x = 0; x < side; x += 1) {
      const r = Math.floor(y / scale) - 4;
      const c = Math.floor(x / scale) - 4;
      if (r >= 0 && c >= 0 && r < modules.size && c < modules.size && modules.get(r, c)) data.fill(0, (y * side + x) * 4, (y * side + x) * 4 + 3);
    }
  }
  assert.equal(jsQR(data, side, side)?.data, kit);
  const svg = qrSvg(kit, 'kit-qr');
  assert.equal(svg.getAttribute('viewBox'), `0 0 ${modules.size + 8} ${modules.size + 8}`);
  assert.equal(svg.querySelector('path').getAttribute('d').split('M').length - 1, [...Array(modules.size ** 2).keys()].filter((i) => modules.get(Math.floor(i / modules.size), i % modules.size)).length);
});

test('re-enrolment steps name the principal: IAM CLI commands, root console only', () => {
  const iam = reenrolSteps({ awsAccountId: '123456789012', awsPrincipal: 'iam_user', iamUserName: 'deploy-bot' });
  const text = iam.map((s) => s.code ?? s.text).join('\n');
  for (const cmd of ['deactivate-mfa-device --user-name deploy-bot', 'delete-virtual-mfa-device', 'create-virtual-mfa-device', 'enable-mfa-device --user-name deploy-bot']) assert.ok(text.includes(cmd), cmd);
  const root = reenrolSteps({ awsAccountId: '123456789012', awsPrincipal: 'root', rootEmail: 'root@acme.test' });
  const rootText = root.map((s) => s.text).join('\n');
  assert.match(rootText, /Console only/);
  assert.match(rootText, /root@acme\.test/);
  assert.ok(root.every((s) => !s.code), 'no CLI command for root');
});

test('an expired session (401) signs in again with the unlocked keyring and repeats the call once', async () => {
  const { renewSessions } = await load('console/app.js');
  let expired = true;
  let expireNext = 0;
  const server = fakeServer({
    ...authRoutes(OWNER),
    'GET /api/v1/org': () => (expired || expireNext-- > 0 ? [401, { error: { code: 'unauthorized', message: 'The session expired.' } }] : [200, { recovery_public_key: '' }]),
  });
  const app = makeApp(server);
  app.keyring = wasm.Keyring.generate();
  app.memberId = OWNER.member_id;
  renewSessions(app);
  const challenge = () => server.requests.filter((r) => r.path === '/api/v1/auth/challenge').length;
  server.requests.length = 0;
  const first = app.client.org();
  expired = false;
  await first;
  assert.equal(challenge(), 1, 'one new sign-in');
  assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), ['GET /api/v1/org', 'POST /api/v1/auth/challenge', 'POST /api/v1/auth/session', 'GET /api/v1/org']);
  assert.equal(server.requests.at(-1).auth, 'Bearer session-token');
  // Still 401 after the new session: the error comes through, no loop.
  expired = true;
  await assert.rejects(app.client.org(), { code: 'unauthorized' });
  assert.equal(challenge(), 2);
  // Calls that fail together (a page's parallel requests) share one sign-in.
  expired = false;
  expireNext = 3;
  await Promise.all([app.client.org(), app.client.org(), app.client.org()]);
  assert.equal(challenge(), 3, 'one sign-in for three expired calls');
  expired = true;
  // Locked: no sign-in attempt.
  app.keyring.free();
  app.keyring = null;
  await assert.rejects(app.client.org(), { code: 'unauthorized' });
  assert.equal(challenge(), 3);
});
