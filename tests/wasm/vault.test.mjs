// The Vault and Keyring handles of the built wasm package: seeds stay inside, errors are typed.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import tessera from './pkg.mjs';

const { Keyring, Vault } = tessera;

const T = 1_700_000_000;
const GITHUB = 'otpauth://totp/GitHub:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=GitHub';
const AWS_ROOT =
  'otpauth://totp/Amazon%20Web%20Services:root-account-mfa-device@123456789012?secret=UUXGEFACW7KYOGBGPFJVJLFVZ4STLERT2S7A6D6ZD725YKDD545BQ6EXZYFPZ4QL&issuer=Amazon%20Web%20Services';
const BANK = 'otpauth://hotp/Bank:bob?secret=JBSWY3DPEHPK3PXP&issuer=Bank&algorithm=SHA256&digits=8&counter=42';
const SEEDS = ['GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 'UUXGEFACW7KYOGBGPFJVJLFVZ4STLERT2S7A6D6ZD725YKDD545BQ6EXZYFPZ4QL', 'JBSWY3DPEHPK3PXP'];

/** Everything a JS caller can read without a manage call, as one string. */
function everythingVisible(vault) {
  const ids = vault.ids();
  return JSON.stringify([
    vault.list(),
    ids.map((id) => vault.get(id)),
    vault.search('a'),
    vault.codes(T),
    vault.name,
    vault.id,
    Object.keys(vault),
    String(vault),
  ]);
}

function sample() {
  const vault = Vault.create('Acme');
  const ids = [vault.add(GITHUB), vault.add(AWS_ROOT, { awsAccountAlias: 'acme-prod', rootEmail: 'root@acme.example' }), vault.add(BANK)];
  return { vault, ids };
}

test('metadata, lists and search never contain a seed', () => {
  const { vault } = sample();
  const visible = everythingVisible(vault);
  for (const seed of SEEDS) {
    assert.ok(!visible.includes(seed), `seed ${seed.slice(0, 4)}... visible`);
    assert.ok(!visible.toLowerCase().includes(seed.toLowerCase()));
  }
  assert.ok(!visible.includes('secret'));
  vault.free();
});

test('list, get, search and batch codes agree', () => {
  const { vault, ids } = sample();
  assert.equal(vault.size, 3);
  const list = vault.list();
  assert.deepEqual(list.map((e) => e.id), vault.ids());
  assert.deepEqual([...ids].sort(), vault.ids().slice().sort());
  const root = vault.get(ids[1]);
  assert.deepEqual(root, {
    id: ids[1],
    type: 'totp',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    label: 'root-account-mfa-device@123456789012',
    issuer: 'Amazon Web Services',
    awsAccountId: '123456789012',
    awsAccountAlias: 'acme-prod',
    awsPrincipal: 'root',
    rootEmail: 'root@acme.example',
    deviceName: 'root-account-mfa-device',
  });
  assert.deepEqual(vault.get(ids[2]).counter, 42);

  assert.deepEqual(vault.search('123456789012'), [ids[1]]);
  assert.deepEqual(vault.search('acme-prod'), [ids[1]]);
  assert.deepEqual(vault.search('github'), [ids[0]]);
  assert.deepEqual(vault.search('nothing like it'), []);

  const all = vault.codes(T);
  assert.deepEqual(all, vault.ids().map((id) => vault.code(id, T)));
  assert.deepEqual(vault.codes(T, [ids[2], ids[0]]), [vault.code(ids[2], T), vault.code(ids[0], T)]);
  assert.equal(vault.code(ids[0], T), tessera.codeFromUri(GITHUB, T));
  assert.equal(vault.code(ids[2], 0), tessera.codeFromUri(BANK, 0));
  assert.deepEqual(vault.codes(T, []), []);
  vault.free();
});

test('update and remove', () => {
  const { vault, ids } = sample();
  vault.update(ids[0], { label: 'alice (work)', notes: 'yubikey backup', issuer: null });
  const e = vault.get(ids[0]);
  assert.equal(e.label, 'alice (work)');
  assert.equal(e.notes, 'yubikey backup');
  assert.ok(!('issuer' in e));
  assert.equal(vault.code(ids[0], T), tessera.codeFromUri(GITHUB, T), 'the seed is unchanged');

  vault.update(ids[1], { awsPrincipal: 'iam_user', iamUserName: 'deploy', rootEmail: null });
  assert.equal(vault.get(ids[1]).iamUserName, 'deploy');
  assert.throws(() => vault.update(ids[1], { awsPrincipal: 'iam_user', iamUserName: null }), { code: 'bad_argument' });
  assert.throws(() => vault.update(ids[1], { secret: 'AAAA' }), { code: 'bad_argument' });

  vault.remove(ids[0]);
  assert.equal(vault.size, 2);
  assert.deepEqual(vault.codes(T).length, 2);
  for (const call of [() => vault.get(ids[0]), () => vault.code(ids[0], T), () => vault.codes(T, [ids[0]]), () => vault.remove(ids[0])]) {
    assert.throws(call, { code: 'entry_not_found' });
  }
  assert.throws(() => vault.get('not-an-id'), { code: 'entry_not_found' });
  vault.free();
});

test('a locked vault refuses every call with vault_locked', () => {
  const { vault, ids } = sample();
  assert.equal(vault.locked, false);
  vault.lock();
  assert.equal(vault.locked, true);
  const calls = {
    codes: () => vault.codes(T),
    code: () => vault.code(ids[0], T),
    list: () => vault.list(),
    get: () => vault.get(ids[0]),
    ids: () => vault.ids(),
    search: () => vault.search('github'),
    exportUri: () => vault.exportUri(ids[0]),
    revealSecret: () => vault.revealSecret(ids[0]),
    add: () => vault.add(GITHUB),
    importText: () => vault.importText(GITHUB),
    remove: () => vault.remove(ids[0]),
    seal: () => vault.seal([]),
    rotate: () => vault.rotate(),
    size: () => vault.size,
    name: () => vault.name,
  };
  for (const [name, call] of Object.entries(calls)) {
    assert.throws(call, (err) => err instanceof Error && err.code === 'vault_locked', name);
  }
  vault.lock(); // idempotent
  vault.free();
});

test('a freed vault refuses calls', () => {
  const { vault, ids } = sample();
  vault.free();
  // wasm-bindgen's glue throws its own Error (no `code`) for a freed handle: the call never
  // reaches the (already wiped) vault. Prefer lock(), which gives the typed vault_locked.
  assert.throws(() => vault.codes(T), Error);
  assert.throws(() => vault.exportUri(ids[0]), Error);
});

test('seal and open: granted members only, tampering detected, rotation', () => {
  const { vault, ids } = sample();
  const alice = Keyring.generate();
  const bob = Keyring.generate();
  const mallory = Keyring.generate();
  const sealed = vault.seal([alice.publicKeys(), bob.publicKeys()]);
  assert.ok(sealed instanceof Uint8Array);
  for (const seed of SEEDS) assert.ok(!Buffer.from(sealed).toString('latin1').includes(seed));

  const opened = Vault.open(sealed, bob);
  assert.equal(opened.id, vault.id);
  assert.equal(opened.epoch, 1);
  assert.equal(opened.name, 'Acme');
  assert.deepEqual(opened.list(), vault.list());
  assert.deepEqual(opened.codes(T), vault.codes(T));
  assert.equal(opened.exportUri(ids[1]), vault.exportUri(ids[1]));

  assert.throws(() => Vault.open(sealed, mallory), { code: 'vault_not_granted' });
  const tampered = sealed.slice();
  tampered[tampered.length - 20] ^= 1;
  assert.throws(() => Vault.open(tampered, alice), { code: 'vault_tampered_or_wrong_key' });
  assert.throws(() => Vault.open(sealed.slice(0, 40), alice), (e) => e.code.startsWith('vault_'));
  assert.throws(() => Vault.open(new Uint8Array([1, 2, 3]), alice), (e) => e.code.startsWith('vault_'));
  assert.throws(() => vault.seal([new Uint8Array(10)]), (e) => e.code.startsWith('keyring_'));
  assert.throws(() => vault.seal([]), { code: 'vault_no_recipients' });

  // Remove bob: rotate, re-grant alice only.
  vault.rotate();
  assert.equal(vault.epoch, 2);
  const sealed2 = vault.seal([alice.publicKeys()]);
  assert.throws(() => Vault.open(sealed2, bob), { code: 'vault_not_granted' });
  const again = Vault.open(sealed2, alice);
  assert.equal(again.epoch, 2);
  assert.deepEqual(again.codes(T), vault.codes(T));
  for (const v of [vault, opened, again]) v.free();
  for (const k of [alice, bob, mallory]) k.free();
});

test('keyring: seal with Argon2id, header, unlock, wrong passphrase, lock', () => {
  const params = tessera.kdfParams();
  assert.deepEqual(params.default, { mKib: 65536, t: 3, p: 1 });
  const keyring = Keyring.generate();
  const sealed = keyring.seal('correct horse battery staple', params.min);
  const header = tessera.keyringHeader(sealed);
  assert.deepEqual(header.kdf, params.min);
  assert.equal(header.fingerprint, keyring.fingerprint);
  assert.match(keyring.fingerprint, /^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);

  const unlocked = Keyring.unlock(sealed, 'correct horse battery staple');
  assert.deepEqual(unlocked.publicKeys(), keyring.publicKeys());
  assert.throws(() => Keyring.unlock(sealed, 'wrong'), { code: 'keyring_wrong_passphrase_or_tampered' });
  assert.throws(() => keyring.seal('', params.min), { code: 'keyring_empty_passphrase' });
  assert.throws(() => keyring.seal('x', { mKib: 1024, t: 1, p: 1 }), { code: 'keyring_kdf_params_out_of_range' });
  assert.throws(() => keyring.seal('x', { mKib: 'lots' }), { code: 'bad_argument' });

  // A vault sealed to the keyring opens with the unlocked copy.
  const vault = Vault.create('mine');
  vault.add(GITHUB);
  const v2 = Vault.open(vault.seal([keyring.publicKeys()]), unlocked);
  assert.deepEqual(v2.codes(T), vault.codes(T));

  unlocked.lock();
  assert.equal(unlocked.locked, true);
  assert.throws(() => unlocked.publicKeys(), { code: 'keyring_locked' });
  assert.throws(() => unlocked.seal('x'), { code: 'keyring_locked' });
  assert.throws(() => Vault.open(vault.seal([keyring.publicKeys()]), unlocked), { code: 'keyring_locked' });
  for (const o of [keyring, unlocked, vault, v2]) o.free();
});

test('importText reports each line', () => {
  const vault = Vault.create('paste');
  const report = vault.importText(`# exported\n${GITHUB}\n\nnot a uri\n${BANK}\notpauth://totp/x?secret=&issuer=y\n`);
  assert.deepEqual(report.added.map((a) => a.line), [2, 5]);
  assert.deepEqual(report.failed.map((f) => [f.line, f.error]), [[4, 'import_unrecognised_line'], [6, 'otpauth_empty_secret']]);
  assert.equal(vault.size, 2);
  for (const f of report.failed) assert.equal(typeof f.message, 'string');
  vault.free();
});
