// Joining the web console from an invite link, in Debian's Chromium against a real tessera-server
// under its strict CSP. The owner sets up the organisation in one browser context; an admin and
// a member each join in their own, separate context ("Join in this browser": keys made and sealed
// there, the accept request, the fingerprint read to the owner, who confirms it), wait (403
// member_pending) and enter the console. The member sees only the vault granted to them,
// read-only, and "admins only" instead of the audit page. A bad link gives a clear error. The
// token never appears in a request URL and is removed from the address bar. Any console error,
// CSP violation or unexpected HTTP failure fails the test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { parseInviteLink } from '../../extension/shared/team-client.js';
import { CHROMIUM, consoleSkipReason, launchChromium, watchPage } from './support/browsers.mjs';
import { startServer } from './support/server.mjs';

const skip = consoleSkipReason('Chromium', CHROMIUM, 'console join');

const OWNER_PASS = 'owner passphrase 7 horses staple';
const ADMIN_PASS = 'admin passphrase 9 lanterns river';
const MEMBER_PASS = 'member passphrase 4 copper kettles';
const URI_A = 'otpauth://totp/Amazon%20Web%20Services:alice@acme?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services';
const STORAGE_KEY = 'tessera.console.keyring.v1';
const SLOW = { timeout: 60_000 };

describe('joining the web console from an invite link (Chromium)', { skip }, () => {
  let server;
  let browser;
  const contexts = [];
  const problems = [];

  // The HTTP failures this flow expects: sign-in while pending, and the bad link's accept.
  const expected = (status, method, url) =>
    (status === 403 && method === 'POST' && url.endsWith('/api/v1/auth/challenge'))
    || (status === 404 && method === 'POST' && url.endsWith('/api/v1/invites/accept'));
  const watch = (page, name) => watchPage(page, name, problems, expected);
  const errorText = (page) => page.evaluate(() => {
    const box = document.getElementById('error');
    return box && !box.hidden ? box.textContent : '';
  });
  const newPage = async (name) => {
    const context = await browser.newContext();
    contexts.push(context);
    return watch(await context.newPage(), name);
  };

  before(async () => {
    server = await startServer();
    browser = await launchChromium();
  });

  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await server?.stop();
  });

  let owner;
  let vaultId;

  /** The owner creates an invite on the Members page and returns the link. */
  const invite = async (label, role) => {
    await owner.click('#nav-members');
    await owner.waitForSelector('#invite-create');
    await owner.fill('#invite-label', label);
    await owner.selectOption('#invite-role', role);
    await owner.click('#invite-create');
    await owner.waitForSelector('#invite-link');
    return owner.inputValue('#invite-link');
  };

  /** The owner confirms a pending member by typing the fingerprint the joiner read out. */
  const confirm = async (memberId, fingerprint) => {
    await owner.click('#nav-vaults');
    await owner.waitForSelector('#vault-list');
    await owner.click('#nav-members');
    await owner.waitForSelector(`#member-confirm-${memberId}`);
    await owner.fill(`#member-fingerprint-${memberId}`, fingerprint);
    await owner.click(`#member-confirm-${memberId}`);
    await owner.waitForSelector(`#member-${memberId}[data-status="active"]`);
  };

  /** Opens `link` in a fresh context and joins there; returns {page, memberId, fingerprint, urls, acceptBodies}. */
  const join = async (name, link, label, passphrase) => {
    const page = await newPage(name);
    const urls = [];
    const acceptBodies = [];
    page.on('request', (r) => {
      urls.push(r.url());
      if (r.url().endsWith('/api/v1/invites/accept')) acceptBodies.push(r.postData());
    });
    await page.goto(link);
    await page.waitForSelector('#join-form');
    assert.equal(new URL(page.url()).hash, '', 'the token is removed from the address bar');
    assert.equal(await page.inputValue('#invite-page-link'), link, 'the page still offers the whole link to copy');
    assert.ok(!urls.some((u) => u.includes('/api/')), 'opening the link sends nothing to the API');
    await page.fill('#join-label', label);
    await page.fill('#join-passphrase', passphrase);
    await page.fill('#join-confirm', passphrase);
    await page.click('#join-submit');
    await page.waitForSelector('#join-fingerprint', SLOW);
    const fingerprint = (await page.textContent('#join-fingerprint')).trim();
    const stored = await page.evaluate((key) => JSON.parse(localStorage.getItem(key)), STORAGE_KEY);
    assert.match(stored.member_id, /^[0-9a-f]{32}$/);
    assert.ok(stored.sealed.length > 100, 'the sealed keyring is stored');
    const { token } = parseInviteLink(link);
    assert.equal(acceptBodies.length, 1);
    const body = JSON.parse(acceptBodies[0]);
    assert.equal(body.token, token);
    assert.equal(body.label, label);
    assert.equal(Buffer.from(body.public_keys, 'base64').length, 64);
    assert.ok(!urls.some((u) => u.includes(token)), 'the token is in no request URL');
    assert.equal(await errorText(page), '');
    // Not confirmed yet: a check is answered member_pending and the page keeps waiting.
    await page.click('#join-check');
    await page.waitForFunction(() => document.getElementById('join-status').dataset.state === 'pending');
    assert.match(await page.textContent('#join-status'), /Not confirmed yet/);
    return { page, memberId: stored.member_id, fingerprint, urls };
  };

  test('the owner sets up the organisation and a vault in the console', async () => {
    owner = await newPage('owner');
    await owner.goto(`${server.origin}/`);
    await owner.waitForSelector('#setup-form');
    await owner.fill('#setup-token', server.setupToken());
    await owner.fill('#setup-label', 'Alice');
    await owner.fill('#setup-passphrase', OWNER_PASS);
    await owner.fill('#setup-confirm', OWNER_PASS);
    await owner.click('#setup-submit');
    await owner.waitForSelector('#kit-text');
    const kit = await owner.textContent('#kit-text');
    await owner.check('#kit-saved');
    await owner.fill('#kit-check', kit.replace(/[^A-Za-z0-9]/g, '').slice(-4));
    await owner.click('#setup-finish');
    await owner.waitForSelector('#vault-list', SLOW);
    await owner.fill('#vault-new-name', 'Acme Corp');
    await owner.click('#vault-create');
    await owner.waitForSelector('#vault-page');
    vaultId = await owner.getAttribute('#vault-page', 'data-vault');
    await owner.fill('#entry-uri', URI_A);
    await owner.click('#entry-add');
    await owner.waitForFunction(() => document.querySelectorAll('#entry-list tbody tr').length === 1);
  });

  test('a second browser without a keyring explains both ways in', async () => {
    const page = await newPage('stranger');
    await page.goto(`${server.origin}/`);
    await page.waitForSelector('#no-keyring');
    assert.match(await page.textContent('#no-keyring-invite'), /Join in this browser/);
    assert.match(await page.textContent('#no-keyring-owner'), /setup/);
  });

  test('an admin joins in a separate browser, is confirmed by fingerprint, and enters the console', async () => {
    const link = await invite('Dana', 'admin');
    const dana = await join('admin', link, 'Dana', ADMIN_PASS);
    await confirm(dana.memberId, dana.fingerprint);
    await dana.page.click('#join-check');
    await dana.page.waitForSelector('#vault-list', SLOW);
    assert.equal(new URL(dana.page.url()).pathname, '/');
    assert.match(await dana.page.textContent('#whoami'), /Dana \(admin\)/);
    assert.equal(await dana.page.isVisible('#nav-audit'), true);
    await dana.page.click('#nav-audit');
    await dana.page.waitForSelector('#audit-table tbody tr');
    assert.match(await dana.page.textContent('#audit-table'), /invite\.accept/);
    // A return visit in that browser: the stored keyring unlocks with Dana's passphrase.
    const again = watch(await dana.page.context().newPage(), 'admin again');
    await again.goto(`${server.origin}/`);
    await again.fill('#unlock-passphrase', ADMIN_PASS);
    await again.click('#unlock-submit');
    await again.waitForSelector('#vault-list', SLOW);
    assert.equal(await errorText(again), '');
    assert.equal(await errorText(dana.page), '');
  });

  test('a member joins, is granted "use" on one vault, and sees it read-only; admin pages say "admins only"', async () => {
    const link = await invite('Erin', 'member');
    const erin = await join('member', link, 'Erin', MEMBER_PASS);
    await confirm(erin.memberId, erin.fingerprint);
    await owner.click('#nav-vaults');
    await owner.click(`#vault-open-${vaultId}`);
    await owner.waitForSelector('#grant-member');
    await owner.selectOption('#grant-member', erin.memberId);
    await owner.selectOption('#grant-new-role', 'use');
    await owner.click('#grant-add');
    await owner.waitForSelector(`#grant-${erin.memberId}`);

    // Waiting on its own (no click): the page's retry signs in once confirmed. It may have
    // entered before the grant: show the vault list again.
    await erin.page.waitForSelector('#vault-list', SLOW);
    await erin.page.click('#nav-members');
    await erin.page.waitForSelector('#member-list');
    await erin.page.click('#nav-vaults');
    await erin.page.waitForSelector(`#vault-row-${vaultId}`);
    assert.match(await erin.page.textContent('#whoami'), /Erin \(member\)/);
    assert.equal(await erin.page.$$eval('#vault-list tbody tr', (rows) => rows.length), 1);
    assert.equal(await erin.page.$('#vault-create'), null);
    assert.equal(await erin.page.isVisible('#nav-audit'), false);
    await erin.page.click(`#vault-open-${vaultId}`);
    await erin.page.waitForSelector('#vault-page');
    assert.equal(await erin.page.textContent('#vault-title'), 'Acme Corp');
    assert.equal(await erin.page.$$eval('#entry-list tbody tr', (rows) => rows.length), 1);
    assert.equal(await erin.page.$('[id^="entry-edit-"]'), null);
    assert.equal(await erin.page.$('[id^="entry-reveal-"]'), null);
    assert.ok(await erin.page.$('#vault-readonly'));
    assert.equal(await erin.page.$('#vault-audit-verify'), null);
    await erin.page.evaluate(() => { location.hash = '#audit'; });
    await erin.page.waitForSelector('#admins-only');
    await erin.page.click('#nav-members');
    await erin.page.waitForSelector('#member-list');
    assert.equal(await erin.page.$('#invite-create'), null);
    assert.equal(await errorText(erin.page), '');
  });

  test('a bad link gives a clear error and stores nothing', async () => {
    const page = await newPage('bad link');
    await page.goto(`${server.origin}/invite#tsi_thisinvitedoesnotexist0000`);
    await page.waitForSelector('#join-form');
    await page.fill('#join-passphrase', MEMBER_PASS);
    await page.fill('#join-confirm', MEMBER_PASS);
    await page.click('#join-submit');
    await page.waitForFunction(() => /invalid_invite/.test(document.getElementById('error').textContent), null, SLOW);
    assert.match(await errorText(page), /not valid on this server/);
    assert.equal(await page.evaluate((key) => localStorage.getItem(key), STORAGE_KEY), null);
    assert.ok(await page.$('#join-form'), 'the form stays for another link');
  });

  test('no console error, CSP violation or unexpected HTTP failure on any page', () => {
    assert.deepEqual(problems, []);
  });
});
