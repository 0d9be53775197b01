// The content script (extension/content/aws-mfa.js) against the AWS sign-in fixtures, in happy-dom:
// each flow at its real URL, SPA timing and controlled inputs included. The real-browser versions
// of these tests belong in tests/e2e.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, test } from 'node:test';

import { createFixtureServer, oauthUrl, rootSigninUrl } from '../fixtures/aws/routes.mjs';
import {
  click,
  close,
  fakeBackground,
  fixtureState,
  injectContentScript,
  openPage,
  type,
  until,
} from './dom-harness.mjs';

const MSG = {
  CREDENTIALS_TYPED: 'tessera:credentials-typed',
  MFA_STEP_SHOWN: 'tessera:mfa-step-shown',
  CANDIDATE_CHOSEN: 'tessera:candidate-chosen',
  FILL_CODE: 'tessera:fill-code',
  SHOW_CHOOSER: 'tessera:show-chooser',
  NOTHING_TO_FILL: 'tessera:nothing-to-fill',
  RESCAN: 'tessera:rescan',
};
const fillWith = (code, autoSubmit) => (message) =>
  message.type === MSG.MFA_STEP_SHOWN || message.type === MSG.CANDIDATE_CHOSEN
    ? { type: MSG.FILL_CODE, code, autoSubmit }
    : undefined;

let pages = [];
async function open(ui, url, options = {}) {
  const server = createFixtureServer({ ui, ...options });
  const page = await openPage(server, url);
  pages.push(page);
  return page;
}
afterEach(async () => {
  await Promise.all(pages.map(close));
  pages = [];
});

const ofType = (bg, type) => bg.sent.filter((m) => m.type === type);

describe('fixtures reproduce the pages', () => {
  test('ACCOUNT.signin.aws.amazon.com/console redirects to the regional OAuth page', async () => {
    const page = await open('legacy-iam', 'https://my-alias.signin.aws.amazon.com/console');
    assert.equal(page.url, oauthUrl('my-alias'));
    assert.equal(new URL(page.url).host, 'us-east-1.signin.aws.amazon.com');
    assert.equal(page.document.getElementById('account').value, 'my-alias');
  });

  test('the React-style input ignores a plain value assignment', async () => {
    const page = await open('unified', oauthUrl('123456789012'));
    const input = page.document.getElementById('username');
    input.value = 'mallory';
    input.dispatchEvent(new page.window.Event('input', { bubbles: true }));
    assert.equal(input.value, '', 'restored to the state, as React does');
    type(page, '#username', 'alice'); // the native setter path registers
    assert.equal(input.value, 'alice');
    click(page, '#signin_button');
    await until(() => fixtureState(page).step === 'mfa', 'mfa step');
    assert.deepEqual({ ...fixtureState(page).credentials }, { account: '123456789012', username: 'alice' });
  });

  test('the MFA input appears only after the request, not before', async () => {
    const page = await open('unified', oauthUrl('123456789012'));
    assert.equal(page.document.getElementById('mfaCode'), null);
    click(page, '#signin_button');
    assert.equal(page.document.getElementById('mfaCode'), null, 'not synchronously');
    await until(() => page.document.getElementById('mfaCode'), 'mfa input');
    assert.match(page.window.location.pathname, /^\/oauth\/mfa$/, 'route changed');
  });

  test('the status element shows what was filled and submitted', async () => {
    const page = await open('legacy-root', rootSigninUrl());
    const status = () => page.document.getElementById('fixture-status').textContent;
    assert.equal(status(), 'flow=legacy-root step=credentials mfa=- submitted=no');
  });
});

describe('legacy IAM sign-in', () => {
  test('reports account and user, fills input#mfacode and submits', async () => {
    const page = await open('legacy-iam', 'https://123456789012.signin.aws.amazon.com/console');
    const bg = fakeBackground(fillWith('123456', true));
    injectContentScript(page, bg);
    type(page, '#username', 'alice');
    type(page, '#password', 'hunter2');
    assert.equal(ofType(bg, MSG.MFA_STEP_SHOWN).length, 0);
    click(page, '#signin_button');
    await until(() => fixtureState(page).submitted, 'submit');
    assert.equal(fixtureState(page).submittedCode, '123456');
    assert.deepEqual(ofType(bg, MSG.CREDENTIALS_TYPED), [
      { type: MSG.CREDENTIALS_TYPED, field: 'account', value: '123456789012' },
      { type: MSG.CREDENTIALS_TYPED, field: 'username', value: 'alice' },
    ]);
    assert.deepEqual(ofType(bg, MSG.MFA_STEP_SHOWN), [
      { type: MSG.MFA_STEP_SHOWN, ui: 'legacy-iam', manual: false },
    ]);
    assert.ok(!JSON.stringify(bg.sent).includes('hunter2'), 'the password is never sent');
    assert.equal(page.server.log.at(-1).action, 'mfa');
  });

  test('without auto-submit the code is filled and registered, not submitted', async () => {
    const page = await open('legacy-iam', 'https://123456789012.signin.aws.amazon.com/console');
    const bg = fakeBackground(fillWith('654321', false));
    injectContentScript(page, bg);
    click(page, '#signin_button');
    await until(() => fixtureState(page).mfa === '654321', 'fill');
    await sleep(200);
    assert.equal(fixtureState(page).submitted, false);
    assert.equal(page.document.getElementById('mfacode').value, '654321');
  });
});

describe('legacy root sign-in', () => {
  test('reports the e-mail, ignores the hidden MFA step, fills #mfaCode', async () => {
    const page = await open('legacy-root', rootSigninUrl());
    const bg = fakeBackground(fillWith('111222', true));
    injectContentScript(page, bg);
    type(page, '#resolving_input', 'root@example.com');
    click(page, '#next_button');
    await until(() => fixtureState(page).step === 'password', 'password step');
    type(page, '#password', 'hunter2');
    // The MFA input exists (hidden) since page load: nothing may be requested yet.
    assert.ok(page.document.getElementById('mfaCode'));
    assert.equal(ofType(bg, MSG.MFA_STEP_SHOWN).length, 0);
    click(page, '#signin_button');
    await until(() => fixtureState(page).submitted, 'submit');
    assert.equal(fixtureState(page).submittedCode, '111222');
    assert.deepEqual(ofType(bg, MSG.CREDENTIALS_TYPED), [
      { type: MSG.CREDENTIALS_TYPED, field: 'resolving', value: 'root@example.com' },
    ]);
    assert.deepEqual(ofType(bg, MSG.MFA_STEP_SHOWN), [
      { type: MSG.MFA_STEP_SHOWN, ui: 'legacy-root', manual: false },
    ]);
  });
});

describe('2024 unified sign-in', () => {
  test('fills the React-controlled input#mfaCode so the page registers it', async () => {
    const page = await open('unified', 'https://123456789012.signin.aws.amazon.com/console');
    const bg = fakeBackground(fillWith('246810', true));
    injectContentScript(page, bg);
    type(page, '#username', 'alice');
    click(page, '#signin_button');
    await until(() => fixtureState(page).submitted, 'submit');
    assert.equal(fixtureState(page).submittedCode, '246810');
    assert.deepEqual(ofType(bg, MSG.MFA_STEP_SHOWN), [
      { type: MSG.MFA_STEP_SHOWN, ui: 'unified', manual: false },
    ]);
  });

  test('the multi-device chooser: picks Authenticator app, continues, fills', async () => {
    const page = await open('chooser', oauthUrl('123456789012'));
    const bg = fakeBackground(fillWith('135790', true));
    injectContentScript(page, bg);
    click(page, '#signin_button');
    await until(() => fixtureState(page).submitted, 'submit');
    assert.equal(fixtureState(page).device, 'SWHW');
    assert.equal(fixtureState(page).submittedCode, '135790');
    assert.deepEqual(
      ofType(bg, MSG.MFA_STEP_SHOWN).map((m) => m.ui),
      ['chooser', 'unified'],
    );
  });

  test('nothing to fill: the chooser screen is left alone', async () => {
    const page = await open('chooser', oauthUrl('123456789012'));
    const bg = fakeBackground(() => ({ type: MSG.NOTHING_TO_FILL, reason: 'locked' }));
    injectContentScript(page, bg);
    click(page, '#signin_button');
    await until(() => ofType(bg, MSG.MFA_STEP_SHOWN).length === 1, 'request');
    await sleep(100);
    assert.equal(fixtureState(page).device, null);
    assert.ok(page.document.querySelector('[data-testid="mfa-continue-button"]'));
  });
});

describe('2024 UI, root user', () => {
  // A background that answers like the real one for root sign-ins: the code of the entry whose
  // root e-mail the page reported (the real ranking is exercised in tests/e2e), a device-chooser
  // reply on the chooser.
  const ROOT_CODES = { 'root@example.com': '314159', 'other-root@example.com': '271828' };
  function rootBackground() {
    const bg = fakeBackground((m) => {
      if (m.type !== MSG.MFA_STEP_SHOWN) return undefined;
      if (m.ui === 'chooser') return { type: MSG.SHOW_CHOOSER, candidates: [] };
      const email = ofType(bg, MSG.CREDENTIALS_TYPED).findLast((c) => c.field === 'resolving')?.value;
      const code = ROOT_CODES[email];
      return code
        ? { type: MSG.FILL_CODE, code, autoSubmit: true }
        : { type: MSG.NOTHING_TO_FILL, reason: 'no-candidate' };
    });
    return bg;
  }

  async function signInAsRoot(page, email) {
    click(page, '#user-type-ROOT');
    type(page, '#resolving_input', email);
    click(page, '#next_button');
    await until(() => fixtureState(page).step === 'password', 'password step');
    assert.equal(page.document.getElementById('resolving_input'), null, 'the e-mail step is gone');
    type(page, '#password', 'hunter2');
    click(page, '#signin_button');
  }

  test('the root e-mail typed at the first step picks the code filled at the MFA step', async () => {
    const page = await open('unified-root', rootSigninUrl());
    const bg = rootBackground();
    injectContentScript(page, bg);
    await signInAsRoot(page, 'root@example.com');
    await until(() => fixtureState(page).submitted, 'submit');
    assert.equal(fixtureState(page).submittedCode, ROOT_CODES['root@example.com']);
    assert.notEqual(fixtureState(page).submittedCode, ROOT_CODES['other-root@example.com']);
    assert.match(page.window.location.pathname, /^\/signin\/mfa$/, 'route changed');
    assert.deepEqual(ofType(bg, MSG.CREDENTIALS_TYPED), [
      { type: MSG.CREDENTIALS_TYPED, field: 'resolving', value: 'root@example.com' },
    ]);
    assert.deepEqual(ofType(bg, MSG.MFA_STEP_SHOWN), [
      { type: MSG.MFA_STEP_SHOWN, ui: 'unified', manual: false },
    ]);
    assert.ok(!JSON.stringify(bg.sent).includes('hunter2'), 'the password is never sent');
  });

  test("another account's root e-mail gets that account's code, not the first one's", async () => {
    const page = await open('unified-root', rootSigninUrl());
    const bg = rootBackground();
    injectContentScript(page, bg);
    await signInAsRoot(page, 'other-root@example.com');
    await until(() => fixtureState(page).submitted, 'submit');
    assert.equal(fixtureState(page).submittedCode, ROOT_CODES['other-root@example.com']);
  });

  test('with several MFA devices: Authenticator app is chosen, then the code is filled', async () => {
    const page = await open('unified-root', rootSigninUrl(), { config: { devices: ['U2F', 'SWHW'] } });
    const bg = rootBackground();
    injectContentScript(page, bg);
    await signInAsRoot(page, 'root@example.com');
    await until(() => fixtureState(page).submitted, 'submit');
    assert.equal(fixtureState(page).device, 'SWHW');
    assert.equal(fixtureState(page).submittedCode, ROOT_CODES['root@example.com']);
    assert.deepEqual(
      ofType(bg, MSG.MFA_STEP_SHOWN).map((m) => m.ui),
      ['chooser', 'unified'],
    );
  });

  test('the page registers nothing typed without a real input event (React-controlled)', async () => {
    const page = await open('unified-root', rootSigninUrl());
    const input = page.document.getElementById('resolving_input');
    input.value = 'mallory@example.com';
    input.dispatchEvent(new page.window.Event('input', { bubbles: true }));
    assert.equal(input.value, '', 'restored to the state, as React does');
  });
});

describe('in-page chooser', () => {
  const candidates = [
    { id: 'e1', label: 'prod / alice (phone)' },
    { id: 'e2', label: '<img src=x onerror=alert(1)>' },
  ];

  test('lists candidate labels in a closed shadow root and fills the chosen one', async () => {
    const page = await open('unified', oauthUrl('123456789012'));
    const bg = fakeBackground((m) => {
      if (m.type === MSG.MFA_STEP_SHOWN) return { type: MSG.SHOW_CHOOSER, candidates };
      if (m.type === MSG.CANDIDATE_CHOSEN) return { type: MSG.FILL_CODE, code: '999000', autoSubmit: false };
      return undefined;
    });
    injectContentScript(page, bg);
    click(page, '#signin_button');
    await until(() => page.shadowRoots.length === 1, 'chooser');
    const { host, root, mode } = page.shadowRoots[0];
    assert.equal(mode, 'closed');
    assert.equal(host.shadowRoot, null, 'the page cannot reach into it');
    const buttons = [...root.querySelectorAll('li button')];
    assert.deepEqual(buttons.map((b) => b.textContent), candidates.map((c) => c.label));
    assert.equal(root.querySelector('img'), null, 'labels are text, never markup');
    assert.equal(page.document.getElementById('mfaCode').value, '', 'nothing guessed');
    root.querySelector('input[type=checkbox]').click();
    buttons[0].click();
    await until(() => fixtureState(page).mfa === '999000', 'fill');
    assert.deepEqual(ofType(bg, MSG.CANDIDATE_CHOSEN), [
      { type: MSG.CANDIDATE_CHOSEN, id: 'e1', remember: true },
    ]);
    assert.equal(host.isConnected, false, 'the chooser closes');
  });

  test('"Not now" closes it without filling', async () => {
    const page = await open('unified', oauthUrl('123456789012'));
    const bg = fakeBackground((m) =>
      m.type === MSG.MFA_STEP_SHOWN ? { type: MSG.SHOW_CHOOSER, candidates } : undefined,
    );
    injectContentScript(page, bg);
    click(page, '#signin_button');
    await until(() => page.shadowRoots.length === 1, 'chooser');
    const { host, root } = page.shadowRoots[0];
    root.querySelector('button.close').click();
    assert.equal(host.isConnected, false);
    assert.equal(ofType(bg, MSG.CANDIDATE_CHOSEN).length, 0);
  });
});

describe('messages from the background', () => {
  async function mfaPage() {
    const page = await open('unified', oauthUrl('123456789012'));
    const bg = fakeBackground(() => ({ type: MSG.NOTHING_TO_FILL, reason: 'no-candidate' }));
    injectContentScript(page, bg);
    click(page, '#signin_button');
    await until(() => ofType(bg, MSG.MFA_STEP_SHOWN).length === 1, 'mfa step');
    return { page, bg };
  }

  test('a pushed FILL_CODE fills (the next code, after the window turned)', async () => {
    const { page, bg } = await mfaPage();
    bg.push({ type: MSG.FILL_CODE, code: '12345678', autoSubmit: false });
    assert.equal(fixtureState(page).mfa, '12345678');
  });

  test('RESCAN asks again, as a manual request', async () => {
    const { bg } = await mfaPage();
    bg.push({ type: MSG.RESCAN });
    await until(() => ofType(bg, MSG.MFA_STEP_SHOWN).length === 2, 'second request');
    assert.equal(ofType(bg, MSG.MFA_STEP_SHOWN)[1].manual, true);
  });

  test('malformed messages and other senders are ignored', async () => {
    const { page, bg } = await mfaPage();
    const bad = [
      { type: MSG.FILL_CODE, code: '12345', autoSubmit: false },
      { type: MSG.FILL_CODE, code: '123456789', autoSubmit: false },
      { type: MSG.FILL_CODE, code: '12345a', autoSubmit: false },
      { type: MSG.FILL_CODE, code: '123456', autoSubmit: 'yes' },
      { type: MSG.FILL_CODE, code: '123456' },
      { type: MSG.FILL_CODE, code: '123456', autoSubmit: false, seed: 'JBSWY3DPEHPK3PXP' },
      { type: 'tessera:unknown', code: '123456', autoSubmit: false },
      [MSG.FILL_CODE, '123456'],
      null,
      'tessera:fill-code',
    ];
    for (const message of bad) bg.push(message);
    bg.push({ type: MSG.FILL_CODE, code: '123456', autoSubmit: false }, { id: 'another-extension' });
    bg.push({ type: MSG.SHOW_CHOOSER, candidates: [{ id: 'bad id!', label: 'x' }] });
    bg.push({ type: MSG.SHOW_CHOOSER, candidates: [{ id: 'e1', label: 'x'.repeat(201) }] });
    await sleep(50);
    assert.equal(fixtureState(page).mfa, '');
    assert.equal(page.document.getElementById('mfaCode').value, '');
    assert.equal(page.shadowRoots.length, 0);
  });

  test('a wrong code re-rendering the input is retried at most three times', async () => {
    const page = await open('unified', oauthUrl('123456789012'));
    const bg = fakeBackground(fillWith('123456', false));
    injectContentScript(page, bg);
    click(page, '#signin_button');
    await until(() => fixtureState(page).mfa === '123456', 'first fill');
    for (let i = 0; i < 5; i += 1) {
      // The page shows a fresh, empty input (as after a rejected code).
      page.window.eval(`document.getElementById('mfaCode').replaceWith(Object.assign(document.createElement('input'), { id: 'mfaCode' }))`);
      await sleep(20);
    }
    assert.equal(ofType(bg, MSG.MFA_STEP_SHOWN).length, 3);
  });

  test('a code the user is already typing is not overwritten automatically', async () => {
    const page = await open('legacy-root', rootSigninUrl());
    const bg = fakeBackground(fillWith('123456', false));
    injectContentScript(page, bg);
    page.document.getElementById('mfaCode').value = '12';
    page.window.Fixture.show('mfa_container');
    await sleep(50);
    assert.equal(ofType(bg, MSG.MFA_STEP_SHOWN).length, 0);
  });
});

describe('where the content script does nothing', () => {
  test('http: no message, no listener', async () => {
    const page = await open('legacy-root', 'http://signin.aws.amazon.com/signin', { anyUrl: true });
    const bg = fakeBackground(fillWith('123456', true));
    injectContentScript(page, bg);
    page.window.Fixture.show('mfa_container');
    await sleep(50);
    bg.push({ type: MSG.FILL_CODE, code: '123456', autoSubmit: false });
    assert.equal(bg.sent.length, 0);
    assert.equal(bg.listeners.length, 0);
    assert.equal(page.document.getElementById('mfaCode').value, '');
  });

  test('without an extension runtime (not injected by the extension): nothing', async () => {
    const page = await open('legacy-root', rootSigninUrl());
    page.window.eval(
      (await import('./dom-harness.mjs')).CONTENT_SCRIPT,
    );
    page.window.Fixture.show('mfa_container');
    await sleep(20);
    assert.equal(fixtureState(page).mfa, '');
  });

  test('pages that merely have inputs named like codes are never touched', async () => {
    const page = await open('legacy-root', rootSigninUrl());
    const bg = fakeBackground(fillWith('123456', true));
    injectContentScript(page, bg);
    page.window.eval(`
      document.body.insertAdjacentHTML('beforeend',
        '<input id="code"><input id="otp-code" name="mfacode"><input id="verificationCode">');
    `);
    await sleep(50);
    assert.equal(ofType(bg, MSG.MFA_STEP_SHOWN).length, 0);
    bg.push({ type: MSG.FILL_CODE, code: '123456', autoSubmit: false });
    for (const id of ['code', 'otp-code', 'verificationCode']) {
      assert.equal(page.document.getElementById(id).value, '', id);
    }
  });
});
