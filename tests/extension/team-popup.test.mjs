// The popup's team parts in happy-dom: every row names its vault (.entry-vault), a search finds a
// team vault's entries by the vault's name, and a revocation is said (#team-notice).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Window } from 'happy-dom';

import { ORIGIN, fakeExtension, pageHtml, until } from './team-fakes.mjs';

const state = {
  entries: [
    { id: 'p1', label: 'personal one', type: 'totp', period: 30, vault: 'personal', vaultName: 'Personal', team: null, manage: true, editable: true },
    { id: 't1', label: 'prod root', type: 'totp', period: 30, vault: `${ORIGIN} v1`, vaultName: 'Prod AWS', team: ORIGIN, manage: false, editable: false },
  ],
  teams: [],
  failedEvents: [],
  notices: [{ origin: ORIGIN, text: `Your access to ${ORIGIN} was revoked.`, time: 1 }],
  grant: true,
};
let window;

before(async () => {
  window = new Window({ url: 'chrome-extension://test/popup/popup.html' });
  window.document.write(pageHtml('popup/popup.html'));
  globalThis.window = window;
  globalThis.document = window.document;
  globalThis.chrome = fakeExtension(state).chrome;
  await import('../../extension/popup/popup.js');
  await until(() => document.querySelectorAll('.row').length === 2);
});

after(async () => {
  // Lock first: the popup stops its once-a-second code refresh and shows the gate.
  document.getElementById('lock').click();
  await until(() => !document.getElementById('gate').classList.contains('hidden'));
  await window.happyDOM.close();
});

test('each row is labelled with its vault', () => {
  const labels = [...document.querySelectorAll('.row')].map((row) => [row.dataset.id, row.querySelector('.entry-vault').textContent]);
  assert.deepEqual(labels, [['p1', 'Personal'], ['t1', 'Prod AWS']]);
  assert.match(document.querySelector('.row[data-id="t1"]').getAttribute('aria-label'), /Prod AWS/);
});

test('searching a vault name finds its entries', async () => {
  const search = document.getElementById('search');
  search.value = 'prod aws';
  search.dispatchEvent(new window.Event('input'));
  await until(() => document.querySelectorAll('.row').length === 1);
  assert.equal(document.querySelector('.row').dataset.id, 't1');
});

test('a revocation is said above the list', () => {
  const notice = document.getElementById('team-notice');
  assert.equal(notice.classList.contains('hidden'), false);
  assert.equal(notice.textContent, `Your access to ${ORIGIN} was revoked.`);
});
