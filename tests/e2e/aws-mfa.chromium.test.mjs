// The built extension (dist/chrome, from `cargo xtask dist`) in Debian's Chromium: its real
// background and wasm vault. A vault is created and filled through the extension's own pages,
// then each AWS sign-in fixture, served at its real URL, must receive the right entry's code
// (computed here with the `otpauth` package, not by Tessera). Skipped without Chromium or dist.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { asIntercepted, createFixtureServer, framingPage, oauthUrl } from '../fixtures/aws/routes.mjs';
import { CHROMIUM, distDir, launchChromiumWithExtension, skipReason } from './support/browsers.mjs';
import { ENTRIES, PASSPHRASE, QR_ENTRY, codeAt, codesBetween } from './support/entries.mjs';
import { blankPng, qrPng } from './support/images.mjs';
import {
  assertNothingHappens,
  chooserFlow,
  chooserShown,
  createAndImportInPopup,
  editInOptions,
  filledCode,
  legacyIam,
  legacyRoot,
  playwrightDriver as d,
  setAutoSubmit,
  unified,
  unifiedRoot,
} from './support/flows.mjs';

const EXTENSION = distDir('chrome');
const skip = skipReason('Chromium', CHROMIUM, 'chrome');

/** Every node under a node, through CDP (which sees into closed shadow roots). */
function* walk(node) {
  yield node;
  for (const child of [...(node.shadowRoots ?? []), ...(node.children ?? [])]) yield* walk(child);
}

/** Shadow roots only. */
function* shadowRoots(node) {
  for (const root of node.shadowRoots ?? []) yield root;
  for (const child of node.children ?? []) yield* shadowRoots(child);
}

/** The texts of the buttons in Tessera's closed-shadow-root chooser (CDP can see inside). */
async function chooserButtons(page) {
  const cdp = await page.context().newCDPSession(page);
  const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
  await cdp.detach();
  return [...shadowRoots(root)]
    .flatMap((shadow) => [...walk(shadow)])
    .filter((n) => n.nodeName === 'BUTTON')
    .map((n) => (n.children ?? []).map((c) => c.nodeValue ?? '').join(''));
}

/** The entry key whose chooser label is `label` (labels start with the entry's name). */
const keyOfLabel = (label) =>
  Object.entries(ENTRIES).find(([, e]) => label.split(' · ')[0] === e.name)?.[0];

/** Sets one numeric setting in the options page and saves. */
async function saveNumberSetting(options, selector, value) {
  await d.visible(options, selector);
  await options.fill(selector, String(value));
  await options.evaluate(() => {
    document.querySelector('#settings-status').textContent = '';
  });
  await options.click('#settings-form button[type="submit"]');
  await d.waitFor(options, () => document.querySelector('#settings-status').textContent === 'Saved.');
}

/** The text on the clipboard, read by an extension page (clipboardRead). */
async function clipboardText(page) {
  await page.bringToFront();
  return page.evaluate(() => navigator.clipboard.readText());
}

/** Waits until `predicate(clipboard text)` holds; returns the text. */
async function waitForClipboard(page, predicate, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = await clipboardText(page);
    if (predicate(text)) return text;
    if (Date.now() > end) assert.fail(`clipboard still ${JSON.stringify(text)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** An extension page's view of the vault, through the real message (as the popup asks). */
const vaultStatus = (page) =>
  page.evaluate(() => chrome.runtime.sendMessage({ type: 'tessera:vault-status' }));

describe('Tessera in Chromium', { skip }, () => {
  let profileDir;
  let context;
  let extensionId;
  let server = createFixtureServer({ ui: 'legacy-iam' });
  const suiteStart = Date.now();

  /** Chromium with the extension, on `profileDir`; answers every web request from `server`. */
  async function launch({ firstRun = true } = {}) {
    ({ context, extensionId } = await launchChromiumWithExtension(profileDir, EXTENSION, {
      firstRun,
      // http://signin... must stay http for the http test.
      args: ['--disable-quic', '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable'],
    }));
    // Every web request is answered here: nothing reaches the network.
    await context.route(/^https?:\/\//, async (route) => {
      const request = route.request();
      await route.fulfill(asIntercepted(server.handle(request.url(), request.method(), request.postData())));
    });
  }

  before(async () => {
    profileDir = mkdtempSync(join(tmpdir(), 'tessera-profile-'));
    // First run: launchChromiumWithExtension waits for the options page the install opens.
    await launch();
  });

  after(async () => {
    await context?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  const extensionPage = async (path) => {
    const page = await context.newPage();
    await page.goto(`chrome-extension://${extensionId}/${path}`);
    return page;
  };

  test('loads unpacked with no errors or warnings', async () => {
    const page = await context.newPage();
    await page.goto('chrome://extensions/');
    const errorsOf = (id) =>
      page.evaluate(async (extensionId) => {
        const ext = (await chrome.developerPrivate.getExtensionsInfo()).find((e) => e.id === extensionId);
        return {
          installWarnings: ext.installWarnings,
          manifestErrors: ext.manifestErrors,
          runtimeErrors: ext.runtimeErrors.map(({ severity, message, source, contextUrl }) => ({ severity, message, source, contextUrl })),
        };
      }, id);
    // Chromium collects an extension's runtime errors (its pages', its service worker's) only in
    // developer mode and, for an extension loaded with --load-extension, once error collection is
    // switched on for it (or it is reloaded): otherwise runtimeErrors stays empty whatever happens,
    // as this test used to check. Switch both on, then reload the extension so that its start-up
    // runs with collection on.
    await page.evaluate(async (extensionId) => {
      await chrome.developerPrivate.updateProfileConfiguration({ inDeveloperMode: true });
      await chrome.developerPrivate.updateExtensionConfiguration({ extensionId, errorCollection: true });
    }, extensionId);
    const restarted = context.waitForEvent('serviceworker', { timeout: 15_000 });
    await page.evaluate((id) => chrome.developerPrivate.reload(id, { failQuietly: false }), extensionId);
    const worker = await restarted;

    // Prove the collection works in this run: the service worker logs an error, and the extension's
    // own code (messages.js, refusing an unknown message type) throws uncaught in an extension page.
    // Both must be collected; then nothing else may be. (The collection keeps errors: a service
    // worker's console.warn was seen not to be collected, so a warning cannot be the canary.)
    const canary = `tessera-canary-${process.pid}-${Date.now()}`;
    await worker.evaluate((c) => console.error(`${c}-worker-error`), canary);
    const options = await extensionPage('options/options.html');
    await options.evaluate(async (c) => {
      const { make } = await import('/messages.js');
      setTimeout(make, 0, `${c}-page-exception`, {}, 'page');
    }, canary);
    const expected = [
      { severity: 'ERROR', message: `${canary}-worker-error` },
      { severity: 'ERROR', message: `Uncaught Error: invalid ${canary}-page-exception message`, source: `chrome-extension://${extensionId}/messages.js` },
    ];
    const missing = (errors) =>
      expected.filter(
        (want) =>
          !errors.runtimeErrors.some(
            (e) => e.severity === want.severity && e.message.startsWith(want.message) && (!want.source || e.source === want.source),
          ),
      );
    let errors = await errorsOf(extensionId);
    for (let i = 0; i < 100 && missing(errors).length > 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      errors = await errorsOf(extensionId);
    }
    assert.deepEqual(missing(errors), [], 'the error collection missed the canary');
    await options.close();

    const others = { ...errors, runtimeErrors: errors.runtimeErrors.filter((e) => !e.message.includes(canary)) };
    assert.deepEqual(others, { installWarnings: [], manifestErrors: [], runtimeErrors: [] });
    await page.close();
  });

  test('the popup creates the vault and imports; the options page edits', async () => {
    const popup = await extensionPage('popup/popup.html');
    await createAndImportInPopup(d, popup);
    await popup.close();
    const options = await extensionPage('options/options.html');
    await editInOptions(d, options);
    await options.close();
  });

  test('legacy IAM: alice of 123456789012 gets her code, after the regional redirect', async () => {
    server = createFixtureServer({ ui: 'legacy-iam' });
    const page = await context.newPage();
    const from = Date.now();
    await legacyIam(d, page);
    const { owners } = await filledCode(d, page, from);
    assert.deepEqual(owners, ['alice']);
    assert.equal(await chooserShown(page), false);
    await page.close();
  });

  test('legacy root: root@example.com gets the root code of its account', async () => {
    server = createFixtureServer({ ui: 'legacy-root' });
    const page = await context.newPage();
    const from = Date.now();
    await legacyRoot(d, page);
    assert.deepEqual((await filledCode(d, page, from)).owners, ['rootEmail']);
    await page.close();
  });

  test("2024 UI, root: root@example.com gets its account's root code, not another account's", async () => {
    server = createFixtureServer({ ui: 'unified-root' });
    const page = await context.newPage();
    const from = Date.now();
    await unifiedRoot(d, page);
    assert.deepEqual((await filledCode(d, page, from)).owners, ['rootEmail']);
    assert.equal(await chooserShown(page), false);
    await page.close();
  });

  test('2024 UI, root with two MFA devices: Authenticator app, then the root code', async () => {
    server = createFixtureServer({ ui: 'unified-root', config: { devices: ['U2F', 'SWHW'] } });
    const page = await context.newPage();
    const from = Date.now();
    await unifiedRoot(d, page);
    assert.deepEqual((await filledCode(d, page, from)).owners, ['rootEmail']);
    assert.equal((await page.evaluate(() => window.__fixture.device)), 'SWHW');
    await page.close();
  });

  test('2024 UI: alice at my-alias, React-controlled input', async () => {
    server = createFixtureServer({ ui: 'unified' });
    const page = await context.newPage();
    const from = Date.now();
    await unified(d, page);
    assert.deepEqual((await filledCode(d, page, from)).owners, ['aliceAlias']);
    await page.close();
  });

  test('ambiguous: the chooser, a remembered choice, then a fill without asking', async () => {
    server = createFixtureServer({ ui: 'chooser' });
    const page = await context.newPage();
    await chooserFlow(d, page);
    await d.waitFor(page, () => window.__fixture.step === 'mfa');
    await page.waitForFunction(
      () => [...document.documentElement.children].some((e) => e.tagName === 'DIV'),
      null,
      { timeout: 15_000 },
    );
    assert.equal((await page.evaluate(() => window.__fixture.mfa)), '', 'nothing filled before choosing');
    const buttons = await chooserButtons(page);
    const candidates = buttons.slice(0, -1); // the last one is "Not now"
    assert.deepEqual(
      candidates.map(keyOfLabel).sort(),
      ['aliceAlias', 'alice', 'bob', 'root'].sort(),
      'every entry of the account, and the AWS entry without an account id, but not the others',
    );
    // Keyboard only: the first candidate has focus; Tab past the candidates to "Remember",
    // tick it, come back and choose the first candidate.
    for (let i = 0; i < candidates.length; i += 1) await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    for (let i = 0; i < candidates.length; i += 1) await d.shiftTab(page);
    const from = Date.now();
    await page.keyboard.press('Enter');
    const chosen = keyOfLabel(candidates[0]);
    assert.deepEqual((await filledCode(d, page, from)).owners, [chosen]);
    await page.close();

    const again = await context.newPage();
    const from2 = Date.now();
    await chooserFlow(d, again);
    assert.deepEqual((await filledCode(d, again, from2)).owners, [chosen], 'the remembered choice');
    assert.equal(await chooserShown(again), false);
    await again.close();
  });

  test('a lookalike host, http and an iframe get nothing', async () => {
    for (const url of [
      'https://signin.aws.amazon.com.example.net/oauth?account=123456789012',
      'https://signin-aws-amazon.com/oauth?account=123456789012',
      'http://us-east-1.signin.aws.amazon.com/oauth?account=123456789012',
    ]) {
      server = createFixtureServer({ ui: 'unified', anyUrl: true });
      const page = await context.newPage();
      await page.goto(url);
      await page.type('#username', 'alice');
      await page.click('#signin_button');
      await assertNothingHappens(d, page);
      await page.close();
    }
    const inner = createFixtureServer({ ui: 'unified' });
    server = {
      handle: (url, method, body) =>
        url.startsWith('https://framer.example/')
          ? { status: 200, headers: { 'content-type': 'text/html' }, body: framingPage(oauthUrl('123456789012')) }
          : inner.handle(url, method, body),
    };
    const page = await context.newPage();
    await page.goto('https://framer.example/');
    const frame = page.frame({ url: /signin\.aws\.amazon\.com/ });
    await frame.waitForSelector('#username');
    await frame.type('#username', 'alice');
    await frame.click('#signin_button');
    await assertNothingHappens(d, frame);
    await page.close();
  });

  test('auto-submit (a setting, off by default) submits the right code', async () => {
    const options = await extensionPage('options/options.html');
    await setAutoSubmit(d, options, true);
    server = createFixtureServer({ ui: 'legacy-iam' });
    const page = await context.newPage();
    const from = Date.now();
    await legacyIam(d, page, 'bob');
    await d.waitFor(page, () => window.__fixture.submitted === true);
    const { submittedCode } = await page.evaluate(() => window.__fixture);
    assert.deepEqual((await filledCode(d, page, from)).owners, ['bob']);
    assert.equal(submittedCode, await page.evaluate(() => window.__fixture.mfa));
    await setAutoSubmit(d, options, false);
    await options.close();
    await page.close();
  });

  test('the popup searches, shows live codes and copies', async () => {
    const popup = await extensionPage('popup/popup.html');
    await d.visible(popup, '#search');
    await popup.type('#search', 'bob');
    await d.waitFor(popup, () => document.querySelectorAll('.row').length === 1);
    await d.waitFor(popup, () => /^\d{6}/.test(document.querySelector('.row .code')?.textContent ?? ''));
    const shown = (await popup.textContent('.row .code')).slice(0, 6);
    const now = Date.now() / 1000;
    assert.ok([codeAt(ENTRIES.bob, now - 1), codeAt(ENTRIES.bob, now)].includes(shown), 'bob’s code');
    await popup.click('.row');
    await d.waitFor(popup, () => /Copied/.test(document.querySelector('#list-status').textContent));
    const copied = await popup.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, /^\d{6}$/);
    assert.ok([codeAt(ENTRIES.bob, now), codeAt(ENTRIES.bob, Date.now() / 1000)].includes(copied));
    await popup.close();
  });

  test('a copied code leaves the clipboard after the set delay, unless something else was copied', async () => {
    const options = await extensionPage('options/options.html');
    await saveNumberSetting(options, '#clipboard-seconds', 5);
    const popup = await extensionPage('popup/popup.html');
    await d.visible(popup, '#search');
    await popup.type('#search', 'bob');
    await d.waitFor(popup, () => /^\d{6}/.test(document.querySelector('.row .code')?.textContent ?? ''));
    await popup.evaluate(() => navigator.clipboard.writeText('before'));

    // 1. Copied and left alone: cleared after about 5 s, not before.
    const copiedAt = Date.now();
    await popup.click('.row');
    const code = await waitForClipboard(popup, (text) => /^\d{6}$/.test(text), 5000);
    assert.ok(codesBetween(ENTRIES.bob, copiedAt - 1000, Date.now()).has(code), 'bob’s code was copied');
    await waitForClipboard(popup, (text) => text !== code, 12_000);
    const clearedAfter = Date.now() - copiedAt;
    assert.equal(await clipboardText(popup), '', 'the clipboard was emptied');
    assert.ok(clearedAfter >= 4500, `cleared after ${clearedAfter} ms, not before the 5 s setting`);

    // 2. Copied, then the user copies something else: that is left alone.
    await popup.click('.row');
    await waitForClipboard(popup, (text) => /^\d{6}$/.test(text), 5000);
    await popup.evaluate(() => navigator.clipboard.writeText('the user’s own text'));
    await new Promise((resolve) => setTimeout(resolve, 7000));
    assert.equal(await clipboardText(popup), 'the user’s own text');

    await saveNumberSetting(options, '#clipboard-seconds', 30);
    await popup.close();
    await options.close();
  });

  test('the vault survives the service worker being stopped', async () => {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await cdp.detach();
    server = createFixtureServer({ ui: 'legacy-iam' });
    const from = Date.now();
    await legacyIam(d, page);
    assert.deepEqual((await filledCode(d, page, from)).owners, ['alice']);
    await page.close();
  });

  test('a QR code image file adds its entry; an image without one adds nothing', async () => {
    const options = await extensionPage('options/options.html');
    await d.visible(options, '#entries .entry');
    const before = await options.$$eval('#entries .entry', (items) => items.length);
    await options.setInputFiles('#qr-file', { name: 'blank.png', mimeType: 'image/png', buffer: await blankPng() });
    await d.waitFor(options, () => /No QR code found/.test(document.querySelector('#import-status').textContent));
    assert.equal(await options.inputValue('#import-text'), '', 'nothing was put up for import');
    await options.setInputFiles('#qr-file', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not an image') });
    await d.waitFor(options, () => /could not be read as an image/.test(document.querySelector('#import-status').textContent));
    assert.equal(await options.$$eval('#entries .entry', (items) => items.length), before, 'nothing added');

    await options.setInputFiles('#qr-file', { name: 'qr.png', mimeType: 'image/png', buffer: await qrPng(QR_ENTRY.uri) });
    await d.waitFor(options, () => /QR code read/.test(document.querySelector('#import-status').textContent));
    assert.equal(await options.inputValue('#import-text'), QR_ENTRY.uri);
    await options.click('#import-submit');
    await d.waitFor(options, () => /Added 1, failed 0/.test(document.querySelector('#import-status').textContent));
    await d.visible(options, `#entries .entry[data-label="${QR_ENTRY.name}"]`);
    const id = await options.getAttribute(`#entries .entry[data-label="${QR_ENTRY.name}"]`, 'data-id');
    const code = await options.evaluate(
      (ids) => chrome.runtime.sendMessage({ type: 'tessera:entries-codes', groups: [{ vault: 'personal', ids }] }),
      [id],
    );
    assert.equal(code.codes[0][0], codeAt(QR_ENTRY, code.time), 'the entry has the seed in the QR code');
    await options.close();
  });

  test('reveal shows the seed and is logged; the options page lists the use log', async () => {
    const options = await extensionPage('options/options.html');
    const item = `#entries .entry[data-label="${ENTRIES.bob.name}"]`;
    await d.visible(options, `${item} .entry-reveal`);
    await options.click(`${item} .entry-reveal`);
    await d.visible(options, `${item} .entry-secret code`);
    assert.equal(await options.textContent(`${item} .entry-secret code`), ENTRIES.bob.secret);
    await d.waitFor(options, () => document.querySelector('#use-log tbody tr')?.dataset.action === 'reveal');
    const rows = await options.$$eval('#use-log tbody tr', (trs) =>
      trs.map((tr) => [...tr.cells].map((c) => c.textContent)),
    );
    // Newest first: the reveal just made, by bob's entry, on no host.
    assert.deepEqual(rows[0].slice(0, 3), [ENTRIES.bob.name, 'reveal', '—']);
    assert.ok(rows.some(([label, action]) => label === ENTRIES.bob.name && action === 'copy'), 'the popup’s copies');
    assert.ok(
      rows.some(([label, action, host]) => label === ENTRIES.alice.name && action === 'fill' && /(^|\.)signin\.aws\.amazon\.com$/.test(host)),
      'the fills, with the sign-in host',
    );
    const times = await options.$$eval('#use-log tbody time', (ts) => ts.map((t) => Date.parse(t.dateTime)));
    assert.equal(times.length, rows.length, 'each use has its time');
    assert.ok(times.every((t) => t >= suiteStart && t <= Date.now()), 'times from this run');
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
    // Hide clears the seed from the page.
    await options.click(`${item} .entry-reveal`);
    assert.equal(await options.textContent(`${item} .entry-secret code`), '');
    await options.close();
  });

  test('auto-lock: the idle setting arms the alarm, the alarm locks, and so does an expired deadline', async () => {
    const options = await extensionPage('options/options.html');
    await saveNumberSetting(options, '#auto-lock', 1);
    const alarm = await options.evaluate(() => chrome.alarms.get('tessera-autolock'));
    const inMs = alarm.scheduledTime - Date.now();
    assert.ok(inMs > 50_000 && inMs <= 60_000, `the alarm is a minute away (${inMs} ms)`);
    // The browser fires the same alarm now rather than in a minute: the background's own listener locks.
    await options.evaluate(() => chrome.alarms.create('tessera-autolock', { when: Date.now() + 200 }));
    const firedBy = Date.now() + 10_000;
    while ((await vaultStatus(options)).state !== 'locked' && Date.now() < firedBy) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal((await vaultStatus(options)).state, 'locked');
    assert.deepEqual(await options.evaluate(() => chrome.storage.session.get('session')), {}, 'the session key is gone');
    await options.reload();
    await d.visible(options, '#unlock-passphrase');
    await options.type('#unlock-passphrase', PASSPHRASE);
    await options.click('#unlock-submit');
    await d.visible(options, '#entries .entry', 60_000);
    assert.equal((await vaultStatus(options)).state, 'unlocked');

    // A deadline that passed while the worker was stopped (no alarm ran): the next use locks.
    await options.evaluate(async () => {
      const { session } = await chrome.storage.session.get('session');
      await chrome.storage.session.set({ session: { ...session, lockAt: Date.now() - 1 } });
    });
    const cdp = await context.newCDPSession(options);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await cdp.detach();
    assert.equal((await vaultStatus(options)).state, 'locked');

    await options.reload();
    await d.visible(options, '#unlock-passphrase');
    await options.type('#unlock-passphrase', PASSPHRASE);
    await options.click('#unlock-submit');
    await d.visible(options, '#entries .entry', 60_000);
    await saveNumberSetting(options, '#auto-lock', 15);
    await options.close();
  });

  test('lock: nothing is filled; unlock in the popup fills the waiting tab', async () => {
    const popup = await extensionPage('popup/popup.html');
    await d.visible(popup, '#lock');
    await popup.click('#lock');
    await d.visible(popup, '#unlock-passphrase');
    server = createFixtureServer({ ui: 'legacy-iam' });
    const page = await context.newPage();
    await legacyIam(d, page);
    await d.waitFor(page, () => window.__fixture.step === 'mfa');
    await page.waitForTimeout(1000);
    assert.equal(await page.evaluate(() => window.__fixture.mfa), '', 'locked: nothing filled');
    await popup.type('#unlock-passphrase', 'wrong passphrase');
    await popup.click('#unlock-submit');
    await d.waitFor(popup, () => /Wrong passphrase/.test(document.querySelector('#unlock-status').textContent), undefined, 60_000);
    await popup.fill('#unlock-passphrase', PASSPHRASE);
    const from = Date.now();
    await popup.click('#unlock-submit');
    await d.visible(popup, '#search', 60_000);
    assert.deepEqual((await filledCode(d, page, from)).owners, ['alice'], 'the waiting tab is filled');
    await popup.close();
    await page.close();
  });

  test('a browser restart locks the vault', async () => {
    const before = await extensionPage('options/options.html');
    assert.equal((await vaultStatus(before)).state, 'unlocked');
    await context.close();
    await launch({ firstRun: false });
    const popup = await extensionPage('popup/popup.html');
    await d.visible(popup, '#unlock-passphrase');
    assert.equal((await vaultStatus(popup)).state, 'locked');
    await popup.close();
  });
});
