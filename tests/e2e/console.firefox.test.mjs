// The web console in Firefox (puppeteer-core over WebDriver BiDi), served by a real tessera-server
// under its strict CSP: setup with the kit confirmation (Argon2id in a module worker), a vault
// with an entry, a malformed URI, QR image upload (jsQR: Firefox has no BarcodeDetector), lock
// and unlock, the audit verdict. Page errors and CSP reports fail the test.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { FIREFOX, consoleSkipReason, launchFirefox } from './support/browsers.mjs';
import { blankPng, qrPng } from './support/images.mjs';
import { startServer } from './support/server.mjs';

const skip = consoleSkipReason('Firefox', FIREFOX, 'console');

const PASSPHRASE = 'console test passphrase 7 horses';
const URI_B = 'otpauth://totp/Example:bob?secret=KRSXG5CTMVRXEZLU&issuer=Example';
const URI = 'otpauth://totp/Amazon%20Web%20Services:alice@acme?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services';

describe('web console in Firefox', { skip }, () => {
  let server;
  let browser;
  let page;
  const problems = [];

  before(async () => {
    server = await startServer();
    browser = await launchFirefox();
    page = await browser.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error' || /Content-Security-Policy|Content Security Policy/i.test(msg.text())) problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const errorText = () => page.evaluate(() => {
    const box = document.getElementById('error');
    return box && !box.hidden ? box.textContent : '';
  });
  const fill = async (selector, value) => {
    await page.$eval(selector, (el) => { el.value = ''; });
    await page.type(selector, value);
  };

  test('setup, kit confirmation, sign-in', async () => {
    await page.goto(`${server.origin}/`);
    await page.waitForSelector('#setup-form', { visible: true });
    await fill('#setup-token', server.setupToken());
    await fill('#setup-passphrase', PASSPHRASE);
    await fill('#setup-confirm', PASSPHRASE);
    await page.click('#setup-submit');
    await page.waitForSelector('#kit-text', { visible: true });
    const kit = await page.$eval('#kit-text', (el) => el.textContent);
    assert.ok(await page.$('#kit-qr path'), 'the kit QR code is drawn');
    await page.click('#kit-saved');
    await fill('#kit-check', kit.replace(/[^A-Za-z0-9]/g, '').slice(-4));
    await page.click('#setup-finish');
    await page.waitForSelector('#vault-list', { timeout: 60_000 });
    assert.equal(await errorText(), '');
  });

  test('a vault with an entry; a malformed URI is refused', async () => {
    await fill('#vault-new-name', 'Acme Corp');
    await page.click('#vault-create');
    await page.waitForSelector('#vault-page');
    await fill('#entry-uri', 'otpauth://totp/Acme:bob?secret=not-base-32!');
    await page.click('#entry-add');
    await page.waitForFunction(() => /otpauth_/.test(document.getElementById('error').textContent));
    await fill('#entry-uri', URI);
    await page.click('#entry-add');
    await page.waitForFunction(() => document.querySelectorAll('#entry-list tbody tr').length === 1);
  });

  test('QR image upload: a plain image says "No QR code found", a QR code is added', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-console-qr-'));
    try {
      const blank = join(dir, 'blank.png');
      const qr = join(dir, 'qr.png');
      await writeFile(blank, await blankPng());
      await writeFile(qr, await qrPng(URI_B));
      const input = await page.$('#entry-qr');
      await input.uploadFile(blank);
      await page.waitForFunction(() => /qr_not_found/.test(document.getElementById('error').textContent));
      assert.equal(await errorText(), 'No QR code found in that image. (qr_not_found)');
      await (await page.$('#entry-qr')).uploadFile(qr);
      await page.waitForFunction(() => document.querySelectorAll('#entry-list tbody tr').length === 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('lock and unlock (Argon2id in the worker), then the audit chain verifies', async () => {
    await page.click('#lock');
    await page.waitForSelector('#unlock-passphrase', { visible: true });
    await fill('#unlock-passphrase', PASSPHRASE);
    await page.click('#unlock-submit');
    await page.waitForSelector('#nav-audit', { visible: true, timeout: 60_000 });
    await page.click('#nav-audit');
    await page.waitForSelector('#audit-table');
    await page.click('#audit-verify');
    await page.waitForFunction(() => document.getElementById('audit-verdict').dataset.ok);
    assert.match(await page.$eval('#audit-verdict', (el) => el.textContent), /^Chain intact: \d+ records, head [0-9a-f]{64}$/);
  });

  test('no page error or CSP report', () => {
    assert.deepEqual(problems, []);
  });
});
