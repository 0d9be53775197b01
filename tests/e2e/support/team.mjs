// The team scenario (issue 5's acceptance test), written once for Chromium (Playwright) and Firefox
// (Puppeteer): the owner works in the web console served by a real tessera-server, the engineer in
// the built extension (options page, AWS sign-in fixture). Each browser's test passes the driver of
// support/flows.mjs; the few calls whose signatures differ go through it or through plain
// `page.evaluate`, `page.click` and `page.type`, which both libraries share.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { TeamClient, unb64 } from '../../../extension/shared/team-client.js';
import { rootSigninUrl } from '../../fixtures/aws/routes.mjs';
import { codesBetween } from './entries.mjs';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const VAULT_NAME = 'Client A';
export const OWNER_PASSPHRASE = 'owner of the team 9 granite lighthouses';
export const ENGINEER_PASSPHRASE = 'engineer personal vault 4 amber comets';

const ROOT_LABEL = 'root-account-mfa-device@555566667777';
const ROOT_SECRET = 'MZXW6YTBOI4TCMZWGU3DONZYHEYDCMRT';
/** The AWS root entry of "Client A": its own seed (no other test entry has it), account and e-mail. */
export const TEAM_ROOT = Object.freeze({
  account: '555566667777',
  email: 'aws-root@client-a.example',
  label: ROOT_LABEL,
  secret: ROOT_SECRET,
  uri: `otpauth://totp/Amazon%20Web%20Services:${encodeURIComponent(ROOT_LABEL)}?secret=${ROOT_SECRET}&issuer=Amazon%20Web%20Services`,
});

/**
 * Only the AWS sign-in hosts go to the fixture server; everything else (the team server the
 * extension reaches) goes to the network for real.
 */
export const AWS_HOSTS = /^https?:\/\/([a-z0-9-]+\.)*(signin\.aws\.amazon\.com|signin\.aws|aws\.amazon\.com|amazon\.com)\//;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- small page helpers (the same in both libraries) ---------------------------------------------

export const text = (page, selector) =>
  page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);

/** Replaces an input's value by typing (Puppeteer has no `fill`). */
export async function fill(page, selector, value) {
  await page.evaluate((s) => {
    document.querySelector(s).value = '';
  }, selector);
  await page.type(selector, value);
}

/** The console's error box text ('' when hidden). */
export const consoleError = (page) =>
  page.evaluate(() => {
    const box = document.getElementById('error');
    return box && !box.hidden ? box.textContent : '';
  });

/**
 * Brings the tab to the front before working in it: Firefox throttles background tabs, and a
 * Puppeteer click there can wait for tens of seconds.
 */
const front = (page) => page.bringToFront();

async function navigate(d, page, nav, ready) {
  await page.click(nav);
  await d.visible(page, ready);
}

// ---- the owner, in the web console --------------------------------------------------------------

/** First run: the organisation, the recovery kit shown and confirmed. Returns the kit text. */
export async function setUpOrganisation(d, page, server) {
  await front(page);
  await page.goto(`${server.origin}/`);
  await d.visible(page, '#setup-form');
  await fill(page, '#setup-token', server.setupToken());
  await fill(page, '#setup-label', 'Olivia (owner)');
  await fill(page, '#setup-passphrase', OWNER_PASSPHRASE);
  await fill(page, '#setup-confirm', OWNER_PASSPHRASE);
  await page.click('#setup-submit');
  await d.visible(page, '#kit-text', 60_000);
  const kit = (await text(page, '#kit-text')).trim();
  assert.match(kit, /^TESSERA-RECOVERY-V1-/);
  await page.click('#kit-saved');
  await fill(page, '#kit-check', kit.replace(/[^A-Za-z0-9]/g, '').slice(-4));
  await page.click('#setup-finish');
  await d.visible(page, '#vault-list', 60_000);
  assert.equal(await consoleError(page), '');
  return kit;
}

/** Creates "Client A" with the AWS root entry (principal root, account, e-mail). Returns its id. */
export async function createVaultWithRoot(d, page) {
  await front(page);
  await fill(page, '#vault-new-name', VAULT_NAME);
  await page.click('#vault-create');
  await d.visible(page, '#vault-page');
  assert.equal(await text(page, '#vault-title'), VAULT_NAME);
  const vaultId = await page.evaluate(() => document.getElementById('vault-page').dataset.vault);
  assert.match(vaultId, /^[0-9a-f]{32}$/);
  await fill(page, '#entry-uri', TEAM_ROOT.uri);
  await page.click('#entry-add');
  await d.waitFor(page, () => document.querySelectorAll('#entry-list tbody tr').length === 1);
  await page.click('#entry-list [id^="entry-edit-"]');
  await d.visible(page, '#entry-form');
  await d.select(page, '#entry-principal', 'root');
  await fill(page, '#entry-account-id', TEAM_ROOT.account);
  await fill(page, '#entry-root-email', TEAM_ROOT.email);
  await page.click('#entry-save');
  await d.waitFor(
    page,
    ([account, email]) => {
      const list = document.getElementById('entry-list')?.textContent ?? '';
      return !document.getElementById('entry-form') && list.includes(account) && list.includes(email);
    },
    [TEAM_ROOT.account, TEAM_ROOT.email],
  );
  assert.equal(await consoleError(page), '');
  return vaultId;
}

/** An invite link for a member labelled `label`. */
export async function createInvite(d, page, label) {
  await front(page);
  await navigate(d, page, '#nav-members', '#invite-create');
  await fill(page, '#invite-label', label);
  await page.click('#invite-create');
  await d.visible(page, '#invite-link');
  return page.evaluate(() => document.getElementById('invite-link').value);
}

/** Confirms `memberId` by typing the fingerprint the engineer read out. */
export async function confirmMember(d, page, memberId, fingerprint) {
  await front(page);
  // A fresh members page: the member accepted after the last render.
  await navigate(d, page, '#nav-vaults', '#vault-list');
  await navigate(d, page, '#nav-members', `#member-confirm-${memberId}`);
  assert.equal(
    await page.evaluate((id) => document.getElementById(`member-${id}`).dataset.status, memberId),
    'pending',
  );
  await fill(page, `#member-fingerprint-${memberId}`, fingerprint);
  await page.click(`#member-confirm-${memberId}`);
  await d.visible(page, `#member-${memberId}[data-status="active"]`);
  assert.equal(await consoleError(page), '');
}

/** Opens the vault page of `vaultId` (from the vault list). */
export async function openVault(d, page, vaultId) {
  await front(page);
  await navigate(d, page, '#nav-vaults', `#vault-open-${vaultId}`);
  await page.click(`#vault-open-${vaultId}`);
  await d.visible(page, '#vault-page');
}

/** Grants `use` on `vaultId` to `memberId`. */
export async function grantUse(d, page, vaultId, memberId) {
  await openVault(d, page, vaultId);
  await d.visible(page, '#grant-member');
  await d.select(page, '#grant-member', memberId);
  await d.select(page, '#grant-new-role', 'use');
  await page.click('#grant-add');
  await d.visible(page, `#grant-${memberId}`);
  assert.equal(
    await page.evaluate((id) => document.getElementById(`grant-role-${id}`).value, memberId),
    'use',
  );
  assert.equal(await consoleError(page), '');
}

/** Revokes `memberId`; returns the checklist's re-enrolment items (text) once it is shown. */
export async function revokeMember(d, page, memberId) {
  await front(page);
  await navigate(d, page, '#nav-members', `#member-revoke-${memberId}`);
  await page.click(`#member-revoke-${memberId}`);
  await d.visible(page, `#member-revoke-confirm-${memberId}`);
  await page.click(`#member-revoke-confirm-${memberId}`);
  await d.visible(page, '#checklist', 60_000);
  assert.equal(await consoleError(page), '');
  return page.evaluate(() =>
    [...document.querySelectorAll('#checklist li')].map((li) => ({
      kind: li.dataset.kind,
      done: li.dataset.done,
      text: li.textContent,
    })),
  );
}

/** The epoch the vault list and the vault page show for `vaultId`. */
export async function consoleEpoch(d, page, vaultId) {
  await openVault(d, page, vaultId);
  const meta = await text(page, '#vault-meta');
  const epoch = /epoch (\d+)/.exec(meta)?.[1];
  await navigate(d, page, '#nav-vaults', `#vault-row-${vaultId}`);
  const listed = await text(page, `#vault-row-${vaultId} td:nth-child(2)`);
  return { page: Number(epoch), list: Number(listed) };
}

/** The audit page: the code.fill rows as shown, then the in-browser chain verdict. */
export async function consoleAudit(d, page) {
  await front(page);
  await navigate(d, page, '#nav-audit', '#audit-table');
  await d.waitFor(page, () => document.querySelectorAll('#audit-table tbody tr').length > 0);
  const fills = await page.evaluate(() =>
    [...document.querySelectorAll('#audit-table tbody tr')]
      .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))
      .filter((cells) => cells[2] === 'code.fill'),
  );
  await page.click('#audit-verify');
  await d.waitFor(page, () => document.getElementById('audit-verdict')?.dataset.ok, undefined, 60_000);
  const verdict = await page.evaluate(() => ({
    ok: document.getElementById('audit-verdict').dataset.ok,
    text: document.getElementById('audit-verdict').textContent,
  }));
  return { fills, verdict };
}

/**
 * The owner's own API session, from Node: the sealed keyring the console stored in this browser,
 * unlocked with the owner's passphrase (the wasm package), then a real challenge sign-in.
 */
export async function ownerApi(page, origin) {
  const record = JSON.parse(await page.evaluate(() => localStorage.getItem('tessera.console.keyring.v1')));
  const { default: tessera } = await import('../../wasm/pkg.mjs');
  const keyring = tessera.Keyring.unlock(unb64(record.sealed), OWNER_PASSPHRASE);
  const client = new TeamClient(origin);
  try {
    await client.signIn(keyring, record.member_id);
  } finally {
    keyring.free();
  }
  return { client, memberId: record.member_id };
}

/** Waits (polling the API, gently: the server rate-limits) for the engineer's signed fill. */
export async function signedFill(owner, vaultId, memberId, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { events } = await owner.audit({ action: 'code.fill', vault: vaultId });
    const mine = events.filter((e) => e.actor === memberId);
    if (mine.length > 0) return mine;
    if (Date.now() > end) assert.fail(`no code.fill by ${memberId} after ${timeoutMs} ms: ${JSON.stringify(events)}`);
    await sleep(1000);
  }
}

// ---- the engineer, in the extension -------------------------------------------------------------

/** The personal vault, created in the options page (team mode needs an unlocked vault). */
export async function createPersonalVault(d, options) {
  await front(options);
  await d.visible(options, '#create-passphrase', 30_000);
  await options.type('#create-passphrase', ENGINEER_PASSPHRASE);
  await options.type('#create-confirm', ENGINEER_PASSPHRASE);
  await options.click('#create-submit');
  await d.visible(options, '#team-invite', 60_000);
}

export async function waitForTeamState(d, options, state, timeout = 20_000) {
  await d.waitFor(options, (s) => document.getElementById('team-status').dataset.state === s, state, timeout);
}

/**
 * Pastes the invite link and presses Connect (the host permission must already be granted, or
 * the browser set not to prompt: see each test). Returns the fingerprint the page shows.
 */
export async function connect(d, options, link) {
  await front(options);
  // The page renders the team section once the background answers: no team yet.
  await waitForTeamState(d, options, 'none');
  await fill(options, '#team-invite', link);
  await options.click('#team-connect');
  await waitForTeamState(d, options, 'pending');
  await d.visible(options, '#team-fingerprint');
  const fingerprint = (await text(options, '#team-fingerprint')).trim();
  assert.ok(fingerprint.length >= 16, `a fingerprint is shown: ${fingerprint}`);
  return fingerprint;
}

/** storage.local as an extension page reads it. */
export const extensionStorage = (page) =>
  page.evaluate(() => (globalThis.browser ?? globalThis.chrome).storage.local.get(null));

/** The team record (`teams[origin]`) and the cached snapshot keys of `origin`. */
export async function teamCache(page, origin) {
  const all = await extensionStorage(page);
  return {
    team: all.teams?.[origin] ?? null,
    snapshots: Object.keys(all).filter((k) => k.startsWith(`teamSnapshot:${origin} `)),
  };
}

/**
 * What the background reports of team `origin` (`tessera:team-status`): its line (queued events,
 * last error) and the events the server refused.
 */
export async function teamStatus(page, origin) {
  const status = await page.evaluate(() =>
    (globalThis.browser ?? globalThis.chrome).runtime.sendMessage({ type: 'tessera:team-status' }),
  );
  return { team: status.teams.find((t) => t.origin === origin) ?? null, failedEvents: status.failedEvents };
}

/**
 * In an open popup: waits for the row of `vaultName` to show a code, clicks it (copy) and waits
 * for "Copied". Returns {id, shown, copied}: the entry id, the code the row showed, the clipboard.
 */
export async function popupCopy(d, popup, vaultName) {
  await front(popup);
  // The row of the vault with a six-digit code (the popup fetches codes after listing).
  const found = (name) =>
    [...document.querySelectorAll('.row[data-id][data-vault]')]
      .filter((r) => r.querySelector('.entry-vault')?.textContent === name)
      .map((r) => ({ id: r.dataset.id, shown: (r.querySelector('.code')?.textContent ?? '').slice(0, 6) }))
      .find((r) => /^\d{6}$/.test(r.shown)) ?? null;
  await d.waitFor(popup, found, vaultName, 20_000);
  const { id, shown } = await popup.evaluate(found, vaultName);
  await popup.click(`.row[data-id="${id}"]`);
  await d.waitFor(popup, () => /^Copied/.test(document.getElementById('list-status').textContent));
  const copied = await popup.evaluate(() => navigator.clipboard.readText());
  return { id, shown, copied };
}

/** Presses "Sync now" until `predicate(page)` holds (the page's own sync is asynchronous). */
export async function syncUntil(d, options, predicate, arg, timeoutMs = 20_000) {
  await front(options);
  const end = Date.now() + timeoutMs;
  for (;;) {
    const visible = await options.evaluate(() => !document.getElementById('team-sync').classList.contains('hidden'));
    if (visible) await options.click('#team-sync');
    try {
      await d.waitFor(options, predicate, arg, 3000);
      return;
    } catch (error) {
      if (Date.now() > end) throw error;
    }
  }
}

/**
 * The AWS root sign-in (legacy UI) with the team entry's e-mail; waits for the filled code and
 * checks it against the seed with the `otpauth` package. Returns the code.
 */
export async function rootSignInFill(d, page) {
  await front(page);
  const from = Date.now();
  await page.goto(rootSigninUrl());
  await d.visible(page, '#resolving_input');
  await page.type('#resolving_input', TEAM_ROOT.email);
  await page.click('#next_button');
  await d.visible(page, '#password');
  await page.type('#password', 'hunter2');
  await page.click('#signin_button');
  await d.waitFor(page, () => window.__fixture.mfa !== '', undefined, 20_000);
  const code = await page.evaluate(() => window.__fixture.mfa);
  assert.match(code, /^\d{6}$/);
  assert.ok(
    codesBetween(TEAM_ROOT, from - 1000, Date.now()).has(code),
    `the filled code ${code} is the root entry's code (otpauth)`,
  );
  return code;
}

// ---- break-glass recovery with the CLI ----------------------------------------------------------

/** target/debug/tessera (scripts/test.sh builds the workspace before the browser tests). */
export function cliBinary() {
  const bin = process.env.TESSERA_CLI_BIN ?? join(ROOT, 'target', 'debug', 'tessera');
  if (!existsSync(bin)) throw new Error(`no ${bin}: run \`cargo build -p tessera-cli\``);
  return bin;
}

/**
 * `tessera recover --kit KIT EXPORT` on temp files: {status, stdout, stderr}. The kit file is
 * written 0600 and removed with the directory.
 */
export async function recoverWithCli(kitText, exportText) {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-e2e-recover-'));
  try {
    const kit = join(dir, 'kit.txt');
    const exported = join(dir, 'export.json');
    await writeFile(kit, `${kitText}\n`, { mode: 0o600 });
    await writeFile(exported, exportText);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TESSERA_')));
    const run = spawnSync(cliBinary(), ['recover', '--kit', kit, exported], {
      encoding: 'utf8',
      env: { ...env, TESSERA_HOME: join(dir, 'home') },
      timeout: 120_000,
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
