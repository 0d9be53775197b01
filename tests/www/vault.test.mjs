// The vault page: bad input and stale writes lose nothing and say what happened.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import jsQR from 'jsqr';
import QRCode from 'qrcode';

import { $, b64, click, window, errorText, fakeServer, load, makeApp, type, until, wasm } from './harness.mjs';

const { renderVault, CONFLICT_MESSAGE } = await load('console/vault.js');
const { renderVaults } = await load('console/vaults.js');

const URI = 'otpauth://totp/Amazon%20Web%20Services:bob@acme?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services';
const URI2 = 'otpauth://totp/Example:carol?secret=KRSXG5CTMVRXEZLU&issuer=Example';
const ME = { member_id: 'aa'.repeat(16), role: 'owner', label: 'Alice', status: 'active' };

function fixture({ role = 'manage', patch } = {}) {
  const keyring = wasm.Keyring.generate();
  const recovery = wasm.createRecoveryKit();
  const vault = wasm.Vault.create('Acme Corp');
  const entryId = vault.add(URI);
  const snapshot = vault.seal([keyring.publicKeys()], recovery.publicKey);
  const vaultId = vault.id;
  vault.free();
  const member = { ...ME, public_keys: b64(keyring.publicKeys()), fingerprint: keyring.fingerprint, fingerprint_display: keyring.fingerprint };
  const server = fakeServer({
    'GET /api/v1/vaults': () => [200, { vaults: [{ vault_id: vaultId, epoch: 1, version: 3, role, archived: false, rotation_required: false }] }],
    [`GET /api/v1/vaults/${vaultId}`]: () => [200, { vault_id: vaultId, epoch: 1, version: 3, role, rotation_required: false, snapshot: b64(snapshot) }],
    [`GET /api/v1/vaults/${vaultId}/grants`]: () => [200, { vault_id: vaultId, grants: [{ member_id: ME.member_id, role, fingerprint: 'ff', label: 'Alice', grant: null }] }],
    'GET /api/v1/members': () => [200, { members: [member] }],
    [`PATCH /api/v1/vaults/${vaultId}`]: patch ?? (() => [409, { error: { code: 'version_conflict', message: 'The vault changed since version 3.' } }]),
  });
  const app = makeApp(server);
  app.keyring = keyring;
  app.me = ME;
  app.org = { recovery_public_key: b64(recovery.publicKey) };
  app.navigate = async () => {};
  return { app, server, vaultId, entryId };
}

const patches = (server) => server.requests.filter((r) => r.method === 'PATCH');

test('a malformed otpauth URI shows a clear error, keeps the text and sends nothing', async () => {
  const { app, server, vaultId } = fixture();
  await renderVault(app, vaultId);
  assert.equal($('#vault-title').textContent, 'Acme Corp', 'the name is decrypted in the browser');
  const bad = 'otpauth://totp/Acme:bob?secret=this-is-not-base32!';
  type('#entry-uri', bad);
  click('#entry-add');
  await until(() => errorText(), 'an error');
  assert.match(errorText(), /line 1: .+ \(otpauth_[a-z_]+\)/);
  assert.match(errorText(), /nothing was saved/);
  assert.equal($('#entry-uri').value, bad, 'the pasted text is kept');
  assert.equal(patches(server).length, 0);
});

test('a stale write (409) shows the conflict message, keeps the input, and reload restores it', async () => {
  const { app, server, vaultId } = fixture();
  await renderVault(app, vaultId);
  type('#entry-uri', URI2);
  click('#entry-add');
  await until(() => errorText(), 'the conflict error');
  assert.equal(errorText(), `${CONFLICT_MESSAGE} (version_conflict)`);
  const [patch] = patches(server);
  assert.equal(patch.body.base_version, 3, 'the PATCH is based on the version shown');
  assert.equal(patch.body.put_entries.length, 1);
  assert.equal($('#entry-uri').value, URI2, 'the input is kept');
  assert.ok(!$('#conflict').hidden);
  click('#vault-reload');
  await until(() => /unsaved input is still in the form/.test($('#notice').textContent), 'the reloaded page');
  assert.equal(server.requests.filter((r) => r.method === 'GET' && r.path.endsWith(vaultId)).length, 2, 'the vault was fetched again');
  assert.equal($('#entry-uri').value, URI2, 'the draft is back in the new form');
  assert.ok($('#conflict').hidden, 'the new page has no conflict banner');
});

test('an edit conflict keeps every field; a bad account id is refused before sending', async () => {
  const { app, server, vaultId, entryId } = fixture();
  await renderVault(app, vaultId);
  click(`#entry-edit-${entryId}`);
  assert.equal($('#entry-label').value, 'bob@acme');
  type('#entry-account-id', '12345');
  click('#entry-save');
  await until(() => errorText(), 'the account id error');
  assert.match(errorText(), /aws_account_id_invalid/);
  assert.equal(patches(server).length, 0);

  type('#entry-account-id', '123456789012');
  $('#entry-principal').value = 'iam_user';
  type('#entry-iam-user', 'bob');
  click('#entry-save');
  await until(() => /version_conflict/.test(errorText()), 'the conflict');
  assert.equal(patches(server).length, 1);
  assert.equal($('#entry-account-id').value, '123456789012');
  assert.equal($('#entry-iam-user').value, 'bob');
  click('#vault-reload');
  await until(() => $('#entry-form') && $('#entry-account-id').value === '123456789012', 'the restored edit form');
  assert.equal($('#entry-principal').value, 'iam_user');
  assert.equal($('#entry-form').dataset.entry, entryId);
});

test('a saved change refetches the page', async () => {
  let version = 3;
  const { app, server, vaultId } = fixture({ patch: (body) => (body.base_version === version ? [200, { vault_id: 'x', version: ++version, epoch: 1 }] : [409, { error: { code: 'version_conflict', message: 'stale' } }]) });
  await renderVault(app, vaultId);
  type('#vault-name', 'Acme Corporation');
  click('#vault-rename');
  await until(() => /Saved/.test($('#notice').textContent), 'the saved notice');
  const [patch] = patches(server);
  assert.ok(patch.body.meta, 'a rename sends the sealed name');
  assert.deepEqual(patch.body.put_entries, []);
  assert.equal(errorText(), '');
});

/** An "image" for the injected decoder: RGBA pixels, as the page's canvas would give. */
function pixels(matrix) {
  const scale = 4;
  const quiet = 4;
  const n = (matrix ? matrix.size : 25) + quiet * 2;
  const side = n * scale;
  const data = new Uint8ClampedArray(side * side * 4).fill(255);
  if (matrix) {
    for (let y = 0; y < side; y += 1) {
      for (let x = 0; x < side; x += 1) {
        const r = Math.floor(y / scale) - quiet;
        const c = Math.floor(x / scale) - quiet;
        if (r >= 0 && c >= 0 && r < matrix.size && c < matrix.size && matrix.get(r, c)) {
          const i = (y * side + x) * 4;
          data[i] = data[i + 1] = data[i + 2] = 0;
        }
      }
    }
  }
  return { data, width: side, height: side };
}
const decode = async (image) => jsQR(image.data, image.width, image.height)?.data ?? null;

test('an image without a QR code says "No QR code found"; a QR image is imported', async () => {
  const { app, server, vaultId } = fixture();
  app.readQr = decode;
  await renderVault(app, vaultId);
  const input = $('#entry-qr');
  Object.defineProperty(input, 'files', { configurable: true, value: [pixels(null)] });
  input.dispatchEvent(new window.Event('change'));
  await until(() => errorText(), 'the QR error');
  assert.equal(errorText(), 'No QR code found in that image. (qr_not_found)');
  assert.equal(patches(server).length, 0);

  const qr = QRCode.create(URI2, { errorCorrectionLevel: 'M' });
  Object.defineProperty(input, 'files', { configurable: true, value: [pixels(qr.modules)] });
  input.dispatchEvent(new window.Event('change'));
  await until(() => patches(server).length === 1, 'the PATCH of the decoded URI');
  assert.equal($('#entry-uri').value, URI2, 'the decoded text is kept in the form after the conflict');
});

test('a "use" member sees the entries but cannot add, edit or reveal', async () => {
  const { app, vaultId, entryId } = fixture({ role: 'use' });
  await renderVault(app, vaultId);
  assert.ok($(`#entry-${entryId}`));
  assert.equal($('#entry-add'), null);
  assert.equal($(`#entry-reveal-${entryId}`), null);
  assert.equal($(`#entry-edit-${entryId}`), null);
});

test('the vault list fetches and opens its vaults side by side, and says which cannot be opened', async () => {
  const keyring = wasm.Keyring.generate();
  const recovery = wasm.createRecoveryKit();
  const vaults = ['Acme Corp', 'Globex', 'Initech'].map((name) => {
    const vault = wasm.Vault.create(name);
    const snapshot = vault.seal([keyring.publicKeys()], recovery.publicKey);
    const id = vault.id;
    vault.free();
    return { id, snapshot };
  });
  let inFlight = 0;
  let most = 0;
  const routes = {
    'GET /api/v1/vaults': () => [200, { vaults: [...vaults.map((v) => ({ vault_id: v.id, epoch: 1, version: 1, role: 'manage', archived: false, rotation_required: false })), { vault_id: 'bb'.repeat(16), epoch: 1, version: 1, role: 'use', archived: true, rotation_required: false }] }],
    [`GET /api/v1/vaults/${'bb'.repeat(16)}`]: () => [404, { error: { code: 'vault_not_found', message: 'gone' } }],
  };
  for (const v of vaults) {
    routes[`GET /api/v1/vaults/${v.id}`] = async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight -= 1;
      return [200, { vault_id: v.id, epoch: 1, version: 1, role: 'manage', rotation_required: false, snapshot: b64(v.snapshot) }];
    };
  }
  const app = makeApp(fakeServer(routes));
  app.keyring = keyring;
  app.me = ME;
  app.org = { recovery_public_key: b64(recovery.publicKey) };
  await renderVaults(app);
  assert.deepEqual(vaults.map((v) => $(`#vault-open-${v.id}`).textContent), ['Acme Corp', 'Globex', 'Initech'], 'in the server\'s order');
  assert.equal($(`#vault-open-${'bb'.repeat(16)}`).textContent, '(cannot open: vault_not_found)');
  assert.equal(most, vaults.length, 'every vault requested before the first answer');
  keyring.free();
});
