// migration.txt (Google Authenticator exports) through the built wasm package: the free
// `parseMigration()` preview and `Vault.importText()`.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import tessera from './pkg.mjs';
import { readVectors } from './vectors.mjs';

const records = readVectors('migration.txt');
const valid = records.filter((r) => r.has('entry'));
const invalid = records.filter((r) => !r.has('entry'));

test('exports: preview without secrets, then import with the expected seeds', () => {
  assert.ok(valid.length > 0);
  for (const r of valid) {
    const uri = r.get('uri');
    const preview = tessera.parseMigration(uri);
    assert.equal(preview.version, Number(r.get('version')), r.where());
    assert.equal(preview.batchSize, Number(r.get('batch_size')), r.where());
    assert.equal(preview.batchIndex, Number(r.get('batch_index')), r.where());
    assert.equal(preview.batchId, Number(r.get('batch_id')), r.where());
    const expected = r.all('entry');
    assert.equal(preview.entries.length, expected.length, r.where());

    const vault = tessera.Vault.create('migration');
    const report = vault.importText(uri);
    const added = new Map(report.added.map((a) => [a.index, a]));
    const failed = new Map(report.failed.map((f) => [f.index, f]));
    expected.forEach((want, i) => {
      const got = preview.entries[i];
      assert.ok(!('secret' in got));
      if (want.startsWith('error ')) {
        const code = want.slice('error '.length);
        assert.equal(got.error, code, `${r.where()} entry ${i}`);
        assert.equal(failed.get(i).error, code);
        assert.equal(failed.get(i).line, 1);
      } else {
        assert.deepEqual(got, tessera.parseUri(want), `${r.where()} entry ${i}`);
        const id = added.get(i).id;
        assert.equal(vault.exportUri(id), want, `${r.where()} entry ${i}`);
      }
    });
    assert.equal(report.added.length + report.failed.length, expected.length);
    vault.free();
    r.done();
  }
});

test('unreadable exports: an Error with the expected code', () => {
  assert.ok(invalid.length > 0);
  for (const r of invalid) {
    const uri = r.get('uri');
    const code = r.get('error');
    assert.throws(() => tessera.parseMigration(uri), { code }, r.where());
    const vault = tessera.Vault.create('migration');
    const report = vault.importText(`# pasted\n${uri}\n`);
    assert.deepEqual(report.added, []);
    assert.equal(report.failed.length, 1);
    // importText() sends an otpauth:// line to the otpauth parser, which has its own codes.
    if (/^otpauth-migration:/i.test(uri)) assert.equal(report.failed[0].error, code, r.where());
    assert.equal(report.failed[0].line, 2);
    vault.free();
    r.done();
  }
});
