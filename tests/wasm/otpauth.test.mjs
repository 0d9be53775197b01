// otpauth-valid.txt / otpauth-invalid.txt through the built wasm package.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import tessera from './pkg.mjs';
import { base32, hex, readVectors } from './vectors.mjs';

// Vector key -> parseUri() member.
const FIELDS = {
  type: 'type',
  algorithm: 'algorithm',
  account: 'label',
  issuer: 'issuer',
  aws_account_id: 'awsAccountId',
  aws_account_alias: 'awsAccountAlias',
  device_name: 'deviceName',
  aws_principal: 'awsPrincipal',
};
const NUMBERS = { digits: 'digits', period: 'period', counter: 'counter' };

test('valid URIs: metadata, code, canonical form and seed', () => {
  const records = readVectors('otpauth-valid.txt');
  assert.ok(records.length > 10);
  const vault = tessera.Vault.create('otpauth-valid');
  for (const r of records) {
    const uri = r.get('uri');
    const info = tessera.parseUri(uri);
    const expected = {};
    for (const [key, member] of Object.entries(FIELDS)) {
      const v = r.opt(key);
      if (v !== undefined) expected[member] = v;
    }
    for (const [key, member] of Object.entries(NUMBERS)) {
      const v = r.opt(key);
      if (v !== undefined) expected[member] = Number(v);
    }
    assert.deepEqual(info, expected, r.where());
    assert.ok(!('secret' in info), r.where());

    const time = Number(r.get('time'));
    assert.equal(tessera.codeFromUri(uri, time), r.get('code'), r.where());

    const id = vault.add(uri);
    assert.equal(vault.code(id, time), r.get('code'), r.where());
    assert.equal(vault.exportUri(id), r.get('canonical'), r.where());
    assert.equal(vault.revealSecret(id), base32(hex(r.get('secret_hex'))), r.where());
    r.done();
  }
  vault.free();
});

test('invalid URIs: an Error with the expected code', () => {
  const records = readVectors('otpauth-invalid.txt');
  assert.ok(records.length > 10);
  for (const r of records) {
    const uri = r.get('uri');
    const code = r.get('error');
    for (const call of [() => tessera.parseUri(uri), () => tessera.codeFromUri(uri, 0)]) {
      assert.throws(call, (err) => {
        assert.ok(err instanceof Error, r.where());
        assert.equal(err.code, code, r.where());
        assert.equal(typeof err.message, 'string');
        assert.ok(err.message.length > 0);
        return true;
      });
    }
    r.done();
  }
});

test('error messages never echo the secret', () => {
  const secret = 'JBSWY3DPEHPK3PXP';
  const bad = [
    `otpauth://totp/x?secret=${secret}&digits=9`,
    `otpauth://totp/x?secret=${secret}!`,
    `otpauth://steam/x?secret=${secret}`,
  ];
  for (const uri of bad) {
    assert.throws(() => tessera.parseUri(uri), (err) => !err.message.includes(secret) && !err.message.includes('JBSW'));
  }
});
