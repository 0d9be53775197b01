// RFC 4226 (HOTP) and RFC 6238 (TOTP) vectors through the built wasm package.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import tessera from './pkg.mjs';
import { base32, hex, readVectors } from './vectors.mjs';

function uri(kind, secretHex, algorithm, digits, extra) {
  return `otpauth://${kind}/test?secret=${base32(hex(secretHex))}&algorithm=${algorithm}&digits=${digits}&${extra}`;
}

test('RFC 4226 appendix D (HOTP)', () => {
  const records = readVectors('rfc4226-appendix-d.txt');
  assert.ok(records.length >= 10);
  for (const r of records) {
    const u = uri('hotp', r.get('secret_hex'), r.get('algorithm'), r.get('digits'), `counter=${r.get('counter')}`);
    assert.equal(tessera.codeFromUri(u, 0), r.get('code'), r.where());
    r.done();
  }
});

test('RFC 6238 appendix B (TOTP, all algorithms and timestamps)', () => {
  const records = readVectors('rfc6238-appendix-b.txt');
  const algorithms = new Set(records.map((r) => r.fields.get('algorithm')[0]));
  assert.deepEqual([...algorithms].sort(), ['SHA1', 'SHA256', 'SHA512']);
  for (const r of records) {
    const u = uri('totp', r.get('secret_hex'), r.get('algorithm'), r.get('digits'), `period=${r.get('period')}`);
    assert.equal(tessera.codeFromUri(u, Number(r.get('time'))), r.get('code'), r.where());
    r.done();
  }
});

test('the same vectors through a vault batch call', () => {
  const records = readVectors('rfc6238-appendix-b.txt');
  const vault = tessera.Vault.create('rfc6238');
  const ids = records.map((r) =>
    vault.add(uri('totp', r.get('secret_hex'), r.get('algorithm'), r.get('digits'), `period=${r.get('period')}`)),
  );
  // One batch per timestamp, each asking for every entry of that timestamp.
  const byTime = new Map();
  records.forEach((r, i) => {
    const t = r.get('time');
    if (!byTime.has(t)) byTime.set(t, []);
    byTime.get(t).push([r, ids[i]]);
  });
  for (const [time, pairs] of byTime) {
    const codes = vault.codes(Number(time), pairs.map(([, id]) => id));
    assert.deepEqual(codes, pairs.map(([r]) => r.get('code')), `time ${time}`);
    for (const [r] of pairs) r.done();
  }
  vault.free();
});

test('fractional and current times', () => {
  const u = 'otpauth://totp/alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  assert.equal(tessera.codeFromUri(u, 59.999), tessera.codeFromUri(u, 59));
  const now = tessera.nowSeconds();
  assert.ok(Number.isInteger(now) && Math.abs(now - Date.now() / 1000) < 5);
  assert.match(tessera.codeFromUri(u, now), /^\d{6}$/);
});

test('bad times are a typed error', () => {
  const u = 'otpauth://totp/alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  for (const t of [-1, NaN, Infinity, 2 ** 60]) {
    assert.throws(() => tessera.codeFromUri(u, t), { name: 'Error', code: 'bad_argument' }, String(t));
  }
});
