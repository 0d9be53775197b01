// Runs the BUILT console (dist/www, from `cargo xtask dist`) in happy-dom with the real wasm
// package and a fake team server (an in-memory stand-in for the routes a test needs, recording
// every request). Argon2id runs inline with the floor parameters (the worker is the browser's).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

import { Window } from 'happy-dom';

export const WWW = new URL('../../dist/www/', import.meta.url);
const WASM = new URL('pkg/tessera_wasm_bg.wasm', WWW);
if (!fs.existsSync(WASM)) {
  throw new Error(`${fileURLToPath(WASM)} is missing: run \`cargo xtask dist\` first`);
}

// One window for the whole test file: the console's modules use the global document.
export const window = new Window({ url: 'http://127.0.0.1:8787/', settings: { disableJavaScriptFileLoading: true, disableCSSFileLoading: true } });
globalThis.document = window.document;
globalThis.window = window;

export const wasm = await import(new URL('pkg/tessera_wasm.js', WWW).href);
wasm.initSync({ module: fs.readFileSync(WASM) });

/** Imports a console module from dist/www (e.g. 'console/app.js'). */
export function load(path) {
  return import(new URL(path, WWW).href);
}

const { TeamClient, b64 } = await load('shared/team-client.js');
const { inlineKdf } = await load('console/kdf.js');
const { keyringStore } = await load('console/keyring-store.js');
export { b64 };

/** The Argon2id floor (KdfParams::MIN), so tests seal in a fraction of a second. */
export const FAST_KDF = { mKib: 19 * 1024, t: 2, p: 1 };

/** A Storage stand-in (localStorage). */
export function memoryStorage() {
  const map = new Map();
  return {
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => map.set(k, String(v)),
    removeItem: (k) => map.delete(k),
  };
}

/**
 * A fake server: `routes` maps 'METHOD /path' (exact path, no query) to
 * `(body, query) => [status, json] | [status, text, 'text']`. Unknown routes answer 404.
 * `requests` records {method, path, query, body}.
 */
export function fakeServer(routes) {
  const requests = [];
  const fetch = async (url, init = {}) => {
    const u = new URL(url);
    const method = init.method ?? 'GET';
    const body = init.body ? JSON.parse(init.body) : undefined;
    requests.push({ method, path: u.pathname, query: Object.fromEntries(u.searchParams), body, auth: init.headers?.Authorization ?? null });
    const handler = routes[`${method} ${u.pathname}`];
    const [status, payload, kind] = handler
      ? await handler(body, Object.fromEntries(u.searchParams))
      : [404, { error: { code: 'not_found', message: 'no such route' } }];
    const text = kind === 'text' ? payload : payload === null ? '' : JSON.stringify(payload);
    return new Response(status === 204 ? null : text, { status, headers: { 'Content-Type': 'application/json' } });
  };
  return { fetch, requests };
}

/** Signs in without checking (the fake server trusts any signature). */
export function authRoutes(me) {
  return {
    'POST /api/v1/auth/challenge': () => [200, { challenge_id: '11'.repeat(16), nonce: b64(new Uint8Array(32)), audience: 'http://127.0.0.1:8787', expires_ms: Date.now() + 60_000 }],
    'POST /api/v1/auth/session': () => [200, { token: 'session-token', expires_ms: Date.now() + 3_600_000, member_id: me.member_id, role: me.role }],
    'GET /api/v1/members/me': () => [200, me],
    'DELETE /api/v1/auth/session': () => [204, null],
  };
}

/** A fresh page root and app object around a fake server. */
export function makeApp(server, extra = {}) {
  document.body.replaceChildren();
  const error = document.createElement('p');
  error.id = 'error';
  error.hidden = true;
  const notice = document.createElement('p');
  notice.id = 'notice';
  notice.hidden = true;
  const root = document.createElement('main');
  root.id = 'main';
  document.body.append(error, notice, root);
  return {
    wasm,
    client: new TeamClient('http://127.0.0.1:8787', { fetch: server.fetch }),
    store: keyringStore(memoryStorage()),
    kdf: inlineKdf(wasm, FAST_KDF),
    readQr: async () => null,
    root,
    origin: 'http://127.0.0.1:8787',
    ...extra,
  };
}

/** Lets pending promises and timers run. */
export async function settle(ms = 0) {
  for (let i = 0; i < 5; i += 1) await new Promise((r) => setTimeout(r, ms));
}

/** Waits until `check()` is truthy (polling), or throws with `what`. */
export async function until(check, what, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; #error: ${document.getElementById('error')?.textContent}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const $ = (selector) => document.querySelector(selector);

/** Sets an input's value and fires `input`. */
export function type(selector, value) {
  const el = $(selector);
  if (!el) throw new Error(`no ${selector}`);
  el.value = value;
  el.dispatchEvent(new window.Event('input', { bubbles: true }));
}

export function click(selector) {
  const el = $(selector);
  if (!el) throw new Error(`no ${selector}`);
  el.click();
}

export function errorText() {
  const box = $('#error');
  return box && !box.hidden ? box.textContent : '';
}

/** Base64 -> Uint8Array (for assertions). */
export function unb64Bytes(text) {
  return Uint8Array.from(Buffer.from(text, 'base64'));
}
