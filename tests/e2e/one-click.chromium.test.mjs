// One click (issue 3 §3-4) in Debian's Chromium with the built extension (dist/chrome): the
// toolbar button and the popup's "Fill" (and Shift+Enter on a row) fill the AWS sign-in tab, and
// a toolbar click over any other tab fills nothing anywhere. The toolbar click is real: Chromium's
// DevTools protocol (Extensions.triggerAction, through puppeteer-core's
// `page.triggerExtensionAction`) opens the action's popup over the tab, as a user's click does.
// Expected codes are computed here with the `otpauth` package, not by Tessera.
//
// The keyboard shortcut (commands API, the manifest's Alt+Shift+M) is pressed through the DevTools
// protocol: Input.dispatchKeyEvent (`rawKeyDown` with the Alt and Shift modifiers) on the tab goes
// the way a real key press goes, and Chromium's command accelerator dispatches
// `commands.onCommand` to the background. (Puppeteer's `page.keyboard` does not reach it.) Nothing
// in the extension exists for the tests.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { CHROMIUM, distDir, launchPuppeteerChromiumWithExtension, skipReason } from './support/browsers.mjs';
import { asIntercepted, createFixtureServer } from '../fixtures/aws/routes.mjs';
import { IMPORT_TEXT, PASSPHRASE } from './support/entries.mjs';
import { editInOptions, filledCode, legacyIam, puppeteerDriver as d } from './support/flows.mjs';

const EXTENSION = distDir('chrome');
const skip = skipReason('Chromium', CHROMIUM, 'chrome');

/** The user empties the MFA field (as select-all and Delete would: the page's model sees it). */
const clearMfaField = (page) =>
  page.evaluate(() => {
    const input = document.querySelector('#mfacode');
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, '');
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
    return window.__fixture.mfa;
  });

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Presses the manifest's shortcut, Alt+Shift+M, on `page`'s tab (modifiers: Alt 1, Shift 8). */
async function pressShortcut(page) {
  const cdp = await page.createCDPSession();
  for (const type of ['rawKeyDown', 'keyUp']) {
    await cdp.send('Input.dispatchKeyEvent', { type, modifiers: 9, key: 'M', code: 'KeyM', windowsVirtualKeyCode: 77, nativeVirtualKeyCode: 77 });
  }
  await cdp.detach();
}

describe('Tessera in Chromium: one click (toolbar, popup Fill)', { skip }, () => {
  let browser;
  let extension;
  let server = createFixtureServer({ ui: 'legacy-iam' });

  before(async () => {
    let options;
    ({ browser, extension, options } = await launchPuppeteerChromiumWithExtension(EXTENSION));
    // First run: create the vault in the options page the extension opened, import, edit.
    await d.visible(options, '#create-passphrase');
    await options.type('#create-passphrase', PASSPHRASE);
    await options.type('#create-confirm', PASSPHRASE);
    await options.click('#create-submit');
    await d.visible(options, '#import-text', 60_000);
    await options.$eval('#import-text', (area, text) => {
      area.value = text;
      area.dispatchEvent(new Event('input', { bubbles: true }));
    }, IMPORT_TEXT);
    await options.click('#import-submit');
    await d.waitFor(options, () => /Added 6, failed 0/.test(document.querySelector('#import-status').textContent));
    await editInOptions(d, options);
    await options.close();
  });

  after(async () => {
    await browser?.close();
  });

  /** A tab whose every web request is answered by the current fixture server. */
  async function webPage() {
    const page = await browser.newPage();
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      if (!/^https?:/.test(request.url())) return request.continue();
      return request.respond(asIntercepted(server.handle(request.url(), request.method(), request.postData() ?? null)));
    });
    return page;
  }

  /** An AWS tab at its MFA step (legacy IAM, `user` of 123456789012), filled automatically, then
   * emptied by the user: from here only a one-click action can fill it again. */
  async function emptiedMfaStep(user) {
    server = createFixtureServer({ ui: 'legacy-iam' });
    const page = await webPage();
    const from = Date.now();
    await legacyIam(d, page, user);
    assert.deepEqual((await filledCode(d, page, from)).owners, [user], 'the automatic fill');
    assert.equal(await clearMfaField(page), '', 'the user emptied the field');
    return page;
  }

  /** A real toolbar click over `page`: the action's popup opens over its tab. */
  async function toolbarClick(page) {
    await page.bringToFront();
    const opened = browser.waitForTarget((t) => t.url().endsWith('/popup/popup.html') && t.type() === 'page', { timeout: 15_000 });
    await page.triggerExtensionAction(extension);
    const popup = await (await opened).asPage();
    await d.visible(popup, '#search');
    return popup;
  }

  /** How many fills the use log holds, asked from an extension tab of its own (so it can be
   * asked before a toolbar click, and leaves no popup open). */
  async function fills() {
    const page = await browser.newPage();
    await page.goto(`chrome-extension://${extension.id}/options/options.html`);
    const count = await page.evaluate(async () => {
      const { log } = await chrome.runtime.sendMessage({ type: 'tessera:use-log-get' });
      return log.filter((use) => use.action === 'fill').length;
    });
    await page.close();
    return count;
  }

  test('the toolbar button fills the right entry’s code into the AWS tab it was clicked on', async () => {
    const page = await emptiedMfaStep('alice');
    const from = Date.now();
    const popup = await toolbarClick(page);
    assert.deepEqual((await filledCode(d, page, from)).owners, ['alice']);
    await popup.close().catch(() => {});
    await page.close();
  });

  test('the keyboard shortcut (commands API) fills the AWS tab', async () => {
    const page = await emptiedMfaStep('bob');
    await page.bringToFront();
    const options = await browser.newPage();
    await options.goto(`chrome-extension://${extension.id}/options/options.html`);
    const commands = await options.evaluate(() => chrome.commands.getAll());
    await options.close();
    assert.equal(commands.find((c) => c.name === 'fill-mfa-code')?.shortcut, 'Alt+Shift+M', 'the suggested shortcut is bound');
    await page.bringToFront();
    await sleep(500);
    assert.equal(await page.evaluate(() => window.__fixture.mfa), '', 'nothing fills it before the key');
    const from = Date.now();
    await pressShortcut(page);
    assert.deepEqual((await filledCode(d, page, from)).owners, ['bob']);
    await page.close();
  });

  test('the popup’s Fill, and Shift+Enter on a row, fill the AWS tab', async () => {
    const page = await emptiedMfaStep('bob');
    const popup = await toolbarClick(page);
    await d.visible(popup, '#fill');
    // The click itself fills (previous test); wait for it, then empty the field again.
    await filledCode(d, page, Date.now() - 1000);
    await clearMfaField(page);

    let from = Date.now();
    await popup.click('#fill');
    assert.deepEqual((await filledCode(d, page, from)).owners, ['bob'], 'Fill: the matched entry');
    await clearMfaField(page);

    // Shift+Enter fills the selected row's entry, whichever it is: alice here, on bob's sign-in.
    await popup.type('#search', 'alice@123456789012');
    await d.waitFor(popup, () => document.querySelectorAll('.row').length === 1);
    from = Date.now();
    await popup.keyboard.down('Shift');
    await popup.keyboard.press('Enter');
    await popup.keyboard.up('Shift');
    assert.deepEqual((await filledCode(d, page, from)).owners, ['alice'], 'Shift+Enter: the selected entry');
    await d.waitFor(popup, () => document.querySelector('#fill-status').textContent === 'Filled.');
    await popup.close().catch(() => {});
    await page.close();
  });

  test('a toolbar click over a page that is not an AWS sign-in page fills nothing anywhere', async () => {
    const aws = await emptiedMfaStep('alice'); // an AWS tab at its MFA step, in the background
    server = createFixtureServer({ ui: 'legacy-iam', anyUrl: true });
    const other = await webPage();
    await other.goto('https://signin.aws.amazon.com.example.net/oauth?account=123456789012');
    await other.type('#username', 'alice');
    await other.type('#password', 'hunter2');
    await other.click('#signin_button');
    await d.waitFor(other, () => window.__fixture.step === 'mfa'); // an MFA field a fill would reach
    const before = await fills();
    const popup = await toolbarClick(other);
    assert.equal(await popup.$eval('#fillbar', (bar) => bar.classList.contains('hidden')), true, 'no Fill button');
    // Shift+Enter on a row does not fill either (it copies).
    await popup.focus('#search');
    await popup.keyboard.down('Shift');
    await popup.keyboard.press('Enter');
    await popup.keyboard.up('Shift');
    await sleep(300);
    // Nor does the shortcut over that page.
    await popup.close().catch(() => {});
    await other.bringToFront();
    await pressShortcut(other);
    await sleep(1500);
    assert.equal(await aws.evaluate(() => window.__fixture.mfa), '', 'the AWS tab in the background');
    assert.equal(await other.evaluate(() => window.__fixture.mfa), '', 'the lookalike page');
    assert.equal(await other.evaluate(() => document.querySelector('#mfacode').value), '');
    const again = await toolbarClick(other);
    // And asked directly, the background refuses: the active tab is not a sign-in page.
    const reply = await again.evaluate(() =>
      chrome.runtime.sendMessage({ type: 'tessera:fill-active-tab' }).catch((e) => String(e)),
    );
    assert.match(JSON.stringify(reply), /not-sign-in|not an AWS sign-in page/);
    await again.close().catch(() => {});
    assert.equal(await fills(), before, 'no fill was logged');
    await other.close();
    await aws.close();
  });
});
