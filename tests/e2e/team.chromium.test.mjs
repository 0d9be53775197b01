// Issue 5's acceptance scenario in Debian's Chromium, against a real tessera-server (the built
// binary, a temp SQLite data dir, the web console from dist/www): the owner in the web console (a
// browser of their own), the engineer in the built extension (dist/chrome, loaded unpacked). Set-up
// with the recovery kit, vault "Client A" with an AWS root entry, invite, fingerprint confirmation,
// a `use` grant, the extension filling the AWS root sign-in fixture with the right code (checked
// with the `otpauth` package) and the signed fill in the audit log, a copy while the server is down
// (the code from the sealed cache, the signed event queued, sent after the restart), revocation
// (the engineer's cache wiped, the vault at epoch 2, the seed checklist), and `tessera recover`
// with the kit.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { parseInviteLink } from '../../extension/shared/team-client.js';
import { asIntercepted, createFixtureServer } from '../fixtures/aws/routes.mjs';
import { codesBetween } from './support/entries.mjs';
import { CHROMIUM, distDir, launchChromium, launchChromiumWithExtension, skipReason } from './support/browsers.mjs';
import { playwrightDriver as d } from './support/flows.mjs';
import { startServer } from './support/server.mjs';
import {
  AWS_HOSTS,
  TEAM_ROOT,
  VAULT_NAME,
  confirmMember,
  connect,
  consoleAudit,
  consoleEpoch,
  createInvite,
  createPersonalVault,
  createVaultWithRoot,
  grantUse,
  ownerApi,
  recoverWithCli,
  revokeMember,
  rootSignInFill,
  setUpOrganisation,
  popupCopy,
  signedFill,
  syncUntil,
  teamCache,
  teamStatus,
  waitForTeamState,
} from './support/team.mjs';

const EXTENSION = distDir('chrome');
const skip = skipReason('Chromium', CHROMIUM, 'chrome', { server: true });

const ARGS = ['--disable-quic'];

describe('team scenario in Chromium: console owner, extension engineer', { skip }, () => {
  let server;
  let ownerBrowser;
  let console_; // the owner's console tab
  let profileDir;
  let engineer; // the engineer's browser (persistent context with the extension)
  let extensionId;
  let options; // the options page the extension opened on install
  const problems = [];

  // Shared by the steps, in order.
  let kit;
  let vaultId;
  let memberId;
  let owner; // the owner's API session (TeamClient)

  before(async () => {
    server = await startServer();
    ownerBrowser = await launchChromium({ args: ARGS });
    console_ = await (await ownerBrowser.newContext({ acceptDownloads: true })).newPage();
    console_.on('pageerror', (err) => problems.push(`console: ${err.message}`));

    profileDir = mkdtempSync(join(tmpdir(), 'tessera-team-profile-'));
    ({ context: engineer, extensionId, options } = await launchChromiumWithExtension(profileDir, EXTENSION, { args: ARGS }));
    // Only the AWS sign-in hosts are answered by the fixture; the team server is reached for real.
    const aws = createFixtureServer({ ui: 'legacy-root' });
    await engineer.route(AWS_HOSTS, async (route) => {
      const request = route.request();
      await route.fulfill(asIntercepted(aws.handle(request.url(), request.method(), request.postData())));
    });
    options.on('pageerror', (err) => problems.push(`options: ${err.message}`));
  });

  after(async () => {
    await engineer?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    await ownerBrowser?.close();
    await server?.stop();
  });

  test('the owner creates the organisation and saves the recovery kit', async () => {
    kit = await setUpOrganisation(d, console_, server);
    ({ client: owner } = await ownerApi(console_, server.origin));
    const { members } = await owner.members();
    assert.deepEqual(members.map((m) => [m.role, m.status]), [['owner', 'active']]);
  });

  test('the owner creates vault "Client A" and adds the AWS root entry', async () => {
    vaultId = await createVaultWithRoot(d, console_);
    const { vaults } = (await owner.vaults()).body;
    assert.deepEqual(vaults.map((v) => [v.vault_id, v.epoch]), [[vaultId, 1]]);
  });

  test('the engineer’s extension accepts the invite; the owner confirms its fingerprint', async () => {
    const link = await createInvite(d, console_, 'Erin (engineer)');
    assert.equal(parseInviteLink(link).origin, server.origin);

    await createPersonalVault(d, options);
    // Stands in for the user's click on Chromium's permission prompt (which a headless test
    // cannot press): the optional host permission for the team server, granted the way
    // chrome://extensions' "Site access" does. The Connect click then finds it granted.
    const manager = await engineer.newPage();
    await manager.goto(`chrome://extensions/?id=${extensionId}`);
    await manager.evaluate(
      ([id, pattern]) => chrome.developerPrivate.addHostPermission(id, pattern),
      [extensionId, 'http://127.0.0.1/*'],
    );
    await manager.close();

    const fingerprint = await connect(d, options, link);
    ({ team: { memberId } } = await teamCache(options, server.origin));
    assert.match(memberId, /^[0-9a-f]{32}$/);
    const pending = (await owner.members()).members.find((m) => m.member_id === memberId);
    assert.equal(pending.status, 'pending');
    assert.equal(pending.fingerprint_display, fingerprint, 'the extension shows the fingerprint the server holds');

    await confirmMember(d, console_, memberId, fingerprint);
    // The options page keeps syncing while pending: sign-in now works.
    await waitForTeamState(d, options, 'active');
  });

  test('the owner grants `use`; the engineer sees "Client A" read-only', async () => {
    await grantUse(d, console_, vaultId, memberId);
    await syncUntil(d, options, (name) => document.getElementById('team-list').textContent.includes(name), VAULT_NAME);
    const { snapshots } = await teamCache(options, server.origin);
    assert.equal(snapshots.length, 1, 'the vault snapshot is cached');

    const popup = await engineer.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup/popup.html`);
    await d.waitFor(popup, () => document.querySelectorAll('.row[data-vault]').length > 0);
    const rows = await popup.evaluate(() =>
      [...document.querySelectorAll('.row[data-id][data-vault]')].map((r) => ({
        id: r.dataset.id,
        vault: r.querySelector('.entry-vault').textContent,
        text: r.textContent,
      })),
    );
    const row = rows.find((r) => r.vault === VAULT_NAME);
    assert.ok(row, `a popup row of ${VAULT_NAME}: ${JSON.stringify(rows)}`);
    assert.match(row.text, new RegExp(TEAM_ROOT.account));
    // `use` shows codes, never the seed.
    const reveal = await popup.evaluate((id) => chrome.runtime.sendMessage({ type: 'tessera:entry-reveal', id }), row.id);
    assert.deepEqual(reveal, { error: 'forbidden' });
    await popup.close();
  });

  test('the extension fills the AWS root sign-in with the right code; the signed fill is in the audit log', async () => {
    const page = await engineer.newPage();
    await rootSignInFill(d, page);
    await page.close();

    const fills = await signedFill(owner, vaultId, memberId);
    assert.equal(fills.length, 1);
    const [fill] = fills;
    assert.equal(fill.action, 'code.fill');
    assert.equal(fill.actor, memberId);
    assert.ok(fill.client, 'a client-signed record');
    assert.ok(fill.client.event && fill.client.signature, 'event and signature kept');
    assert.match(fill.entry, /^[0-9a-f]{32}$/);

    const { fills: rows, verdict } = await consoleAudit(d, console_);
    assert.equal(rows.length, 1, JSON.stringify(rows));
    const { label } = (await owner.members()).members.find((m) => m.member_id === memberId);
    assert.equal(rows[0][3], label, 'the actor is the engineer');
    assert.equal(rows[0][7], 'signed by client');
    assert.equal(verdict.ok, 'true', verdict.text);
    assert.match(verdict.text, /^Chain intact: \d+ records/);
  });

  test('offline: the popup gives the code from the sealed cache; the copy is queued, then sent once the server is back', async () => {
    // The server goes away (its data dir stays): the same origin comes back later, whatever
    // happens here (the steps after this one need it).
    await server.halt();
    let restarted = false;
    const restart = async () => {
      if (restarted) return;
      restarted = true;
      await server.restart();
    };
    try {
      await offlineCopy(restart);
    } finally {
      await restart();
    }
  });

  /** The body of the offline step; `restart()` brings the server back. */
  async function offlineCopy(restart) {
    const offlineFrom = Date.now();
    await assert.rejects(fetch(`${server.origin}/api/v1/health`), 'the server is down');

    const popup = await engineer.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup/popup.html`);
    const { id, shown, copied } = await popupCopy(d, popup, VAULT_NAME);
    const copiedBy = Date.now();
    await popup.close();
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(copied, shown, 'the clipboard holds the code the row showed');
    assert.ok(codesBetween(TEAM_ROOT, offlineFrom - 1000, copiedBy).has(copied), `${copied} is the root entry’s code (otpauth)`);

    // The signed event waits in the queue; nothing is refused.
    let waiting;
    for (let i = 0; i < 50; i += 1) {
      waiting = await teamStatus(options, server.origin);
      if (waiting.team?.queued > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(waiting.team?.queued, 1, `one queued event: ${JSON.stringify(waiting)}`);
    assert.deepEqual(waiting.failedEvents, []);
    // "Sync now" while offline: the vaults stay, the page says what waits and why.
    await syncUntil(d, options, () => /last sync failed/.test(document.getElementById('team-list').textContent));
    const line = await options.evaluate(() => document.getElementById('team-list').textContent);
    assert.match(line, /1 audit events waiting to be sent/);
    assert.ok(line.includes(VAULT_NAME), line);
    const offline = await teamStatus(options, server.origin);
    assert.equal(offline.team.queued, 1, 'still queued after a failed sync');
    assert.equal(offline.team.error?.status, 0, `a network error: ${JSON.stringify(offline.team.error)}`);
    assert.equal((await teamCache(options, server.origin)).snapshots.length, 1, 'the sealed cache is kept');

    // Back on the same port and data dir; "Sync now" sends the queue.
    const backAt = Date.now();
    await restart();
    await syncUntil(d, options, () => {
      const text = document.getElementById('team-list').textContent;
      return !/waiting to be sent|last sync failed/.test(text);
    }).catch(async (error) => {
      const now = await teamStatus(options, server.origin);
      assert.fail(`the queue was not sent after the restart (${error.message}): ${JSON.stringify(now)}`);
    });
    const online = await teamStatus(options, server.origin);
    assert.equal(online.team.queued, 0, `the queue is empty: ${JSON.stringify(online)}`);
    assert.equal(online.team.error, null);
    assert.deepEqual(online.failedEvents, []);

    const { events } = await owner.audit({ action: 'code.copy', vault: vaultId });
    const copies = events.filter((e) => e.actor === memberId);
    assert.equal(copies.length, 1, JSON.stringify(events));
    const [copy] = copies;
    assert.equal(copy.entry, id);
    assert.ok(copy.client?.event && copy.client.signature, `a client-signed record: ${JSON.stringify(copy)}`);
    const detail = JSON.parse(copy.detail);
    assert.equal(detail.host, '', 'a copy has no page');
    assert.ok(
      detail.client_time_ms >= offlineFrom && detail.client_time_ms <= copiedBy,
      `signed while offline: client time ${detail.client_time_ms} in [${offlineFrom}, ${copiedBy}]`,
    );
    assert.ok(copy.time_ms >= backAt, `recorded after the restart: ${copy.time_ms} >= ${backAt}`);
    const verdict = await owner.auditVerify();
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
  }

  test('revocation: the checklist lists the root entry, the vault is at epoch 2, the engineer’s cache is gone', async () => {
    const items = await revokeMember(d, console_, memberId);
    const rotate = items.find((i) => i.kind === 'rotate_vault');
    assert.equal(rotate?.done, 'true', `the rotation closed its item: ${JSON.stringify(items)}`);
    const reenrol = items.filter((i) => i.kind === 'reenroll_seed');
    assert.equal(reenrol.length, 1, JSON.stringify(items));
    assert.match(reenrol[0].text, new RegExp(TEAM_ROOT.account));
    assert.match(reenrol[0].text, /root user/);
    assert.ok(reenrol[0].text.includes(TEAM_ROOT.email));

    // The engineer's next sync is refused and wipes the cache.
    await syncUntil(d, options, () => document.getElementById('team-status').dataset.state === 'revoked');
    assert.match(await options.evaluate(() => document.getElementById('team-status').textContent), /revoked/);
    const { team, snapshots } = await teamCache(options, server.origin);
    assert.deepEqual(snapshots, [], 'no cached snapshot of the team');
    assert.deepEqual(Object.keys(team?.vaults ?? {}), [], 'no vault of the team is remembered');
    const { entries } = await options.evaluate(() => chrome.runtime.sendMessage({ type: 'tessera:entries-list' }));
    assert.deepEqual(entries.filter((e) => e.team), [], 'no team entry is listed');
    assert.match(server.log(), /path=\/api\/v1\/auth\/challenge status=403/, 'the sign-in was refused');

    const epoch = await consoleEpoch(d, console_, vaultId);
    assert.deepEqual(epoch, { page: 2, list: 2 });
    const { vaults } = (await owner.vaults()).body;
    assert.equal(vaults.find((v) => v.vault_id === vaultId).epoch, 2);
  });

  test('`tessera recover` with the kit opens the exported vault; a wrong kit is refused', async () => {
    await console_.click('#nav-breakglass');
    await d.visible(console_, '#export-download');
    const [download] = await Promise.all([console_.waitForEvent('download'), console_.click('#export-download')]);
    const exported = await readFile(await download.path(), 'utf8');
    const data = JSON.parse(exported);
    assert.equal(data.format, 'tessera-export-v1');
    assert.deepEqual(data.vaults.map((v) => [v.vault_id, v.epoch]), [[vaultId, 2]]);

    const run = await recoverWithCli(kit, exported);
    assert.equal(run.status, 0, run.stderr);
    const line = run.stdout.split('\n').find((l) => l.includes(TEAM_ROOT.label));
    assert.ok(line, `the root entry is listed:\n${run.stdout}`);
    assert.ok(line.includes(VAULT_NAME), line);
    assert.ok(line.includes(TEAM_ROOT.account), line);
    assert.ok(!run.stdout.includes(TEAM_ROOT.secret), 'the table shows no seed');

    const { default: tessera } = await import('../wasm/pkg.mjs');
    const wrong = await recoverWithCli(tessera.createRecoveryKit().kit, exported);
    assert.notEqual(wrong.status, 0, 'another organisation’s kit is refused');
    assert.match(wrong.stderr, /recovery_fingerprint_mismatch/);
    assert.equal(wrong.stdout.includes(TEAM_ROOT.label), false);
  });

  test('no page error in the console or the options page', () => {
    assert.deepEqual(problems, []);
  });
});
