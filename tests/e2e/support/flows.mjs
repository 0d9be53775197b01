// What the browser tests do, written once for Chromium (Playwright) and Firefox (Puppeteer):
// each browser's test passes a small driver with the few calls whose signatures differ.
import assert from 'node:assert/strict';

import { oauthUrl, rootSigninUrl } from '../../fixtures/aws/routes.mjs';
import { ENTRIES, IMPORT_TEXT, PASSPHRASE, whoseCode } from './entries.mjs';

/** Playwright's page API as the flows use it. */
export const playwrightDriver = {
  waitFor: (page, fn, arg, timeout = 15_000) => page.waitForFunction(fn, arg, { timeout }),
  visible: (page, selector, timeout = 15_000) => page.waitForSelector(selector, { state: 'visible', timeout }),
  select: (page, selector, value) => page.selectOption(selector, value),
  shiftTab: (page) => page.keyboard.press('Shift+Tab'),
};

/** Puppeteer's. */
export const puppeteerDriver = {
  waitFor: (page, fn, arg, timeout = 15_000) => page.waitForFunction(fn, { timeout }, arg),
  visible: (page, selector, timeout = 15_000) => page.waitForSelector(selector, { visible: true, timeout }),
  select: (page, selector, value) => page.select(selector, value),
  shiftTab: async (page) => {
    await page.keyboard.down('Shift');
    await page.keyboard.press('Tab');
    await page.keyboard.up('Shift');
  },
};

// ---- the extension's pages ----------------------------------------------------------------------

/** Creates the vault from the popup (first run) and imports every test entry by pasting. */
export async function createAndImportInPopup(d, popup) {
  await d.visible(popup, '#create-passphrase');
  await popup.type('#create-passphrase', 'weak');
  await d.waitFor(popup, () => document.querySelector('#create-feedback').textContent !== '');
  const weakScore = await popup.evaluate(() => document.querySelector('#create-strength').value);
  await popup.click('#create-passphrase', { clickCount: 3 });
  await popup.evaluate(() => {
    document.querySelector('#create-passphrase').value = '';
  });
  await popup.type('#create-passphrase', PASSPHRASE);
  const strongScore = await popup.evaluate(() => document.querySelector('#create-strength').value);
  assert.ok(weakScore < strongScore, `strength feedback: ${weakScore} < ${strongScore}`);
  await popup.type('#create-confirm', PASSPHRASE);
  await popup.click('#create-submit');
  await d.visible(popup, '#search', 60_000);
  await popup.click('#add');
  await popup.type('#import-text', IMPORT_TEXT);
  await popup.click('#import-submit');
  await d.waitFor(popup, () => /Added 6, failed 0/.test(document.querySelector('#import-status').textContent));
  await d.waitFor(popup, () => document.querySelectorAll('.row').length === 6);
}

/** Edits the AWS metadata of the entries that need it, through the options page's forms. */
export async function editInOptions(d, options) {
  await d.visible(options, '#entries .entry');
  for (const entry of Object.values(ENTRIES)) {
    if (!entry.edit) continue;
    const item = `#entries .entry[data-label="${entry.name}"]`;
    await options.click(`${item} .entry-edit`);
    for (const [field, value] of Object.entries(entry.edit)) {
      if (field === 'awsPrincipal') await d.select(options, `${item} [name="awsPrincipal"]`, value);
      else await options.type(`${item} [name="${field}"]`, value);
    }
    await options.click(`${item} button[type="submit"]`);
    await d.waitFor(
      options,
      ([name, _field, value]) =>
        [...document.querySelectorAll('.entry')].some(
          (e) => e.querySelector('.entry-name').textContent === name && e.querySelector('.entry-meta').textContent.includes(value),
        ),
      [entry.name, ...Object.entries(entry.edit).at(-1)],
    );
  }
}

export async function setAutoSubmit(d, options, on) {
  await d.visible(options, '#auto-submit');
  const checked = await options.evaluate(() => document.querySelector('#auto-submit').checked);
  if (checked !== on) await options.click('#auto-submit');
  await options.click('#settings-form button[type="submit"]');
  await d.waitFor(options, () => document.querySelector('#settings-status').textContent === 'Saved.');
}

// ---- sign-in flows ------------------------------------------------------------------------------

const fixtureState = (page) => page.evaluate(() => ({ ...window.__fixture, events: undefined }));

/** Waits until the page's model holds a code; returns it with the time window it was filled in. */
export async function filledCode(d, page, from) {
  await d.waitFor(page, () => window.__fixture.mfa !== '', undefined, 20_000);
  const { mfa } = await fixtureState(page);
  return { code: mfa, owners: whoseCode(mfa, from, Date.now()) };
}

export async function legacyIam(d, page, user = 'alice') {
  await page.goto('https://123456789012.signin.aws.amazon.com/console');
  await d.visible(page, '#username');
  await page.type('#username', user);
  await page.type('#password', 'hunter2');
  await page.click('#signin_button');
}

export async function legacyRoot(d, page) {
  await page.goto(rootSigninUrl());
  await d.visible(page, '#resolving_input');
  await page.type('#resolving_input', 'root@example.com');
  await page.click('#next_button');
  await d.visible(page, '#password');
  await page.type('#password', 'hunter2');
  await page.click('#signin_button');
}

/** The 2024 UI's root flow: user type, e-mail, password (tests/fixtures/aws/unified-root.html). */
export async function unifiedRoot(d, page, email = 'root@example.com') {
  await page.goto(rootSigninUrl());
  await d.visible(page, '#resolving_input');
  await page.click('#user-type-ROOT');
  await page.type('#resolving_input', email);
  await page.click('#next_button');
  await d.visible(page, '#password');
  await page.type('#password', 'hunter2');
  await page.click('#signin_button');
}

export async function unified(d, page) {
  await page.goto('https://my-alias.signin.aws.amazon.com/console');
  await d.visible(page, '#username');
  await page.type('#username', 'alice');
  await page.type('#password', 'hunter2');
  await page.click('#signin_button');
}

/** The multi-device flow for account 123456789012 without a user name: ambiguous. */
export async function chooserFlow(d, page) {
  await page.goto(oauthUrl('123456789012'));
  await d.visible(page, '#signin_button');
  await page.click('#signin_button');
}

/** Whether Tessera's in-page chooser (a closed shadow root under <html>) is on the page. */
export const chooserShown = (page) =>
  page.evaluate(() => [...document.documentElement.children].some((e) => e.tagName === 'DIV'));

/** Nothing filled, nothing submitted, no chooser, a while after the MFA step appeared. */
export async function assertNothingHappens(d, page) {
  await d.waitFor(page, () => window.__fixture.step === 'mfa');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const state = await fixtureState(page);
  assert.equal(state.mfa, '');
  assert.equal(state.submitted, false);
  assert.equal(await chooserShown(page), false);
}
