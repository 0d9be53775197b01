// The popup between its first screen and the whole list (happy-dom, fake background that holds
// the whole-list reply back): rows and codes are shown, a search says it is still searching
// instead of "no match", and the entry selected then stays selected when the whole list arrives.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Window } from 'happy-dom';

import { MSG } from '../../extension/messages.js';
import { fakeExtension, pageHtml, until } from './team-fakes.mjs';

const entries = Array.from({ length: 40 }, (_, i) => ({
  id: `p${i}`,
  label: [1, 25, 30].includes(i) ? `prod ${i}` : `entry ${i}`,
  type: 'totp',
  period: 30,
  vault: 'personal',
  vaultName: 'Personal',
}));
let release;
const state = { entries, teams: [], failedEvents: [], notices: [], holdWholeList: new Promise((r) => (release = r)) };
let window;
let fake;
const rows = () => [...document.querySelectorAll('.row')];
const selectedId = () => document.querySelector('.row[aria-selected="true"]')?.dataset.id;

before(async () => {
  window = new Window({ url: 'chrome-extension://test/popup/popup.html' });
  window.document.write(pageHtml('popup/popup.html'));
  globalThis.window = window;
  globalThis.document = window.document;
  fake = fakeExtension(state);
  globalThis.chrome = fake.chrome;
  await import('../../extension/popup/popup.js');
  await until(() => rows().length > 0 && document.querySelector('.row .code')?.textContent);
});

after(async () => {
  release();
  document.getElementById('lock').click();
  await until(() => !document.getElementById('gate').classList.contains('hidden'));
  await window.happyDOM.close();
});

test('first screen shown, whole list pending: a search matching nothing yet is "searching"', async () => {
  const head = fake.sent.find((m) => m.type === MSG.POPUP_ENTRIES);
  assert.ok(head.first < entries.length);
  assert.equal(rows().length, Math.min(head.first, entries.length));
  const search = document.getElementById('search');
  search.value = 'prod 30';
  search.dispatchEvent(new window.Event('input'));
  await until(() => rows().length === 0);
  assert.equal(document.getElementById('list-status').textContent, 'Searching…');
});

test('the entry selected on the first screen stays selected when the whole list arrives', async () => {
  const search = document.getElementById('search');
  search.value = 'prod';
  search.dispatchEvent(new window.Event('input'));
  await until(() => rows().length === 1 && selectedId() === 'p1');
  release();
  await until(() => rows().length === 3);
  assert.equal(selectedId(), 'p1');
  // Down to p25, an entry of the whole list only.
  document.getElementById('search').dispatchEvent(new window.KeyboardEvent('keydown', { key: 'ArrowDown' }));
  await until(() => selectedId() === 'p25');
  search.value = 'prod 30';
  search.dispatchEvent(new window.Event('input'));
  await until(() => rows().length === 1 && rows()[0].dataset.id === 'p30');
  assert.equal(document.getElementById('list-status').textContent, '');
});
