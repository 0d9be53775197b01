// The popup's messages in happy-dom against a fake background (team-fakes.mjs): it opens with the
// first screen's rows (compact list), their codes, then the whole list; it asks the codes of each
// vault by the vault's key; it asks only for the team notices; an entry gone meanwhile reloads the
// list.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Window } from 'happy-dom';

import { MSG } from '../../extension/messages.js';
import { ORIGIN, fakeExtension, pageHtml, until } from './team-fakes.mjs';

const TEAM = `${ORIGIN} v1`;
const personal = Array.from({ length: 30 }, (_, i) => ({
  id: `p${i}`,
  label: i === 3 ? 'shared login' : `personal ${i}`,
  type: 'totp',
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  vault: 'personal',
  vaultName: 'Personal',
  team: null,
  manage: true,
  editable: true,
}));
const team = Array.from({ length: 5 }, (_, i) => ({
  id: `t${i}`,
  label: i === 2 ? 'shared prod' : `team ${i}`,
  type: 'totp',
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  awsAccountId: `11112222333${i}`,
  vault: TEAM,
  vaultName: 'Prod AWS',
  team: ORIGIN,
  manage: false,
  editable: false,
}));
const state = { entries: [...personal, ...team], teams: [], failedEvents: [], notices: [], grant: true };
let window;
let fake;

const rows = () => [...document.querySelectorAll('.row')];
const codeOf = (id) => document.querySelector(`.row[data-id="${id}"] .code`)?.firstChild?.textContent;
const sentOf = (type) => fake.sent.filter((m) => m.type === type);

before(async () => {
  window = new Window({ url: 'chrome-extension://test/popup/popup.html' });
  window.document.write(pageHtml('popup/popup.html'));
  globalThis.window = window;
  globalThis.document = window.document;
  globalThis.performance = window.performance;
  fake = fakeExtension(state);
  globalThis.chrome = fake.chrome;
  await import('../../extension/popup/popup.js');
  await until(() => sentOf(MSG.POPUP_ENTRIES).length === 2 && rows().length > 0);
});

after(async () => {
  document.getElementById('lock').click();
  await until(() => !document.getElementById('gate').classList.contains('hidden'));
  await window.happyDOM.close();
});

test('opening: the first screen, its codes, then the whole list; team notices only', async () => {
  const types = fake.sent.map((m) => m.type);
  const firstList = types.indexOf(MSG.POPUP_ENTRIES);
  const firstCodes = types.indexOf(MSG.ENTRIES_CODES);
  const wholeList = types.lastIndexOf(MSG.POPUP_ENTRIES);
  assert.ok(firstList < firstCodes && firstCodes < wholeList, `order: ${types.join(' ')}`);
  const [head, whole] = sentOf(MSG.POPUP_ENTRIES);
  assert.ok(Number.isInteger(head.first) && head.first < state.entries.length, `first screen: ${head.first}`);
  assert.equal(whole.first, undefined);
  assert.equal(types.includes(MSG.TEAM_STATUS), false, 'the popup does not fetch the whole team status');
  assert.equal(types.includes(MSG.ENTRIES_LIST), false);
  assert.equal(sentOf(MSG.TEAM_NOTICES).length, 1);
  // The codes of the first screen came before the whole list was asked for.
  assert.equal(sentOf(MSG.ENTRIES_CODES)[0].groups[0].vault, 'personal');
  assert.equal(codeOf('p0'), '100000');
});

test('the whole list arrives: search over every entry, rows labelled with their vault', async () => {
  const search = document.getElementById('search');
  search.value = '111122223334';
  search.dispatchEvent(new window.Event('input'));
  await until(() => rows().length === 1 && rows()[0].dataset.id === 't4');
  assert.equal(rows()[0].dataset.vault, TEAM);
  assert.equal(rows()[0].querySelector('.entry-vault').textContent, 'Prod AWS');
});

test('a code request names each row\'s vault: one group per vault', async () => {
  const search = document.getElementById('search');
  search.value = 'shared';
  search.dispatchEvent(new window.Event('input'));
  await until(() => rows().length === 2 && codeOf('t2') === String(100000 + 32));
  const request = sentOf(MSG.ENTRIES_CODES).at(-1);
  assert.equal(request.ids, undefined, 'no id left for the background to look up');
  assert.deepEqual(request.groups, [
    { vault: 'personal', ids: ['p3'] },
    { vault: TEAM, ids: ['t2'] },
  ]);
  // The fake answers a code only from the vault that holds the id (like Vault.codes).
  assert.equal(codeOf('p3'), String(100000 + 3));
});

test('an entry gone meanwhile (deleted, sync, revocation): the list is fetched again', async () => {
  const lists = sentOf(MSG.POPUP_ENTRIES).length;
  const gone = state.entries.findIndex((e) => e.id === 't2');
  state.entries.splice(gone, 1);
  await until(() => sentOf(MSG.POPUP_ENTRIES).length === lists + 1, 3000);
  await until(() => rows().length === 1 && rows()[0].dataset.id === 'p3');
  assert.equal(document.getElementById('list-status').textContent, '');
});
