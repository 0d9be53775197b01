// "Scan a QR code from the current tab" (issue 3 §2) in Debian's Chromium with the built
// extension (dist/chrome). The capture needs activeTab, which only a user's gesture on the
// extension grants: the toolbar click is made the way Chromium's DevTools protocol offers
// (Extensions.triggerAction, through puppeteer-core's `page.triggerExtensionAction`), which opens
// the real popup over the tab. The QR image is made by the `qrcode` package, not by Tessera.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { CHROMIUM, distDir, launchPuppeteerChromiumWithExtension, skipReason } from './support/browsers.mjs';
import { PASSPHRASE, QR_ENTRY, codeAt } from './support/entries.mjs';
import { puppeteerDriver as d } from './support/flows.mjs';
import { qrPng } from './support/images.mjs';

const EXTENSION = distDir('chrome');
const skip = skipReason('Chromium', CHROMIUM, 'chrome');

const QR_PAGE = 'https://setup.example/mfa';

describe('Tessera in Chromium: QR code from the current tab', { skip }, () => {
  let browser;
  let extension;

  before(async () => {
    let options;
    ({ browser, extension, options } = await launchPuppeteerChromiumWithExtension(EXTENSION));
    // First run: create the vault in the options page the extension opened.
    await d.visible(options, '#create-passphrase');
    await options.type('#create-passphrase', PASSPHRASE);
    await options.type('#create-confirm', PASSPHRASE);
    await options.click('#create-submit');
    await d.visible(options, '#entries-search', 60_000);
  });

  after(async () => {
    await browser?.close();
  });

  /** A web page showing a QR code, served here (nothing reaches the network). */
  async function qrPage() {
    const png = (await qrPng(QR_ENTRY.uri)).toString('base64');
    const page = await browser.newPage();
    await page.setRequestInterception(true);
    page.on('request', (request) =>
      request.respond({
        status: 200,
        contentType: 'text/html',
        body: `<!doctype html><title>Set up MFA</title><p>Scan this code:</p><img id="qr" alt="QR" src="data:image/png;base64,${png}">`,
      }),
    );
    await page.goto(QR_PAGE);
    await page.waitForFunction(() => document.querySelector('#qr').complete);
    await page.bringToFront();
    return page;
  }

  test('without the user’s click on the extension, the tab cannot be captured', async () => {
    const page = await qrPage();
    const popup = await browser.newPage(); // the popup's page as a plain tab: no activeTab grant
    await popup.goto(`chrome-extension://${extension.id}/popup/popup.html`);
    await d.visible(popup, '#add');
    await popup.click('#add');
    await popup.click('#scan-tab');
    await d.waitFor(popup, () => /could not be captured/.test(document.querySelector('#import-status').textContent));
    assert.equal(await popup.$eval('#import-text', (t) => t.value), '');
    await popup.close();
    await page.close();
  });

  test('the toolbar popup reads the QR code on the tab and imports its entry', async () => {
    const page = await qrPage();
    await page.triggerExtensionAction(extension);
    const popupTarget = await browser.waitForTarget((t) => t.url().endsWith('/popup/popup.html'), { timeout: 15_000 });
    const popup = await popupTarget.asPage();
    await d.visible(popup, '#add');
    await popup.click('#add');
    await popup.click('#scan-tab');
    await d.waitFor(popup, () => /QR code read from the tab/.test(document.querySelector('#import-status').textContent));
    assert.equal(await popup.$eval('#import-text', (t) => t.value), QR_ENTRY.uri);
    await popup.click('#import-submit');
    await d.waitFor(popup, () => /Added 1, failed 0/.test(document.querySelector('#import-status').textContent));
    const reply = await popup.evaluate(async () => {
      const { entries } = await chrome.runtime.sendMessage({ type: 'tessera:entries-list' });
      const codes = await chrome.runtime.sendMessage({
        type: 'tessera:entries-codes',
        groups: [{ vault: 'personal', ids: entries.map((e) => e.id) }],
      });
      return { labels: entries.map((e) => e.label), ...codes };
    });
    assert.deepEqual(reply.labels, [QR_ENTRY.name]);
    assert.equal(reply.codes[0][0], codeAt(QR_ENTRY, reply.time), 'the seed in the QR code');
    await page.close();
  });
});
