// Runs a fixture page and the real content script in happy-dom, the way a browser would: the page
// at its real URL (redirects followed), its own scripts running, fetch answered by the fixture
// server, and content/aws-mfa.js evaluated in the page's window with a fake extension runtime
// standing in for the background.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { Window } from 'happy-dom';

export const CONTENT_SCRIPT = readFileSync(
  new URL('../../extension/content/aws-mfa.js', import.meta.url),
  'utf8',
);

const SETTINGS = {
  enableJavaScriptEvaluation: true,
  suppressInsecureJavaScriptEnvironmentWarning: true,
  disableJavaScriptFileLoading: true,
  disableCSSFileLoading: true,
  navigation: { disableMainFrameNavigation: true, disableChildFrameNavigation: true },
};

/** Latency of the fixture API, like a real XHR: the next step appears later, not synchronously. */
const API_LATENCY_MS = 15;

/** Opens `url` on `server` (following redirects) and returns the page. */
export async function openPage(server, url) {
  let current = url;
  let response = server.handle(current);
  for (let hops = 0; response.status >= 300 && response.status < 400; hops += 1) {
    if (hops > 5) throw new Error('redirect loop');
    current = new URL(response.headers.location, current).href;
    response = server.handle(current);
  }
  if (response.status !== 200) throw new Error(`${current}: ${response.status}`);

  const window = new Window({ url: current, settings: SETTINGS, console: globalThis.console });
  window.fetch = async (input, init = {}) => {
    await sleep(API_LATENCY_MS);
    const target = new URL(String(input), window.location.href).href;
    const r = server.handle(target, init.method ?? 'GET', init.body ?? null);
    return new window.Response(r.body, { status: r.status, headers: r.headers });
  };
  // Closed shadow roots are unreachable from the page; the test keeps a reference to inspect them.
  const shadowRoots = [];
  const attachShadow = window.Element.prototype.attachShadow;
  window.Element.prototype.attachShadow = function attach(init) {
    const root = attachShadow.call(this, init);
    shadowRoots.push({ host: this, root, mode: init.mode });
    return root;
  };
  window.document.write(response.body);
  await window.happyDOM.waitUntilComplete();
  return { window, document: window.document, url: current, shadowRoots, server };
}

/**
 * A fake extension runtime: records what the content script sends and answers with
 * `reply(message)` (a message object, or undefined for no answer). `push` delivers a message from
 * the background as runtime.onMessage would.
 */
export function fakeBackground(reply = () => undefined) {
  const sent = [];
  const listeners = [];
  const runtime = {
    id: 'tessera-test-extension',
    async sendMessage(message) {
      sent.push(structuredClone(message));
      await sleep(1);
      return reply(message);
    },
    onMessage: {
      addListener(listener) {
        listeners.push(listener);
      },
    },
  };
  return {
    chrome: { runtime },
    sent,
    listeners,
    push(message, sender = { id: runtime.id }) {
      for (const listener of listeners) listener(message, sender, () => {});
    },
  };
}

/** Evaluates the content script in the page, as the browser injects it at document_idle. */
export function injectContentScript(page, background) {
  page.window.chrome = background.chrome;
  page.window.eval(CONTENT_SCRIPT);
}

/** Types like a person: the native setter (what the browser does) plus an input event. */
export function type(page, selector, value) {
  const input = page.document.querySelector(selector);
  if (!input) throw new Error(`no ${selector}`);
  const setter = Object.getOwnPropertyDescriptor(page.window.HTMLInputElement.prototype, 'value').set;
  input.focus();
  setter.call(input, value);
  input.dispatchEvent(new page.window.Event('input', { bubbles: true }));
  input.dispatchEvent(new page.window.Event('change', { bubbles: true }));
}

export function click(page, selector) {
  const element = page.document.querySelector(selector);
  if (!element) throw new Error(`no ${selector}`);
  element.click();
}

/** Waits until `predicate()` is true (polling; the page and the content script run on timers). */
export async function until(predicate, what, timeoutMs = 2000) {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export const fixtureState = (page) => page.window.__fixture;

export async function close(page) {
  await page.window.happyDOM.close();
}
