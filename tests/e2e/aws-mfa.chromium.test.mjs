// The content script in real Chromium, loaded the way the extension ships it: the emitted Chrome
// manifest (content_scripts from /manifest.json) and extension/content/aws-mfa.js, with a test
// background that answers a fixed code. Each fixture is served at its real AWS URL by request
// interception. Needs Debian's chromium (apt-get install -y chromium); skipped when it is absent.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { chromium } from 'playwright-core';

import { chromeManifest } from '../../extension/build/emit-manifests.mjs';
import { createFixtureServer, framingPage, oauthUrl, rootSigninUrl } from '../fixtures/aws/routes.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = new URL('../../', import.meta.url);
const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`;

function buildTestExtension() {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-ext-'));
  const manifest = chromeManifest(JSON.parse(readFileSync(new URL('manifest.json', ROOT), 'utf8')));
  manifest.background = { service_worker: 'background.js' }; // the test double is a classic worker
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  cpSync(new URL('extension/content/aws-mfa.js', ROOT), join(dir, 'content', 'aws-mfa.js'));
  cpSync(new URL('tests/e2e/support/fixed-code-background.js', ROOT), join(dir, 'background.js'));
  return dir;
}

/**
 * Chromium 156 with Playwright 1.65 fails a navigation whose intercepted response is a redirect
 * (route.fulfill with 3xx gives net::ERR_NAME_NOT_RESOLVED), so here the fixture's 302 becomes a
 * page that replaces its location at once. The DOM tests follow the real 302.
 */
function asFulfilled(response) {
  if (response.status >= 300 && response.status < 400) {
    const target = JSON.stringify(response.headers.location).replaceAll('<', '\\u003c');
    return {
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: `<!doctype html><script>location.replace(${target})</script>`,
    };
  }
  return { status: response.status, headers: response.headers, body: response.body };
}

describe('AWS sign-in in Chromium', { skip }, () => {
  let extensionDir;
  let profileDir;
  let context;
  let worker;
  let server;

  before(async () => {
    extensionDir = buildTestExtension();
    profileDir = mkdtempSync(join(tmpdir(), 'tessera-profile-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        `--disable-extensions-except=${extensionDir}`,
        `--load-extension=${extensionDir}`,
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // http://signin... must stay http for the http test.
        '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable',
      ],
    });
    worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
    // Every request is answered here: nothing reaches the network.
    await context.route('**/*', async (route) => {
      const request = route.request();
      const response = server.handle(request.url(), request.method(), request.postData());
      await route.fulfill(asFulfilled(response));
    });
  });

  after(async () => {
    await context?.close();
    for (const dir of [extensionDir, profileDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const received = () => worker.evaluate(() => globalThis.received.splice(0));
  const fixture = (page) => page.evaluate(() => ({ ...window.__fixture, events: undefined }));

  async function signedIn(page) {
    await page.waitForFunction(() => window.__fixture.submitted === true, null, { timeout: 10_000 });
    return fixture(page);
  }

  test('legacy IAM: ACCOUNT URL, regional redirect, input#mfacode filled and submitted', async () => {
    server = createFixtureServer({ ui: 'legacy-iam' });
    const page = await context.newPage();
    await page.goto('https://123456789012.signin.aws.amazon.com/console');
    await page.waitForURL(/^https:\/\/us-east-1\.signin\.aws\.amazon\.com\/oauth/);
    await page.fill('#username', 'alice');
    await page.fill('#password', 'hunter2');
    await page.click('#signin_button');
    const state = await signedIn(page);
    assert.equal(state.submittedCode, '123456');
    assert.match(await page.textContent('#fixture-status'), /submitted=123456/);
    const messages = (await received()).map((r) => r.message);
    assert.deepEqual(messages.filter((m) => m.type === 'tessera:credentials-typed').map((m) => [m.field, m.value]), [
      ['account', '123456789012'],
      ['username', 'alice'],
    ]);
    assert.ok(!JSON.stringify(messages).includes('hunter2'));
    await page.close();
  });

  test('legacy root: e-mail, password, hidden-then-shown #mfaCode', async () => {
    server = createFixtureServer({ ui: 'legacy-root' });
    const page = await context.newPage();
    await page.goto(rootSigninUrl());
    await page.fill('#resolving_input', 'root@example.com');
    await page.click('#next_button');
    await page.fill('#password', 'hunter2');
    await page.click('#signin_button');
    assert.equal((await signedIn(page)).submittedCode, '123456');
    const steps = (await received()).filter((r) => r.message.type === 'tessera:mfa-step-shown');
    assert.deepEqual(steps.map((r) => r.message.ui), ['legacy-root']);
    await page.close();
  });

  test('2024 UI: the React-controlled input#mfaCode registers the code', async () => {
    server = createFixtureServer({ ui: 'unified' });
    const page = await context.newPage();
    await page.goto('https://my-alias.signin.aws.amazon.com/console');
    await page.waitForURL(/^https:\/\/us-east-1\.signin\.aws\.amazon\.com\/oauth/);
    await page.fill('#username', 'alice');
    await page.click('#signin_button');
    assert.equal((await signedIn(page)).submittedCode, '123456');
    await received();
    await page.close();
  });

  test('multi-device chooser: Authenticator app, continue, fill', async () => {
    server = createFixtureServer({ ui: 'chooser' });
    const page = await context.newPage();
    await page.goto(oauthUrl('123456789012'));
    await page.click('#signin_button');
    const state = await signedIn(page);
    assert.equal(state.device, 'SWHW');
    assert.equal(state.submittedCode, '123456');
    await received();
    await page.close();
  });

  async function nothingHappens(page) {
    await page.waitForFunction(() => window.__fixture.step === 'mfa', null, { timeout: 10_000 });
    await page.waitForTimeout(500);
    const state = await fixture(page);
    assert.equal(state.mfa, '');
    assert.equal(state.submitted, false);
    assert.deepEqual(await received(), []);
  }

  test('a lookalike host gets nothing', async () => {
    server = createFixtureServer({ ui: 'unified', anyUrl: true });
    const page = await context.newPage();
    await page.goto('https://signin.aws.amazon.com.example.net/oauth?account=123456789012');
    await page.click('#signin_button');
    await nothingHappens(page);
    await page.close();
  });

  test('http gets nothing', async () => {
    server = createFixtureServer({ ui: 'unified', anyUrl: true });
    const page = await context.newPage();
    await page.goto('http://us-east-1.signin.aws.amazon.com/oauth?account=123456789012');
    assert.equal(new URL(page.url()).protocol, 'http:');
    await page.click('#signin_button');
    await nothingHappens(page);
    await page.close();
  });

  test('a sign-in page inside an iframe gets nothing', async () => {
    const inner = createFixtureServer({ ui: 'unified' });
    const frameUrl = oauthUrl('123456789012');
    server = {
      handle: (url, method, body) =>
        url.startsWith('https://framer.example/')
          ? { status: 200, headers: { 'content-type': 'text/html' }, body: framingPage(frameUrl) }
          : inner.handle(url, method, body),
    };
    const page = await context.newPage();
    await page.goto('https://framer.example/');
    const frame = page.frame({ url: /signin\.aws\.amazon\.com/ });
    assert.ok(frame, 'the sign-in page loaded in the frame');
    await frame.waitForSelector('#signin_button');
    await frame.click('#signin_button');
    await frame.waitForFunction(() => window.__fixture.step === 'mfa', null, { timeout: 10_000 });
    await page.waitForTimeout(500);
    const state = await frame.evaluate(() => ({ ...window.__fixture }));
    assert.equal(state.mfa, '');
    assert.equal(state.submitted, false);
    assert.deepEqual(await received(), []);
    await page.close();
  });
});
