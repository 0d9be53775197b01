// The key parts of issue 5's team scenario in Debian's Firefox ESR (puppeteer-core over WebDriver
// BiDi), against a real tessera-server: the owner in the web console (its own user context), the
// engineer in the built extension (dist/firefox, a temporary add-on). Connect by invite, fingerprint
// confirmation, a `use` grant, the extension filling the AWS root sign-in fixture with the right
// code (the `otpauth` package) and the signed fill in the audit log, and revocation wiping the
// engineer's cache. The Chromium test runs the whole scenario (epoch, checklist, recovery).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createFixtureServer } from '../fixtures/aws/routes.mjs';
import { FIREFOX, answerFromFixture, distDir, installFirefoxAddon, launchFirefox, skipReason } from './support/browsers.mjs';
import { puppeteerDriver as d } from './support/flows.mjs';
import { startServer } from './support/server.mjs';
import {
  AWS_HOSTS,
  VAULT_NAME,
  confirmMember,
  connect,
  consoleAudit,
  createInvite,
  createPersonalVault,
  createVaultWithRoot,
  grantUse,
  ownerApi,
  revokeMember,
  rootSignInFill,
  setUpOrganisation,
  signedFill,
  syncUntil,
  teamCache,
  waitForTeamState,
} from './support/team.mjs';

const EXTENSION = distDir('firefox');
const skip = skipReason('Firefox', FIREFOX, 'firefox', { server: true });

describe('team scenario in Firefox: console owner, extension engineer', { skip }, () => {
  let server;
  let browser;
  let console_; // the owner's console tab, in a user context of its own
  let options; // the options page the extension opened on install
  const problems = [];

  let vaultId;
  let memberId;
  let owner;

  before(async () => {
    server = await startServer();
    browser = await launchFirefox({
      addon: true,
      prefs: {
        // Stands in for the user's click on Firefox's permission prompt (which a headless test
        // cannot press): optional permissions requested in the Connect click are granted
        // without the prompt.
        'extensions.webextOptionalPermissionPrompts': false,
      },
    });
    options = await installFirefoxAddon(browser, EXTENSION);
    options.on('pageerror', (err) => problems.push(`options: ${err.message}`));

    const ownerContext = await browser.createBrowserContext();
    console_ = await ownerContext.newPage();
    console_.on('pageerror', (err) => problems.push(`console: ${err.message}`));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the owner sets up the organisation and vault "Client A" with the AWS root entry', async () => {
    await setUpOrganisation(d, console_, server);
    ({ client: owner } = await ownerApi(console_, server.origin));
    vaultId = await createVaultWithRoot(d, console_);
  });

  test('the extension connects by invite; the owner confirms its fingerprint and grants `use`', async () => {
    const link = await createInvite(d, console_, 'Erin (engineer)');
    await createPersonalVault(d, options);
    const fingerprint = await connect(d, options, link);
    ({ team: { memberId } } = await teamCache(options, server.origin));
    const pending = (await owner.members()).members.find((m) => m.member_id === memberId);
    assert.equal(pending?.fingerprint_display, fingerprint);
    await confirmMember(d, console_, memberId, fingerprint);
    await waitForTeamState(d, options, 'active');
    await grantUse(d, console_, vaultId, memberId);
    await syncUntil(d, options, (name) => document.getElementById('team-list').textContent.includes(name), VAULT_NAME);
    assert.equal((await teamCache(options, server.origin)).snapshots.length, 1);
  });

  test('the extension fills the AWS root sign-in with the right code; the signed fill is logged', async () => {
    const aws = createFixtureServer({ ui: 'legacy-root' });
    const page = await browser.newPage();
    // Only the AWS sign-in hosts are answered by the fixture.
    await answerFromFixture(page, AWS_HOSTS, () => aws);
    await rootSignInFill(d, page);
    await page.close();

    const [fill, ...more] = await signedFill(owner, vaultId, memberId);
    assert.equal(more.length, 0);
    assert.equal(fill.actor, memberId);
    assert.ok(fill.client?.signature, 'a client-signed record');
    const { fills, verdict } = await consoleAudit(d, console_);
    assert.equal(fills.length, 1);
    assert.equal(fills[0][7], 'signed by client');
    assert.equal(verdict.ok, 'true', verdict.text);
  });

  test('revocation: the engineer’s next sync is refused and its cache is gone', async () => {
    const items = await revokeMember(d, console_, memberId);
    assert.equal(items.filter((i) => i.kind === 'reenroll_seed').length, 1, JSON.stringify(items));
    await syncUntil(d, options, () => document.getElementById('team-status').dataset.state === 'revoked');
    const { team, snapshots } = await teamCache(options, server.origin);
    assert.deepEqual(snapshots, []);
    assert.deepEqual(Object.keys(team?.vaults ?? {}), []);
    const { entries } = await options.evaluate(() => browser.runtime.sendMessage({ type: 'tessera:entries-list' }));
    assert.deepEqual(entries.filter((e) => e.team), []);
  });

  test('no page error in the console or the options page', () => {
    assert.deepEqual(problems, []);
  });
});
