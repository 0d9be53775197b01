// The built extension (dist/firefox, from `cargo xtask dist`) in Debian's Firefox ESR, driven by
// puppeteer-core over WebDriver BiDi and installed as a temporary add-on. The same flows as the
// Chromium test (support/flows.mjs). BiDi does not navigate a tab to a moz-extension:// URL, so
// extension pages are opened by the extension itself: the first-run options page it opens on
// install, and from there `tabs.create`. Skipped without Firefox or dist/firefox.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createFixtureServer, framingPage, oauthUrl } from '../fixtures/aws/routes.mjs';
import { FIREFOX, answerFromFixture, distDir, hrefOf, installFirefoxAddon, launchFirefox, skipReason } from './support/browsers.mjs';
import { ENTRIES, PASSPHRASE, codesBetween } from './support/entries.mjs';
import {
  assertNothingHappens,
  chooserShown,
  createAndImportInPopup,
  editInOptions,
  filledCode,
  legacyIam,
  legacyRoot,
  puppeteerDriver as d,
  unified,
  unifiedRoot,
} from './support/flows.mjs';

const EXTENSION = distDir('firefox');
const skip = skipReason('Firefox', FIREFOX, 'firefox');

/**
 * A tab the extension navigates to a moz-extension:// page makes Firefox's BiDi agent log
 * "notifyNavigationFailed"; the tests give such a tab time to load before asking Puppeteer
 * about it.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 2000));

describe('Tessera in Firefox', { skip }, () => {
  let browser;
  let options; // the options page the extension opened on install
  const consoleLines = []; // Firefox's stdout and stderr
  let server = createFixtureServer({ ui: 'legacy-iam' });

  /** A tab whose every request is answered by the current fixture server. */
  async function webPage() {
    const page = await browser.newPage();
    await answerFromFixture(page, /^https?:/, () => server);
    return page;
  }

  /** An extension page, opened by the extension (tabs.create from the options page). */
  async function extensionPage(path) {
    const before = new Set(await browser.pages());
    await options.evaluate((p) => browser.tabs.create({ url: `/${p}` }), path);
    await settle();
    for (let i = 0; i < 100; i += 1) {
      for (const page of await browser.pages()) {
        if (!before.has(page) && (await hrefOf(page)).endsWith(path)) {
          return page;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const open = await Promise.all((await browser.pages()).map(hrefOf));
    throw new Error(`${path} did not open (open tabs: ${open.join(', ')})`);
  }

  before(async () => {
    browser = await launchFirefox({
      addon: true,
      prefs: {
        // Console messages of the extension's background and pages, and script errors, on stdout.
        'devtools.console.stdout.chrome': true,
        'devtools.console.stdout.content': true,
      },
    });
    for (const stream of [browser.process().stdout, browser.process().stderr]) {
      // Whole lines only: a chunk can end in the middle of one.
      let partial = '';
      stream.on('data', (chunk) => {
        const lines = (partial + String(chunk)).split('\n');
        partial = lines.pop();
        consoleLines.push(...lines);
      });
    }
    // First run: the extension opens its options page to create the vault.
    options = await installFirefoxAddon(browser, EXTENSION);
  });

  after(async () => {
    await browser?.close();
  });

  test('installs, and the popup creates the vault and imports; the options page edits', async () => {
    const popup = await extensionPage('popup/popup.html');
    await createAndImportInPopup(d, popup);
    await popup.close();
    const manage = await extensionPage('options/options.html');
    await editInOptions(d, manage);
    await manage.close();
  });

  test('legacy IAM, legacy root and the 2024 UI get the right codes', async () => {
    for (const [ui, flow, owner] of [
      ['legacy-iam', legacyIam, 'alice'],
      ['legacy-root', legacyRoot, 'rootEmail'],
      ['unified', unified, 'aliceAlias'],
    ]) {
      server = createFixtureServer({ ui });
      const page = await webPage();
      const from = Date.now();
      await flow(d, page);
      assert.deepEqual((await filledCode(d, page, from)).owners, [owner], ui);
      await page.close();
    }
  });

  test("2024 UI, root: root@example.com gets its account's root code, not another account's", async () => {
    server = createFixtureServer({ ui: 'unified-root' });
    const page = await webPage();
    const from = Date.now();
    await unifiedRoot(d, page);
    assert.deepEqual((await filledCode(d, page, from)).owners, ['rootEmail']);
    assert.equal(await chooserShown(page), false);
    await page.close();
  });

  test('2024 UI, root with two MFA devices: Authenticator app, then the root code', async () => {
    server = createFixtureServer({ ui: 'unified-root', config: { devices: ['U2F', 'SWHW'] } });
    const page = await webPage();
    const from = Date.now();
    await unifiedRoot(d, page);
    assert.deepEqual((await filledCode(d, page, from)).owners, ['rootEmail']);
    assert.equal(await page.evaluate(() => window.__fixture.device), 'SWHW');
    await page.close();
  });

  test('a lookalike host, http and an iframe get nothing', async () => {
    for (const url of [
      'https://signin.aws.amazon.com.example.net/oauth?account=123456789012',
      'http://us-east-1.signin.aws.amazon.com/oauth?account=123456789012',
    ]) {
      server = createFixtureServer({ ui: 'unified', anyUrl: true });
      const page = await webPage();
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
    const page = await webPage();
    await page.goto('https://framer.example/');
    const frame = await (await page.waitForSelector('iframe')).contentFrame();
    await frame.waitForSelector('#username');
    await frame.type('#username', 'alice');
    await frame.click('#signin_button');
    await assertNothingHappens(d, frame);
    await page.close();
  });

  test('a copied code leaves the clipboard after the set delay (an alarm), unless something else was copied', async () => {
    const manage = await extensionPage('options/options.html');
    await d.visible(manage, '#clipboard-seconds');
    const DELAY_MS = 5000;
    await manage.$eval('#clipboard-seconds', (input, seconds) => {
      input.value = String(seconds);
    }, DELAY_MS / 1000);
    await manage.click('#settings-form button[type="submit"]');
    await d.waitFor(manage, () => document.querySelector('#settings-status').textContent === 'Saved.');
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    // Firefox refuses readText() in a tab that is not the active one ("Clipboard read operation
    // is not allowed"), which the closed popup tab can leave it as under load.
    const clipboard = async () => {
      for (let attempt = 1; ; attempt += 1) {
        await manage.bringToFront();
        try {
          return await manage.evaluate(() => navigator.clipboard.readText());
        } catch (error) {
          if (!/not allowed/i.test(String(error?.message)) || attempt === 5) throw error;
          await sleep(200);
        }
      }
    };

    /** Copies bob's code in the popup, then closes it (its once-a-second requests keep the event page awake). */
    const copyBob = async (then) => {
      const popup = await extensionPage('popup/popup.html');
      await d.visible(popup, '#search');
      await popup.type('#search', 'bob');
      await d.waitFor(popup, () => /^\d{6}/.test(document.querySelector('.row .code')?.textContent ?? ''));
      const from = Date.now();
      // Enter copies the selected row (a click can land on a row the next tick replaces).
      await popup.focus('#search');
      await popup.keyboard.press('Enter');
      await d.waitFor(popup, () => /Copied/.test(document.querySelector('#list-status').textContent));
      const code = await popup.evaluate(() => navigator.clipboard.readText());
      assert.ok(codesBetween(ENTRIES.bob, from - 1000, Date.now()).has(code), `bob’s code was copied (${code})`);
      if (then) await popup.evaluate(then);
      await popup.close();
      return Date.now();
    };

    const copiedAt = await copyBob();
    await sleep(DELAY_MS - 3000);
    assert.match(await clipboard(), /^\d{6}$/, 'not cleared before the delay');
    await sleep(Math.max(0, copiedAt + DELAY_MS - Date.now()));
    let text = await clipboard();
    for (let i = 0; i < 30 && text !== ''; i += 1) {
      await sleep(200);
      text = await clipboard();
    }
    assert.equal(text, '', 'cleared');

    await copyBob(() => navigator.clipboard.writeText('the user’s own text'));
    await sleep(DELAY_MS + 2000);
    assert.equal(await clipboard(), 'the user’s own text');
    await manage.close();
  });

  test('lock, then unlock: Argon2id runs in a worker and the page stays responsive', async () => {
    const popup = await extensionPage('popup/popup.html');
    await d.visible(popup, '#lock');
    await popup.click('#lock');
    await d.visible(popup, '#unlock-passphrase');
    await popup.type('#unlock-passphrase', PASSPHRASE);
    await popup.click('#unlock-submit');
    // While the key is derived, the popup's own thread keeps running timers.
    const stalls = await popup.evaluate(
      () =>
        new Promise((resolve) => {
          let last = performance.now();
          let worst = 0;
          const timer = setInterval(() => {
            const now = performance.now();
            worst = Math.max(worst, now - last);
            last = now;
            if (document.querySelector('#search')?.offsetParent) {
              clearInterval(timer);
              resolve(worst);
            }
          }, 20);
        }),
    );
    assert.ok(stalls < 500, `the popup's longest stall while unlocking was ${Math.round(stalls)} ms`);
    server = createFixtureServer({ ui: 'legacy-iam' });
    const page = await webPage();
    const from = Date.now();
    await legacyIam(d, page);
    assert.deepEqual((await filledCode(d, page, from)).owners, ['alice']);
    await page.close();
    await popup.close();
  });

  test('the browser console has no error or warning about the extension', async () => {
    // First prove the capture works in this run: the extension's background page logs an error and
    // a warning, and its own code (messages.js, refusing an unknown message type) throws uncaught in
    // an extension page. Each must reach the captured console; then nothing else may.
    const canary = `tessera-canary-${process.pid}-${Date.now()}`;
    await options.evaluate(async (c) => {
      const background = await browser.runtime.getBackgroundPage();
      background.console.error(`${c}-background-error`);
      background.console.warn(`${c}-background-warning`);
      const { make } = await import('/messages.js');
      setTimeout(make, 0, `${c}-page-exception`, {}, 'page');
    }, canary);
    const expected = [
      `console.error: "${canary}-background-error"`,
      `console.warn: "${canary}-background-warning"`,
      new RegExp(`^JavaScript error: moz-extension://[^ ]+/messages\\.js, line \\d+: Error: invalid ${canary}-page-exception message`),
    ];
    const seen = (pattern) => consoleLines.some((line) => (typeof pattern === 'string' ? line === pattern : pattern.test(line)));
    for (let i = 0; i < 100 && !expected.every(seen); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(expected.filter((pattern) => !seen(pattern)), [], 'the console capture missed the canary');

    // Ours: a line naming the extension (an error in its code has its moz-extension:// URL), and
    // every console error or warning whose first argument is a string without a logger's prefix:
    // Firefox prints the extension's console calls (its background page's, as the canary shows) with
    // no source, `console.error: "..."` (and so the fixture pages', which log none), while its own
    // modules use a prefix (`console.warn: LoginRecipes: ...`).
    // Not ours: Firefox's password manager noting, from its own chrome code, that it has no site
    // recipes for an extension page with a passphrase field (the browser's bookkeeping).
    const passwordManager = /^console\.warn: LoginRecipes: "Falling back to a synchronous message for: moz-extension:/;
    const ours = consoleLines.filter(
      (line) =>
        (line.includes('moz-extension://') || /tessera/i.test(line) || /^console\.(error|warn): "/.test(line)) &&
        !passwordManager.test(line) &&
        !line.includes(canary),
    );
    assert.deepEqual(ours, []);
  });
});
