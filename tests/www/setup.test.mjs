// First run: the setup request goes out only after the recovery kit is confirmed; then the sealed
// keyring is stored and unlocks with the passphrase to the keys the server received.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { $, authRoutes, click, errorText, fakeServer, load, makeApp, type, unb64Bytes, until, wasm } from './harness.mjs';

const { start } = await load('console/app.js');
const { kitCheck } = await load('console/setup.js');

const PASS = 'correct horse battery staple 42';

function setupServer() {
  const state = { setUp: false };
  const me = { member_id: 'aa'.repeat(16), role: 'owner', label: 'Alice', status: 'active' };
  const server = fakeServer({
    'GET /api/v1/health': () => [200, { status: 'ok', setup_complete: state.setUp }],
    'POST /api/v1/setup': (body) => {
      if (body.setup_token !== 'the-setup-token') return [403, { error: { code: 'setup_token_invalid', message: 'The setup token is wrong.' } }];
      state.setUp = true;
      return [201, { member_id: me.member_id, fingerprint: 'ff', fingerprint_display: 'FF', role: 'owner' }];
    },
    'GET /api/v1/org': () => [200, { recovery_public_key: state.recovery, recovery_fingerprint: 'x', public_url: 'http://127.0.0.1:8787' }],
    'GET /api/v1/vaults': () => [200, { vaults: [] }],
    ...authRoutes(me),
  });
  return { server, state };
}

async function fillSetup(token = 'the-setup-token') {
  await until(() => $('#setup-form'), 'the setup form');
  type('#setup-token', token);
  type('#setup-label', 'Alice');
  type('#setup-passphrase', PASS);
  type('#setup-confirm', PASS);
  click('#setup-submit');
  await until(() => $('#kit-text'), 'the kit page');
}

test('setup shows the kit once and sends nothing until the kit is confirmed', async () => {
  const { server } = setupServer();
  const app = makeApp(server);
  await start(app);
  await fillSetup();

  const kit = $('#kit-text').textContent;
  assert.match(kit, /^TESSERA-RECOVERY-V1-/);
  assert.ok($('#kit-qr'), 'the kit has a QR code');
  const kitInfo = wasm.readRecoveryKit(kit);
  assert.equal($('#kit-fingerprint').textContent, kitInfo.fingerprint);

  // Not ticked: refused, nothing sent.
  type('#kit-check', kitCheck(kit));
  click('#setup-finish');
  await until(() => errorText(), 'an error');
  assert.match(errorText(), /kit_not_saved/);
  // Ticked but the wrong characters: refused.
  $('#kit-saved').checked = true;
  type('#kit-check', kitCheck(kit) === 'AAAA' ? 'BBBB' : 'AAAA');
  click('#setup-finish');
  await until(() => /kit_check_mismatch/.test(errorText()), 'the mismatch error');
  assert.equal(server.requests.filter((r) => r.path === '/api/v1/setup').length, 0, 'no setup request before the kit is confirmed');

  type('#kit-check', kitCheck(kit).toLowerCase());
  click('#setup-finish');
  await until(() => server.requests.some((r) => r.path === '/api/v1/setup'), 'the setup request');
  const setup = server.requests.find((r) => r.path === '/api/v1/setup').body;
  assert.equal(setup.setup_token, 'the-setup-token');
  assert.equal(setup.label, 'Alice');
  assert.deepEqual(unb64Bytes(setup.recovery_public_key), Uint8Array.from(kitInfo.publicKey));
  assert.equal(unb64Bytes(setup.public_keys).length, 64);

  // The stored keyring is sealed and opens with the passphrase to the keys the server got.
  const stored = app.store.load();
  assert.ok(stored, 'a keyring is stored');
  assert.equal(stored.memberId, 'aa'.repeat(16));
  assert.throws(() => wasm.Keyring.unlock(stored.sealed, 'wrong passphrase'), { code: 'keyring_wrong_passphrase_or_tampered' });
  const keyring = wasm.Keyring.unlock(stored.sealed, PASS);
  assert.deepEqual(Uint8Array.from(keyring.publicKeys()), unb64Bytes(setup.public_keys));
  keyring.free();

  // Signed in, and the kit is gone from the page.
  await until(() => $('#vault-list'), 'the vault list');
  assert.equal($('#kit-text'), null);
  assert.ok(!document.body.textContent.includes(kit), 'the kit text is shown once only');
});

test('a weak or mismatched passphrase stays on the form with a clear error', async () => {
  const { server } = setupServer();
  const app = makeApp(server);
  await start(app);
  await until(() => $('#setup-form'), 'the setup form');
  type('#setup-token', 'the-setup-token');
  type('#setup-passphrase', 'password1');
  type('#setup-confirm', 'password1');
  click('#setup-submit');
  await until(() => errorText(), 'an error');
  assert.match(errorText(), /weak_passphrase/);
  assert.equal($('#kit-text'), null);
  type('#setup-passphrase', PASS);
  type('#setup-confirm', `${PASS}!`);
  click('#setup-submit');
  await until(() => /passphrase_mismatch/.test(errorText()), 'the mismatch error');
  assert.equal($('#setup-token').value, 'the-setup-token', 'the form keeps its content');
});

test('a refused setup token keeps the kit page and its confirmation for another try', async () => {
  const { server } = setupServer();
  const app = makeApp(server);
  await start(app);
  await fillSetup('wrong-token');
  const kit = $('#kit-text').textContent;
  $('#kit-saved').checked = true;
  type('#kit-check', kitCheck(kit));
  click('#setup-finish');
  await until(() => errorText(), 'an error');
  assert.match(errorText(), /The setup token is wrong\. \(setup_token_invalid\)/);
  assert.equal($('#kit-text').textContent, kit, 'the same kit is still shown');
  assert.equal(app.store.load(), null, 'nothing stored after a failed setup');
});
