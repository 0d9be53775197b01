// The options page's "Import the CLI's vault", end to end: the real `tessera` CLI makes a vault
// home (TESSERA_KDF=floor), the built extension (dist/chrome) in Debian's Chromium imports its
// keyring.tessera and vault.tessera through the page's real file inputs, and the imported entries'
// codes are checked against the `otpauth` package. A wrong CLI passphrase must import nothing.
// Skipped without Chromium or dist.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { CHROMIUM, distDir, launchChromiumWithExtension, skipReason } from './support/browsers.mjs';
import { PASSPHRASE, codeAt, codesBetween } from './support/entries.mjs';
import { playwrightDriver as d } from './support/flows.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXTENSION = distDir('chrome');
const CLI = join(ROOT, 'target/debug/tessera');
const skip = skipReason('Chromium', CHROMIUM, 'chrome');

const CLI_PASSPHRASE = 'copper kettle northern meadow ninety';

/** The CLI's two entries; seeds distinct from support/entries.mjs. */
const CLI_ENTRIES = Object.freeze({
  root: {
    name: 'root-account-mfa-device',
    account: '111122223333',
    secret: 'MZXW6YTBOJRGC4TCMFZGKYTBOJRGC4TB',
    uri: 'otpauth://totp/Amazon%20Web%20Services:root-account-mfa-device?secret=MZXW6YTBOJRGC4TCMFZGKYTBOJRGC4TB&issuer=Amazon%20Web%20Services',
  },
  gitlab: {
    name: 'dev@example.com',
    issuer: 'GitLab',
    secret: 'GAYTEMZUGU3DOOBZGAYTEMZUGU3DOOBZ',
    uri: 'otpauth://totp/GitLab:dev%40example.com?secret=GAYTEMZUGU3DOOBZGAYTEMZUGU3DOOBZ&issuer=GitLab',
  },
});

/** Runs the CLI on `home`; returns stdout. Throws with the CLI's stderr on failure. */
function cli(home, args, passphrase = CLI_PASSPHRASE) {
  try {
    return execFileSync(CLI, args, {
      env: { ...process.env, TESSERA_HOME: home, TESSERA_PASSPHRASE: passphrase, TESSERA_KDF: 'floor' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    throw new Error(`tessera ${args.join(' ')} failed: ${error.stderr || error.message}`);
  }
}

/** Builds target/debug/tessera if it is missing. */
function ensureCli() {
  if (existsSync(CLI)) return;
  try {
    execFileSync('cargo', ['build', '-p', 'tessera-cli'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (error) {
    throw new Error(`could not build the CLI (cargo build -p tessera-cli): ${error.message}`);
  }
  if (!existsSync(CLI)) throw new Error(`cargo build -p tessera-cli succeeded but ${CLI} is missing`);
}

describe('Tessera in Chromium: importing the CLI vault home', { skip }, () => {
  let home;
  let profileDir;
  let context;
  let extensionId;

  before(async () => {
    ensureCli();
    home = mkdtempSync(join(tmpdir(), 'tessera-cli-home-'));
    cli(home, ['init']);
    cli(home, ['add', CLI_ENTRIES.root.uri, '--aws-account', CLI_ENTRIES.root.account]);
    cli(home, ['add', CLI_ENTRIES.gitlab.uri]);
    const listed = cli(home, ['list']);
    assert.match(listed, /111122223333/, `the CLI lists the account: ${listed}`);

    profileDir = mkdtempSync(join(tmpdir(), 'tessera-profile-'));
    ({ context, extensionId } = await launchChromiumWithExtension(profileDir, EXTENSION));
    await context.route(/^https?:\/\//, (route) => route.abort());
  });

  after(async () => {
    await context?.close();
    for (const dir of [profileDir, home]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const extensionPage = async (path) => {
    const page = await context.newPage();
    await page.goto(`chrome-extension://${extensionId}/${path}`);
    return page;
  };

  /** Chooses the CLI's two files and passphrase in the options page and presses Import. */
  async function importCli(options, passphrase) {
    await options.setInputFiles('#cli-keyring', join(home, 'keyring.tessera'));
    await options.setInputFiles('#cli-vault', join(home, 'vault.tessera'));
    await options.fill('#cli-passphrase', passphrase);
    await options.evaluate(() => {
      document.querySelector('#cli-status').textContent = '';
    });
    await options.click('#cli-submit');
    await d.waitFor(
      options,
      () => /^(Imported|Wrong|Failed|Choose)/.test(document.querySelector('#cli-status').textContent),
      undefined,
      30_000,
    );
    return options.textContent('#cli-status');
  }

  const entryCount = (options) => options.$$eval('#entries .entry', (items) => items.length);

  test('the CLI vault home is imported through the options page', async () => {
    // The extension's own vault, created in the popup as the other suites do.
    const popup = await extensionPage('popup/popup.html');
    await d.visible(popup, '#create-passphrase');
    await popup.fill('#create-passphrase', PASSPHRASE);
    await popup.fill('#create-confirm', PASSPHRASE);
    await popup.click('#create-submit');
    await d.visible(popup, '#search', 60_000);
    await popup.close();

    const options = await extensionPage('options/options.html');
    await d.waitFor(options, () => /Unlocked: 0 entries/.test(document.querySelector('#vault-summary').textContent));

    // A wrong CLI passphrase: a clear error, nothing added.
    const wrong = await importCli(options, 'not the cli passphrase');
    assert.equal(wrong, 'Wrong passphrase (or the stored keyring was damaged).');
    assert.equal(await entryCount(options), 0, 'nothing imported with the wrong passphrase');
    const status = await options.evaluate(() => chrome.runtime.sendMessage({ type: 'tessera:entries-list' }));
    assert.equal(status.entries.length, 0, 'the vault holds nothing');

    // The right one: both entries, with their names and the AWS account.
    assert.equal(await importCli(options, CLI_PASSPHRASE), 'Imported 2 entries.');
    assert.equal(await options.inputValue('#cli-passphrase'), '', 'the passphrase field is cleared');
    await d.waitFor(options, () => document.querySelectorAll('#entries .entry').length === 2);
    const shown = await options.$$eval('#entries .entry', (items) =>
      items.map((i) => ({
        name: i.querySelector('.entry-name').textContent,
        meta: i.querySelector('.entry-meta').textContent,
        id: i.dataset.id,
      })),
    );
    const root = shown.find((e) => e.name === CLI_ENTRIES.root.name);
    const gitlab = shown.find((e) => e.name === CLI_ENTRIES.gitlab.name);
    assert.ok(root, `the root entry is listed: ${JSON.stringify(shown)}`);
    assert.ok(gitlab, `the GitLab entry is listed: ${JSON.stringify(shown)}`);
    assert.match(root.meta, /111122223333/, 'the root entry keeps its AWS account id');
    assert.match(gitlab.meta, /GitLab/, 'the GitLab entry keeps its issuer');
    const { entries } = await options.evaluate(() => chrome.runtime.sendMessage({ type: 'tessera:entries-list' }));
    const rootInfo = entries.find((e) => e.id === root.id);
    assert.equal(rootInfo.awsAccountId, CLI_ENTRIES.root.account);

    // Their codes are the seeds' codes (computed by `otpauth`, not Tessera).
    const codes = await options.evaluate(
      (ids) => chrome.runtime.sendMessage({ type: 'tessera:entries-codes', groups: [{ vault: 'personal', ids }] }),
      [root.id, gitlab.id],
    );
    assert.equal(codes.codes[0][0], codeAt(CLI_ENTRIES.root, codes.time), 'the root code');
    assert.equal(codes.codes[0][1], codeAt(CLI_ENTRIES.gitlab, codes.time), 'the GitLab code');
    await options.close();

    // The popup shows the root entry's live code.
    const popup2 = await extensionPage('popup/popup.html');
    await d.visible(popup2, '#search');
    await popup2.fill('#search', '111122223333');
    await d.waitFor(popup2, () => document.querySelectorAll('.row').length === 1);
    await d.waitFor(popup2, () => /^\d{6}/.test(document.querySelector('.row .code')?.textContent ?? ''));
    const shownAt = Date.now();
    const popupCode = (await popup2.textContent('.row .code')).slice(0, 6);
    assert.ok(codesBetween(CLI_ENTRIES.root, shownAt - 2000, Date.now()).has(popupCode), 'the popup shows the root code');
    await popup2.close();
  });
});
