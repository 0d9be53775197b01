// The team additions of the built wasm package: sign-in and audit-event signatures (checked with
// Node's own Ed25519 over the byte layouts of docs/FORMAT.md §8, §13.1, §13.5), the keyring's
// session secret, the vault's request bodies for the team server, and audit log verification
// (records hashed here independently, per FORMAT.md §13.2).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';

import tessera from './pkg.mjs';

const { Keyring, Vault, createRecoveryKit, verifyAuditLog } = tessera;

const GITHUB = 'otpauth://totp/GitHub:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=GitHub';
const BANK = 'otpauth://hotp/Bank:bob?secret=JBSWY3DPEHPK3PXP&issuer=Bank&counter=42';

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const unb64 = (text) => new Uint8Array(Buffer.from(text, 'base64'));
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const unhex = (text) => new Uint8Array(Buffer.from(text, 'hex'));
const concat = (...parts) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));
const u16 = (n) => new Uint8Array([n >> 8, n & 255]);
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const u64 = (n) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; };

function codeOf(fn) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Error, 'errors are Error objects');
    return err.code;
  }
  assert.fail('expected an error');
}

/** Node's Ed25519 check of a Tessera signature: `tessera/v1/sig/` || context || 0x00 || message. */
function verifies(keyring, context, message, signature) {
  const pub = keyring.publicKeys().slice(32, 64);
  const key = crypto.createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pub).toString('base64url') },
    format: 'jwk',
  });
  const signed = concat(Buffer.from(`tessera/v1/sig/${context}`), [0], message);
  return crypto.verify(null, signed, key, signature);
}

/** FORMAT.md §13.5: u16 len || audience || challenge_id (16) || nonce (32). */
function signInMessage(audience, id, nonce) {
  const a = Buffer.from(audience);
  return concat(u16(a.length), a, id, nonce);
}

test('signChallenge signs the sign-in message for the audience the client knows', () => {
  const kr = Keyring.generate();
  const id = crypto.randomBytes(16);
  const nonce = crypto.randomBytes(32);
  const sig = kr.signChallenge('https://vault.example.com', hex(id), b64(nonce));
  assert.equal(unb64(sig).length, 64);
  assert.ok(verifies(kr, 'auth-challenge', signInMessage('https://vault.example.com', id, nonce), unb64(sig)));
  // Bound to the audience, the challenge and the context.
  assert.ok(!verifies(kr, 'auth-challenge', signInMessage('https://evil.example.com', id, nonce), unb64(sig)));
  assert.ok(!verifies(kr, 'audit-event', signInMessage('https://vault.example.com', id, nonce), unb64(sig)));
  assert.ok(!verifies(Keyring.generate(), 'auth-challenge', signInMessage('https://vault.example.com', id, nonce), unb64(sig)));
});

test('signChallenge refuses malformed fields with codes and without echoing them', () => {
  const kr = Keyring.generate();
  const nonce = b64(crypto.randomBytes(32));
  const id = hex(crypto.randomBytes(16));
  for (const [badId, badNonce, code] of [
    ['abc', nonce, 'team_bad_hex'],
    [id.toUpperCase(), nonce, 'team_bad_hex'],
    [`${id}00`, nonce, 'team_bad_hex'],
    [id, b64(crypto.randomBytes(31)), 'team_bad_base64'],
    [id, 'SECRETNONCE!!', 'team_bad_base64'],
    [id, nonce.replace(/=*$/, ''), 'team_bad_base64'],
  ]) {
    try {
      kr.signChallenge('https://a.example', badId, badNonce);
      assert.fail('expected an error');
    } catch (err) {
      assert.equal(err.code, code);
      assert.ok(!err.message.includes(badId) && !err.message.includes(badNonce), err.message);
    }
  }
  kr.lock();
  assert.equal(codeOf(() => kr.signChallenge('https://a.example', id, nonce)), 'keyring_locked');
});

/** FORMAT.md §13.1: TSAE, v1, action, vault id, entry id, u64 time_ms, nonce (16), u8 len, host. */
function parseEvent(bytes) {
  const b = Buffer.from(bytes);
  assert.equal(b.subarray(0, 4).toString(), 'TSAE');
  assert.equal(b[4], 1);
  const hostLen = b[62];
  assert.equal(b.length, 63 + hostLen);
  return {
    action: b[5],
    vault: b.subarray(6, 22).toString('hex'),
    entry: b.subarray(22, 38).toString('hex'),
    timeMs: Number(b.readBigUInt64BE(38)),
    nonce: b.subarray(46, 62).toString('hex'),
    host: b.subarray(63).toString(),
  };
}

test('signEvent is the body of POST /api/v1/audit/events', () => {
  const kr = Keyring.generate();
  const vault = hex(crypto.randomBytes(16));
  const entry = hex(crypto.randomBytes(16));
  const now = 1_790_000_000_123;
  const body = kr.signEvent('fill', vault, entry, now, 'signin.aws.amazon.com');
  assert.deepEqual(Object.keys(body).sort(), ['event', 'signature']);
  const ev = parseEvent(unb64(body.event));
  assert.deepEqual({ ...ev, nonce: undefined }, {
    action: 3, vault, entry, timeMs: now, nonce: undefined, host: 'signin.aws.amazon.com',
  });
  assert.ok(verifies(kr, 'audit-event', unb64(body.event), unb64(body.signature)));
  // Actions, an empty host, a fresh nonce each time.
  const copy = parseEvent(unb64(kr.signEvent('copy', vault, entry, now, '').event));
  assert.equal(copy.action, 2);
  assert.equal(copy.host, '');
  assert.equal(parseEvent(unb64(kr.signEvent('reveal', vault, entry, now, '').event)).action, 1);
  assert.notEqual(copy.nonce, ev.nonce);

  assert.equal(codeOf(() => kr.signEvent('delete', vault, entry, now, '')), 'team_unknown_action');
  assert.equal(codeOf(() => kr.signEvent('copy', 'zz', entry, now, '')), 'team_bad_hex');
  assert.equal(codeOf(() => kr.signEvent('copy', vault, entry.slice(2), now, '')), 'team_bad_hex');
  assert.equal(codeOf(() => kr.signEvent('copy', vault, entry, -1, '')), 'bad_argument');
  assert.equal(codeOf(() => kr.signEvent('copy', vault, entry, NaN, '')), 'bad_argument');
  assert.equal(codeOf(() => kr.signEvent('fill', vault, entry, now, 'Evil Host/')), 'audit_invalid_host');
});

test('sessionSecret round trip gives the same keyring', () => {
  const kr = Keyring.generate();
  const secret = kr.sessionSecret();
  assert.ok(secret instanceof Uint8Array);
  assert.equal(secret.length, 64);
  const again = Keyring.fromSessionSecret(secret);
  secret.fill(0);
  assert.equal(again.fingerprint, kr.fingerprint);
  assert.deepEqual(again.publicKeys(), kr.publicKeys());
  const id = crypto.randomBytes(16);
  const nonce = crypto.randomBytes(32);
  const sig = again.signChallenge('https://v.example', hex(id), b64(nonce));
  assert.ok(verifies(kr, 'auth-challenge', signInMessage('https://v.example', id, nonce), unb64(sig)));
  // The wiped array is no keyring's secret; wrong lengths are refused.
  assert.equal(codeOf(() => Keyring.fromSessionSecret(secret)), 'keyring_key_mismatch');
  assert.equal(codeOf(() => Keyring.fromSessionSecret(new Uint8Array(63))), 'keyring_malformed');
  assert.equal(codeOf(() => Keyring.fromSessionSecret(new Uint8Array(65))), 'keyring_malformed');
  kr.lock();
  assert.equal(codeOf(() => kr.sessionSecret()), 'keyring_locked');
});

/** A team: an admin, another member, the organisation recovery key. */
function team() {
  const admin = Keyring.generate();
  const other = Keyring.generate();
  const kit = createRecoveryKit();
  return { admin, other, recoveryPublicKey: kit.publicKey, kit: kit.kit };
}

function createdVault(t) {
  const v = Vault.create('Client A');
  v.add(GITHUB);
  v.add(BANK);
  const adminId = hex(crypto.randomBytes(16));
  const body = v.createBody([{ memberId: adminId, role: 'manage', publicKeys: t.admin.publicKeys() }], t.recoveryPublicKey);
  return { v, body, adminId };
}

test('createBody is the POST /api/v1/vaults body and the snapshot opens', () => {
  const t = team();
  const { v, body, adminId } = createdVault(t);
  assert.deepEqual(Object.keys(body).sort(), ['grants', 'snapshot']);
  assert.deepEqual(body.grants, [{ member_id: adminId, role: 'manage' }]);
  const opened = Vault.open(unb64(body.snapshot), t.admin);
  assert.equal(opened.id, v.id);
  assert.deepEqual(opened.ids(), v.ids());
  assert.equal(opened.name, 'Client A');
  assert.equal(Vault.openWithRecovery(unb64(body.snapshot), t.kit).size, 2);
  assert.equal(codeOf(() => Vault.open(unb64(body.snapshot), t.other)), 'vault_not_granted');

  const keys = t.admin.publicKeys();
  const bad = (grants, recovery = t.recoveryPublicKey) => codeOf(() => Vault.create('x').createBody(grants, recovery));
  assert.equal(bad([{ memberId: 'nothex', role: 'manage', publicKeys: keys }]), 'team_bad_hex');
  assert.equal(bad([{ memberId: adminId, role: 'owner', publicKeys: keys }]), 'team_unknown_role');
  assert.equal(bad([{ memberId: adminId, role: 'manage', publicKeys: keys.slice(1) }]), 'team_bad_length');
  assert.equal(bad([{ memberId: adminId, role: 'manage', publicKeys: [1, 2] }]), 'bad_argument');
  assert.equal(bad([{ memberId: adminId, role: 'manage' }]), 'bad_argument');
  assert.equal(bad('not an array'), 'bad_argument');
  assert.equal(bad([{ memberId: adminId, role: 'manage', publicKeys: keys }], new Uint8Array(31)), 'team_bad_length');
});

test('patchBody: null when unchanged, every change since the base otherwise', () => {
  const t = team();
  const { body } = createdVault(t);
  const v = Vault.open(unb64(body.snapshot), t.admin);
  assert.equal(v.patchBody(1), null);
  // Added then removed, renamed and named back: still nothing.
  const tmp = v.add(GITHUB);
  v.remove(tmp);
  v.setName('other');
  v.setName('Client A');
  assert.equal(v.patchBody(1), null);

  const added = v.add(GITHUB, { label: 'new' });
  const first = v.patchBody(1);
  assert.deepEqual(Object.keys(first).sort(), ['base_version', 'delete_entries', 'put_entries', 'seal']);
  assert.equal(first.base_version, 1);
  assert.equal(first.put_entries.length, 1);
  assert.deepEqual(first.delete_entries, []);
  assert.equal(unb64(first.seal).length, 28);
  // The put entry is entry `added`: FORMAT.md §4, magic, version, vault id, entry id.
  const put = Buffer.from(unb64(first.put_entries[0]));
  assert.equal(put.subarray(0, 4).toString(), 'TSEN');
  assert.equal(put.subarray(5, 21).toString('hex'), v.id);
  assert.equal(put.subarray(21, 37).toString('hex'), added);

  const gone = v.ids().find((id) => id !== added);
  v.remove(gone);
  v.setName('Client A (renamed)');
  const second = v.patchBody(1);
  assert.deepEqual(second.delete_entries, [gone]);
  assert.equal(second.put_entries.length, 1);
  assert.equal(typeof second.meta, 'string');
  assert.equal(Buffer.from(unb64(second.meta)).subarray(0, 4).toString(), 'TSVM');
  // A body was built from this base at version 1: another version means the base is stale.
  assert.equal(codeOf(() => v.patchBody(2)), 'vault_stale_base');
  for (const bad of [1.5, -1, NaN, Infinity]) assert.equal(codeOf(() => v.patchBody(bad)), 'bad_argument');

  assert.equal(codeOf(() => Vault.create('local').patchBody(1)), 'vault_no_base');
  const rotated = Vault.open(unb64(body.snapshot), t.admin);
  rotated.rotate();
  rotated.add(GITHUB);
  assert.equal(codeOf(() => rotated.patchBody(1)), 'vault_rotated');
  v.lock();
  assert.equal(codeOf(() => v.patchBody(1)), 'vault_locked');
});

test('grantBody is the POST /api/v1/vaults/{id}/grants body', () => {
  const t = team();
  const { body } = createdVault(t);
  const v = Vault.open(unb64(body.snapshot), t.admin);
  const member = hex(crypto.randomBytes(16));
  const g = v.grantBody(1, member, 'use', t.other.publicKeys());
  assert.deepEqual(Object.keys(g).sort(), ['base_version', 'grant', 'member_id', 'role', 'seal']);
  assert.deepEqual([g.base_version, g.member_id, g.role], [1, member, 'use']);
  const grant = Buffer.from(unb64(g.grant));
  assert.equal(grant.subarray(0, 4).toString(), 'TSGR');
  assert.equal(grant.subarray(5, 21).toString('hex'), v.id);
  assert.equal(unb64(g.seal).length, 28);

  const fresh = () => Vault.open(unb64(body.snapshot), t.admin);
  const keys = t.other.publicKeys();
  assert.equal(codeOf(() => fresh().grantBody(1, 'XYZ', 'use', keys)), 'team_bad_hex');
  assert.equal(codeOf(() => fresh().grantBody(1, member, 'admin', keys)), 'team_unknown_role');
  assert.equal(codeOf(() => fresh().grantBody(1, member, 'use', keys.slice(0, 32))), 'team_bad_length');
  const weak = new Uint8Array(64);
  weak[32] = 1; // the identity point: not a usable Ed25519 key
  assert.equal(codeOf(() => fresh().grantBody(1, member, 'use', weak)), 'keyring_invalid_public_key');
  const pending = fresh();
  pending.add(GITHUB);
  assert.equal(codeOf(() => pending.grantBody(1, member, 'use', keys)), 'vault_pending_changes');
});

test('rotateBody moves to the next epoch for exactly the given members', () => {
  const t = team();
  const { body } = createdVault(t);
  const v = Vault.open(unb64(body.snapshot), t.admin);
  const r = v.rotateBody(3, [t.admin.publicKeys()], t.recoveryPublicKey);
  assert.deepEqual(Object.keys(r).sort(), ['base_version', 'snapshot']);
  assert.equal(r.base_version, 3);
  assert.equal(v.epoch, 2);
  const opened = Vault.open(unb64(r.snapshot), t.admin);
  assert.equal(opened.epoch, 2);
  assert.deepEqual(opened.ids(), v.ids());
  assert.equal(Vault.openWithRecovery(unb64(r.snapshot), t.kit).epoch, 2);
  // The rotated snapshot is the base now, at the next version.
  assert.equal(v.patchBody(4), null);
  v.add(BANK);
  assert.equal(v.patchBody(4).put_entries.length, 1);

  const pending = Vault.open(unb64(body.snapshot), t.admin);
  pending.setName('changed');
  assert.equal(codeOf(() => pending.rotateBody(1, [t.admin.publicKeys()], t.recoveryPublicKey)), 'vault_pending_changes');
  const fresh = Vault.open(unb64(body.snapshot), t.admin);
  assert.equal(codeOf(() => fresh.rotateBody(1, [new Uint8Array(64)], t.recoveryPublicKey)), 'keyring_invalid_public_key');
  assert.equal(codeOf(() => fresh.rotateBody(1, [t.admin.publicKeys()], new Uint8Array(33))), 'team_bad_length');
  assert.equal(fresh.epoch, 1, 'a refused rotation changes nothing');
});

/** FORMAT.md §13.2, computed here independently of the package. */
function recordHash(r) {
  const opt = (h) => (h === null ? [0] : concat([1], unhex(h)));
  const action = Buffer.from(r.action);
  const detail = Buffer.from(r.detail);
  const client = r.client === null
    ? [0]
    : concat([1], u16(unb64(r.client.event).length), unb64(r.client.event), unb64(r.client.signature), unb64(r.client.signer));
  const enc = concat(
    u64(r.seq), u64(r.time_ms), unhex(r.prev_hash), unhex(r.vault_prev_hash),
    [action.length], action, opt(r.actor), opt(r.subject), opt(r.vault), opt(r.entry),
    u32(detail.length), detail, client,
  );
  return crypto.createHash('sha256').update(concat(Buffer.from('tessera/v1/audit-record'), [0], enc)).digest('hex');
}

/** A log built as the server appends records (FORMAT.md §13.3 member order). */
function auditLog(kr, vault, entry) {
  const zero = '0'.repeat(64);
  const actor = hex(crypto.randomBytes(16));
  const records = [];
  const append = (action, vaultId, entryId = null, client = null) => {
    const prevVault = [...records].reverse().find((p) => vaultId !== null && p.vault === vaultId);
    const r = {
      seq: records.length + 1,
      time_ms: 1_790_000_000_000 + records.length,
      action,
      actor,
      subject: null,
      vault: vaultId,
      entry: entryId,
      detail: '{}',
      client,
      prev_hash: records.at(-1)?.hash ?? zero,
      vault_prev_hash: prevVault?.hash ?? zero,
      hash: '',
    };
    r.hash = recordHash(r);
    records.push(r);
  };
  append('org.setup', null);
  append('vault.create', vault);
  const ev = kr.signEvent('fill', vault, entry, 1_790_000_000_500, 'signin.aws.amazon.com');
  append('code.fill', vault, entry, { ...ev, signer: b64(kr.publicKeys()) });
  append('auth.sign_in', null);
  return records;
}

const jsonl = (records) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

test('verifyAuditLog checks hashes, links and client signatures, and names the line', () => {
  const kr = Keyring.generate();
  const vault = hex(crypto.randomBytes(16));
  const entry = hex(crypto.randomBytes(16));
  const records = auditLog(kr, vault, entry);
  const text = jsonl(records);
  const head = records.at(-1).hash;
  assert.deepEqual(verifyAuditLog(text), { ok: true, records: 4, head, error: null });
  assert.equal(verifyAuditLog(text, head).ok, true);
  assert.equal(verifyAuditLog(text, undefined, undefined).ok, true);

  // A tampered line: its hash no longer matches.
  const lines = text.split('\n');
  lines[1] = lines[1].replace('"detail":"{}"', '"detail":"{\\"x\\":1}"');
  const tampered = verifyAuditLog(lines.join('\n'));
  assert.equal(tampered.ok, false);
  assert.equal(tampered.head, null);
  assert.deepEqual([tampered.records, tampered.error.code, tampered.error.line], [1, 'audit_hash_mismatch', 2]);
  // A removed record breaks the link; a removed newest record shows against the head only.
  const removed = verifyAuditLog(jsonl(records.filter((_, i) => i !== 1)));
  assert.deepEqual([removed.error.code, removed.error.line], ['audit_bad_sequence', 2]);
  assert.equal(verifyAuditLog(jsonl(records.slice(0, 3))).ok, true);
  const short = verifyAuditLog(jsonl(records.slice(0, 3)), head);
  assert.deepEqual([short.ok, short.error.code, short.head], [false, 'audit_head_mismatch', records[2].hash]);
  assert.equal(verifyAuditLog(jsonl(records.slice(1))).error.code, 'audit_missing_start');
  // A client event re-signed by someone else (hash recomputed): the signature no longer verifies.
  const forged = records.map((r) => ({ ...r }));
  const mallory = Keyring.generate();
  forged[2].client = { ...forged[2].client, signer: b64(mallory.publicKeys()) };
  forged[2].hash = recordHash(forged[2]);
  forged[3].prev_hash = forged[2].hash;
  forged[3].hash = recordHash(forged[3]);
  const f = verifyAuditLog(jsonl(forged));
  assert.deepEqual([f.error.code, f.error.line], ['audit_bad_client_event', 3]);

  // One vault's chain.
  const vaultOnly = records.filter((r) => r.vault === vault);
  assert.deepEqual(verifyAuditLog(jsonl(vaultOnly), undefined, vault), {
    ok: true, records: 2, head: vaultOnly.at(-1).hash, error: null,
  });
  assert.equal(verifyAuditLog(text, undefined, vault).error.code, 'audit_wrong_vault');
  // Not an export; bad arguments throw.
  const notJson = verifyAuditLog('seq,time_ms,action\n1,2,x\n');
  assert.deepEqual([notJson.ok, notJson.error.line, notJson.error.code], [false, 1, 'audit_invalid_field']);
  assert.deepEqual(verifyAuditLog(''), { ok: true, records: 0, head: null, error: null });
  assert.equal(codeOf(() => verifyAuditLog(text, 'nothex')), 'team_bad_hex');
  assert.equal(codeOf(() => verifyAuditLog(text, head.slice(2))), 'team_bad_hex');
  assert.equal(codeOf(() => verifyAuditLog(text, undefined, 'ab')), 'team_bad_hex');
});
