// The e2e helper that runs a real team server (support/server.mjs): it starts the built binary
// with a console directory, the console and the API answer on one origin, the setup token is
// readable and never logged, and stop() ends the process and removes the data dir.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { serverBinary, startServer } from './support/server.mjs';

const skip = serverBinary() ? false : 'no tessera-server binary: run `cargo build -p tessera-server`';
if (skip && process.env.TESSERA_E2E_REQUIRED) throw new Error(`server tests cannot run: ${skip}`);

describe('support/server.mjs', { skip }, () => {
  const www = mkdtempSync(join(tmpdir(), 'tessera-e2e-www-'));
  after(() => rmSync(www, { recursive: true, force: true }));

  test('starts, serves console and API on one origin, stops', async () => {
    writeFileSync(join(www, 'index.html'), '<!doctype html><title>t</title>');
    const srv = await startServer({ wwwDir: www });
    try {
      assert.match(srv.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await (await fetch(`${srv.origin}/api/v1/health`)).json();
      assert.deepEqual(health, { status: 'ok', setup_complete: false });
      const page = await fetch(`${srv.origin}/invite`);
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.match(page.headers.get('content-security-policy'), /'wasm-unsafe-eval'/);
      assert.equal(await page.text(), '<!doctype html><title>t</title>');
      const token = srv.setupToken();
      assert.match(token, /^tsu_[A-Za-z0-9_-]{43}$/);
      assert.match(srv.log(), /listening/);
      assert.ok(!srv.log().includes(token), 'the setup token is never logged');
    } finally {
      await srv.stop();
    }
    assert.ok(!existsSync(srv.dataDir));
    await assert.rejects(fetch(`${srv.origin}/api/v1/health`));
  });

  test('a missing console directory is reported before spawning', async () => {
    await assert.rejects(startServer({ wwwDir: join(www, 'nope') }), /cargo xtask dist/);
  });
});
