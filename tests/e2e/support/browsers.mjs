// Where the e2e tests find their browsers and the built extension, whether they can run, and how
// they launch them (Chromium with or without the extension, Firefox with the add-on).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';

import { asIntercepted } from '../../fixtures/aws/routes.mjs';
import { serverBinary } from './server.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** dist/<target>/ (from `cargo xtask dist`), with a trailing slash. */
export function distDir(target) {
  return fileURLToPath(new URL(`../../../dist/${target}/`, import.meta.url));
}

/**
 * The reason a suite cannot run (for `describe(..., { skip })`), or false: no browser, no
 * dist/<target>, or (with `server`) no tessera-server binary. scripts/test.sh (and
 * so CI) sets TESSERA_E2E_REQUIRED: there a missing browser or build is a failure, never a silent
 * skip.
 */
export function skipReason(browserName, executable, target, { server = false } = {}) {
  const skip = !existsSync(executable)
    ? `no ${browserName} at ${executable}`
    : !existsSync(join(distDir(target), 'manifest.json'))
      ? `dist/${target} is missing: run \`cargo xtask dist\``
      : server && !serverBinary()
        ? 'no tessera-server binary: run `cargo build -p tessera-server`'
        : false;
  if (skip && process.env.TESSERA_E2E_REQUIRED) throw new Error(`browser tests cannot run: ${skip}`);
  return skip;
}

/**
 * The reason a web console suite cannot run (no browser, no dist/www, no tessera-server binary),
 * or false; thrown instead under TESSERA_E2E_REQUIRED, as in skipReason.
 */
export function consoleSkipReason(browserName, executable, suite) {
  const skip = !existsSync(executable)
    ? `no ${browserName} at ${executable}`
    : !existsSync(new URL('../../../dist/www/index.html', import.meta.url))
      ? 'dist/www is missing: run `cargo xtask dist`'
      : !serverBinary()
        ? 'no tessera-server binary: run `cargo build -p tessera-server`'
        : false;
  if (skip && process.env.TESSERA_E2E_REQUIRED) throw new Error(`${suite} tests cannot run: ${skip}`);
  return skip;
}

/** The switches every Chromium launch uses: no sandbox (containers), nothing in the background. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Headless Chromium without the extension (playwright-core). */
export function launchChromium({ args = [] } = {}) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...args] });
}

/**
 * Headless Chromium with the built extension in `extensionDir` (dist/chrome), in a persistent
 * profile at `profileDir` (playwright-core). Resolves `{context, extensionId}` once the
 * extension's service worker runs and, with `firstRun` (a new profile: the default), once the
 * options page it opens on install is there (`options`, that page). Pass `firstRun: false` to
 * relaunch a profile.
 */
export async function launchChromiumWithExtension(profileDir, extensionDir, { args = [], firstRun = true } = {}) {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`, ...CHROMIUM_ARGS, ...args],
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  const extensionId = new URL(worker.url()).host;
  let options;
  if (firstRun) {
    // On install the extension opens its options page (to create the vault): wait for it, so it
    // cannot take over a blank tab a test is navigating ("navigation interrupted").
    const url = `chrome-extension://${extensionId}/options/options.html`;
    for (let i = 0; i < 150 && !options; i += 1) {
      options = context.pages().find((p) => p.url() === url);
      if (!options) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!options) {
      await context.close();
      throw new Error('the options page did not open on install');
    }
  }
  return { context, extensionId, options };
}

/**
 * Headless Chromium with the built extension in `extensionDir` (dist/chrome) through
 * puppeteer-core, for tests that need `page.triggerExtensionAction` (a real toolbar click).
 * Resolves `{browser, extension, options}`: the extension and the options page it opens on
 * first run.
 */
export async function launchPuppeteerChromiumWithExtension(extensionDir) {
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, pipe: true, enableExtensions: [extensionDir], args: CHROMIUM_ARGS });
  try {
    const optionsTarget = await browser.waitForTarget((t) => t.url().endsWith('/options/options.html'), { timeout: 15_000 });
    const extension = [...(await browser.extensions()).values()].find((e) => e.name === 'Tessera');
    assert.ok(extension, 'the extension is installed');
    return { browser, extension, options: await optionsTarget.asPage() };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/**
 * Answers `page`'s requests whose URL matches `hosts` from the fixture server `serverOf()` returns
 * (read per request: a suite may swap servers between tests); the others go through. For
 * puppeteer over WebDriver BiDi (Firefox); Playwright suites use `route` with asIntercepted.
 */
export async function answerFromFixture(page, hosts, serverOf) {
  await page.setRequestInterception(true);
  page.on('request', async (request) => {
    if (!hosts.test(request.url())) return request.continue();
    // Over BiDi, postData() throws UnsupportedOperation; fetchPostData() reads the body.
    const body = request.method() === 'POST' ? ((await request.fetchPostData()) ?? null) : null;
    return request.respond(asIntercepted(serverOf().handle(request.url(), request.method(), body)));
  });
}

/** A page's location as its document says (page.url() can lag for extension-opened tabs). */
export const hrefOf = (page) => page.evaluate(() => location.href).catch(() => '');

/**
 * Headless Firefox ESR (puppeteer-core over WebDriver BiDi) with `prefs`. With `addon` (for
 * installFirefoxAddon), warnings-as-errors too: any manifest warning makes the install fail, as in
 * Firefox's own extension tests.
 */
export function launchFirefox({ addon = false, prefs = {} } = {}) {
  const extraPrefsFirefox = addon ? { 'extensions.webextensions.warnings-as-errors': true, ...prefs } : prefs;
  return puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, extraPrefsFirefox });
}

/**
 * Installs the built add-on in `extensionDir` (dist/firefox) as a temporary add-on and resolves
 * the options page it opens on install (first run), after `settleMs`.
 */
export async function installFirefoxAddon(browser, extensionDir, { settleMs = 2000 } = {}) {
  await browser.installExtension(extensionDir);
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  let options;
  for (let i = 0; i < 100 && !options; i += 1) {
    for (const page of await browser.pages()) {
      const href = await hrefOf(page);
      if (href.startsWith('moz-extension://') && href.endsWith('options/options.html')) options = page;
    }
    if (!options) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(options, 'the options page opened on install');
  return options;
}

/**
 * Records in `problems` every console error, CSP refusal, page error and HTTP failure of a
 * playwright `page` (named `name` in the record), except the HTTP failures `expected(status,
 * method, url)` allows. Returns the page.
 */
export function watchPage(page, name, problems, expected = () => false) {
  page.on('console', (msg) => {
    if (/^Failed to load resource/.test(msg.text())) return;
    if (msg.type() === 'error' || /Content Security Policy|Refused to/i.test(msg.text())) problems.push(`${name}: ${msg.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !expected(r.status(), r.request().method(), r.url())) problems.push(`${name}: HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`));
  return page;
}
