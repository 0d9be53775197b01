// extension/browser.js: feature detection and the async message adapter, against fake APIs.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { actionApi, onMessage, sessionStorageArea } from '../../extension/browser.js';

function fakeApi(extra = {}) {
  const listeners = new Set();
  return {
    runtime: {
      onMessage: {
        addListener: (l) => listeners.add(l),
        removeListener: (l) => listeners.delete(l),
      },
    },
    listeners,
    ...extra,
  };
}

/** Delivers a message as the browser would and resolves with what the listener sent back. */
function deliver(api, message) {
  return new Promise((resolve) => {
    const [listener] = api.listeners;
    const keepOpen = listener(message, { id: 'x' }, resolve);
    if (keepOpen !== true) resolve(undefined);
  });
}

test('action API: action, else browserAction, else null', () => {
  const action = {};
  const browserAction = {};
  assert.equal(actionApi({ action, browserAction }), action);
  assert.equal(actionApi({ browserAction }), browserAction);
  assert.equal(actionApi({}), null);
  assert.equal(actionApi(undefined), null);
});

test('session storage when the browser has it, else null', () => {
  const session = {};
  assert.equal(sessionStorageArea({ storage: { session, local: {} } }), session);
  assert.equal(sessionStorageArea({ storage: { local: {} } }), null);
  assert.equal(sessionStorageArea({}), null);
});

test('onMessage answers sync and async handlers through sendResponse', async () => {
  const api = fakeApi();
  const remove = onMessage((message) => {
    if (message.kind === 'sync') return { n: 1 };
    if (message.kind === 'async') return Promise.resolve({ n: 2 });
    if (message.kind === 'throws') throw Object.assign(new Error('secret detail'), { code: 'vault_locked' });
    if (message.kind === 'rejects') return Promise.reject(new Error('secret detail'));
    return undefined;
  }, api);
  assert.deepEqual(await deliver(api, { kind: 'sync' }), { n: 1 });
  assert.deepEqual(await deliver(api, { kind: 'async' }), { n: 2 });
  assert.deepEqual(await deliver(api, { kind: 'throws' }), { error: 'vault_locked' });
  assert.deepEqual(await deliver(api, { kind: 'rejects' }), { error: 'internal' });
  assert.equal(await deliver(api, { kind: 'none' }), undefined);
  remove();
  assert.equal(api.listeners.size, 0);
});
