// The web console (dist/www) served by a real tessera-server, in Debian's Chromium under the
// server's strict CSP: create the organisation (kit shown, Argon2id in the worker, real sign-in),
// create a vault, a malformed URI, a stale edit from a second tab, the audit chain verdict. Any
// console error or CSP violation fails the test.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';

import { b64, parseInviteLink, TeamClient } from '../../extension/shared/team-client.js';
import { CHROMIUM, consoleSkipReason, launchChromium, watchPage } from './support/browsers.mjs';
import { blankPng, qrPng } from './support/images.mjs';
import { startServer } from './support/server.mjs';

const skip = consoleSkipReason('Chromium', CHROMIUM, 'console');

const PASSPHRASE = 'console test passphrase 7 horses';
const URI_A = 'otpauth://totp/Amazon%20Web%20Services:alice@acme?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services';
const URI_B = 'otpauth://totp/Example:bob?secret=KRSXG5CTMVRXEZLU&issuer=Example';
const URI_C = 'otpauth://totp/Example:carol?secret=MFRGGZDFMZTWQ2LK&issuer=Example';

describe('web console in Chromium', { skip }, () => {
  let server;
  let browser;
  let context;
  const problems = [];

  // HTTP failures are judged by URL (the browser also logs each as a console error): the one
  // expected is the stale PATCH's 409.
  const expected = (status, method, url) => status === 409 && method === 'PATCH' && /\/api\/v1\/vaults\//.test(url);
  const watch = (page, name) => watchPage(page, name, problems, expected);
  const errorText = (page) => page.evaluate(() => {
    const box = document.getElementById('error');
    return box && !box.hidden ? box.textContent : '';
  });

  before(async () => {
    server = await startServer();
    browser = await launchChromium();
    context = await browser.newContext();
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  let page;
  let vaultUrl;

  test('the organisation is created only after the kit is confirmed, then the owner is signed in', async () => {
    page = watch(await context.newPage(), 'tab 1');
    const response = await page.goto(`${server.origin}/`);
    assert.match(response.headers()['content-security-policy'] ?? '', /script-src 'self' 'wasm-unsafe-eval'/);
    await page.waitForSelector('#setup-form');
    await page.fill('#setup-token', server.setupToken());
    await page.fill('#setup-label', 'Alice');
    await page.fill('#setup-passphrase', PASSPHRASE);
    await page.fill('#setup-confirm', PASSPHRASE);
    await page.click('#setup-submit');
    await page.waitForSelector('#kit-text');
    const kit = await page.textContent('#kit-text');
    assert.match(kit, /^TESSERA-RECOVERY-V1-/);
    assert.ok(await page.$('#kit-qr path'), 'the kit QR code is drawn');
    await page.click('#setup-finish');
    await page.waitForFunction(() => /kit_not_saved/.test(document.getElementById('error').textContent));
    const health = await (await fetch(`${server.origin}/api/v1/health`)).json();
    assert.equal(health.setup_complete, false, 'nothing was sent before the kit was confirmed');
    await page.check('#kit-saved');
    await page.fill('#kit-check', kit.replace(/[^A-Za-z0-9]/g, '').slice(-4));
    await page.click('#setup-finish');
    await page.waitForSelector('#vault-list', { timeout: 60_000 });
    assert.equal(await page.$('#kit-text'), null, 'the kit is gone');
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('tessera.console.keyring.v1')));
    assert.match(stored.member_id, /^[0-9a-f]{32}$/);
    assert.ok(stored.sealed.length > 100, 'the sealed keyring is stored');
    assert.equal(await errorText(page), '');
  });

  test('a vault is created, and a malformed otpauth URI is refused with a clear error', async () => {
    await page.fill('#vault-new-name', 'Acme Corp');
    await page.click('#vault-create');
    await page.waitForSelector('#vault-page');
    vaultUrl = page.url();
    assert.equal(await page.textContent('#vault-title'), 'Acme Corp');
    await page.fill('#entry-uri', 'otpauth://totp/Acme:bob?secret=not-base-32!');
    await page.click('#entry-add');
    await page.waitForFunction(() => /otpauth_/.test(document.getElementById('error').textContent));
    assert.equal(await page.inputValue('#entry-uri'), 'otpauth://totp/Acme:bob?secret=not-base-32!');
    await page.fill('#entry-uri', URI_A);
    await page.click('#entry-add');
    await page.waitForFunction(() => document.querySelectorAll('#entry-list tbody tr').length === 1);
  });

  test('QR image upload: "No QR code found" for a plain image, a QR code is added; delete', async () => {
    await page.setInputFiles('#entry-qr', { name: 'blank.png', mimeType: 'image/png', buffer: await blankPng() });
    await page.waitForFunction(() => /qr_not_found/.test(document.getElementById('error').textContent));
    assert.equal(await errorText(page), 'No QR code found in that image. (qr_not_found)');
    await page.setInputFiles('#entry-qr', { name: 'qr.png', mimeType: 'image/png', buffer: await qrPng(URI_C) });
    await page.waitForFunction(() => document.querySelectorAll('#entry-list tbody tr').length === 2);
    const row = await page.$('#entry-list tbody tr:has-text("carol")');
    const id = (await row.getAttribute('id')).replace('entry-', '');
    await page.click(`#entry-delete-${id}`);
    await page.click(`#entry-delete-confirm-${id}`);
    await page.waitForFunction(() => document.querySelectorAll('#entry-list tbody tr').length === 1);
  });

  test('a stale edit from a second tab gets the conflict message and keeps its input', async () => {
    const tab2 = watch(await context.newPage(), 'tab 2');
    await tab2.goto(vaultUrl);
    await tab2.fill('#unlock-passphrase', PASSPHRASE);
    await tab2.click('#unlock-submit');
    await tab2.waitForSelector('#vault-page', { timeout: 60_000 });
    // Tab 1 (already at this version) renames; tab 2's add is then stale.
    await page.fill('#vault-name', 'Acme Corporation');
    await page.click('#vault-rename');
    await page.waitForFunction(() => document.getElementById('vault-title').textContent === 'Acme Corporation');
    await tab2.fill('#entry-uri', URI_B);
    await tab2.click('#entry-add');
    await tab2.waitForFunction(() => /version_conflict/.test(document.getElementById('error').textContent));
    assert.match(await errorText(tab2), /Someone else changed this vault; reload to see their change/);
    assert.equal(await tab2.inputValue('#entry-uri'), URI_B);
    await tab2.click('#vault-reload');
    await tab2.waitForFunction(() => document.getElementById('vault-title').textContent === 'Acme Corporation');
    assert.equal(await tab2.inputValue('#entry-uri'), URI_B, 'the draft survives the reload');
    await tab2.click('#entry-add');
    await tab2.waitForFunction(() => document.querySelectorAll('#entry-list tbody tr').length === 2);
    await tab2.close();
  });

  test('a manager reveals a seed (signed event logged), verifies the vault chain, archives the vault', async () => {
    await page.waitForSelector('#entry-list [id^="entry-reveal-"]');
    const revealId = await page.$eval('#entry-list [id^="entry-reveal-"]', (b) => b.id.replace('entry-reveal-', ''));
    await page.click(`#entry-reveal-${revealId}`);
    await page.waitForFunction((id) => document.getElementById(`entry-secret-${id}`).textContent.trim().length > 0, revealId);
    const seeds = ['JBSWY3DPEHPK3PXP', 'KRSXG5CTMVRXEZLU'];
    assert.ok(seeds.includes((await page.textContent(`#entry-secret-${revealId}`)).trim()));
    await page.click('#vault-audit-verify');
    await page.waitForFunction(() => document.getElementById('vault-audit-verdict').dataset.ok);
    assert.match(await page.textContent('#vault-audit-verdict'), /^Chain intact: \d+ records/);
    await page.click('#vault-archive');
    await page.waitForFunction(() => document.getElementById('vault-archive').textContent === 'Unarchive');
    await page.click('#vault-archive');
    await page.waitForFunction(() => document.getElementById('vault-archive').textContent === 'Archive');
    const events = await (async () => {
      await page.click('#nav-audit');
      await page.waitForSelector('#audit-table tbody tr');
      return page.textContent('#audit-table');
    })();
    for (const action of ['code.reveal', 'vault.archive', 'vault.unarchive']) assert.ok(events.includes(action), `${action} is in the audit table`);
  });

  test('the audit chain verifies in the browser', async () => {
    await page.click('#nav-audit');
    await page.waitForSelector('#audit-table');
    await page.click('#audit-verify');
    await page.waitForFunction(() => document.getElementById('audit-verdict').dataset.ok);
    assert.match(await page.textContent('#audit-verdict'), /^Chain intact: \d+ records, head [0-9a-f]{64}$/);
  });

  test('invite, confirm by fingerprint, grant, revoke: vaults rotated and the seed checklist shown', async () => {
    const { default: tessera } = await import('../wasm/pkg.mjs');
    const vaultId = vaultUrl.split('#vault/')[1];
    await page.click('#nav-members');
    await page.fill('#invite-label', 'Bob');
    await page.click('#invite-create');
    await page.waitForSelector('#invite-link');
    const { origin, token } = parseInviteLink(await page.inputValue('#invite-link'));
    assert.equal(origin, server.origin);

    // Bob joins from his own client (the extension's team client, his keys made on his side).
    const bob = tessera.Keyring.generate();
    const joined = await new TeamClient(origin).acceptInvite(token, b64(bob.publicKeys()), 'Bob');
    const bobId = joined.member_id;

    await page.click('#nav-vaults');
    await page.waitForSelector('#vault-list');
    await page.click('#nav-members');
    await page.waitForSelector(`#member-confirm-${bobId}`);
    await page.fill(`#member-fingerprint-${bobId}`, 'AAAA BBBB CCCC DDDD');
    await page.click(`#member-confirm-${bobId}`);
    await page.waitForFunction(() => /fingerprint_mismatch/.test(document.getElementById('error').textContent));
    await page.fill(`#member-fingerprint-${bobId}`, bob.fingerprint.toLowerCase());
    await page.click(`#member-confirm-${bobId}`);
    await page.waitForSelector(`#member-${bobId}[data-status="active"]`);

    // The AWS identity of the first entry, then access for Bob.
    await page.click('#nav-vaults');
    await page.click(`#vault-open-${vaultId}`);
    await page.waitForSelector('#vault-page');
    await page.click('#entry-list [id^="entry-edit-"]');
    await page.fill('#entry-account-id', '123456789012');
    await page.selectOption('#entry-principal', 'iam_user');
    await page.fill('#entry-iam-user', 'deploy-bot');
    await page.click('#entry-save');
    await page.waitForFunction(() => /IAM user deploy-bot/.test(document.getElementById('entry-list').textContent));
    await page.selectOption('#grant-member', bobId);
    await page.selectOption('#grant-new-role', 'use');
    await page.click('#grant-add');
    await page.waitForSelector(`#grant-${bobId}`);

    // Revoke: the vault moves to epoch 2 and the checklist names the account and the IAM user.
    await page.click('#nav-members');
    await page.click(`#member-revoke-${bobId}`);
    await page.click(`#member-revoke-confirm-${bobId}`);
    await page.waitForSelector('#checklist');
    assert.equal(await errorText(page), '');
    const rotate = await page.$('#checklist [data-kind="rotate_vault"]');
    assert.equal(await rotate.getAttribute('data-done'), 'true', 'the rotation closed its item');
    const reenrol = await page.$$('#checklist [data-kind="reenroll_seed"]');
    const texts = await Promise.all(reenrol.map((li) => li.textContent()));
    const item = texts.find((t) => t.includes('deploy-bot'));
    assert.ok(item, `a re-enrolment item for deploy-bot: ${texts.join(' | ')}`);
    assert.match(item, /123456789012/);
    assert.match(item, /aws iam deactivate-mfa-device --user-name deploy-bot/);
    const itemId = (await reenrol[texts.indexOf(item)].getAttribute('id')).replace('checklist-item-', '');
    await page.click(`#checklist-done-${itemId}`);
    await page.waitForSelector(`#checklist-item-${itemId}[data-done="true"]`);
    await page.click('#nav-vaults');
    await page.waitForFunction((id) => document.querySelector(`#vault-row-${id} td:nth-child(2)`)?.textContent === '2', vaultId);
    bob.free();
  });

  test('the owner downloads the break-glass export', async () => {
    await page.click('#nav-breakglass');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-download')]);
    const data = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.equal(data.format, 'tessera-export-v1');
    assert.equal(data.vaults.length, 1);
  });

  test('the invite page loads under the CSP and sends nothing', async () => {
    const invite = watch(await context.newPage(), 'invite');
    const requests = [];
    invite.on('request', (r) => requests.push(r.url()));
    await invite.goto(`${server.origin}/invite#tsi_exampletoken123`);
    await invite.waitForSelector('#invite-page');
    assert.equal(await invite.inputValue('#invite-page-link'), `${server.origin}/invite#tsi_exampletoken123`);
    assert.ok(!requests.some((u) => u.includes('/api/')), 'no API request from the invite page');
    await invite.close();
  });

  test('no console error or CSP violation on any page', () => {
    assert.deepEqual(problems, []);
  });
});
