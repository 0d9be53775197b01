// The team parts of the options page and the popup, in happy-dom with a fake extension runtime:
// the ids a browser test drives (#team-invite, #team-connect, #team-status, #team-fingerprint,
// .entry-vault, #team-notice), the host permission asked for in the click, and the messages sent.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';

import { Window } from 'happy-dom';

import { MSG } from '../../extension/messages.js';
import { FINGERPRINT, ORIGIN, fakeExtension, pageHtml, until } from './team-fakes.mjs';

const state = {
  entries: [
    { id: 'p1', label: 'personal one', type: 'totp', period: 30, vault: 'personal', vaultName: 'Personal', team: null, manage: true, editable: true },
    { id: 't1', label: 'prod root', type: 'totp', period: 30, vault: `${ORIGIN} v1`, vaultName: 'Prod AWS', team: ORIGIN, manage: false, editable: false },
  ],
  teams: [],
  failedEvents: [],
  notices: [],
  grant: true,
};
let window;
let fake;

before(async () => {
  window = new Window({ url: 'chrome-extension://test/options/options.html' });
  window.document.write(pageHtml('options/options.html'));
  fake = fakeExtension(state);
  globalThis.window = window;
  globalThis.document = window.document;
  globalThis.chrome = fake.chrome;
  await import('../../extension/options/options.js');
  await until(() => !document.getElementById('vault').classList.contains('hidden'));
});

after(async () => {
  await window.happyDOM.close();
});

const $ = (id) => document.getElementById(id);

test('options: a bad or insecure link is refused before any permission is asked', async () => {
  $('team-invite').value = 'https://vault.example.com/join#nothing';
  $('team-connect').click();
  await sleep(10);
  assert.match($('team-status').textContent, /invite link/);
  $('team-invite').value = 'http://vault.example.com/invite#tsi_abcdefghijkl';
  $('team-connect').click();
  await sleep(10);
  assert.match($('team-status').textContent, /https/);
  assert.equal(fake.permissionRequests.length, 0);
  assert.ok(!fake.sent.some((m) => m.type === MSG.TEAM_CONNECT));
});

test('options: a refused permission stops there', async () => {
  state.grant = false;
  $('team-invite').value = `${ORIGIN}/invite#tsi_abcdefghijkl`;
  $('team-connect').click();
  await until(() => /permission/.test($('team-status').textContent) && !/Asking/.test($('team-status').textContent));
  assert.deepEqual(fake.permissionRequests.at(-1), { origins: ['http://127.0.0.1/*'] });
  assert.ok(!fake.sent.some((m) => m.type === MSG.TEAM_CONNECT));
  state.grant = true;
});

test('options: connect asks for the host permission, then shows the fingerprint and waits', async () => {
  const link = `${ORIGIN}/invite#tsi_abcdefghijkl`;
  $('team-invite').value = link;
  $('team-connect').click();
  await until(() => $('team-status').dataset.state === 'pending');
  assert.deepEqual(fake.permissionRequests.at(-1), { origins: ['http://127.0.0.1/*'] });
  assert.deepEqual(fake.sent.filter((m) => m.type === MSG.TEAM_CONNECT), [{ type: MSG.TEAM_CONNECT, link }]);
  assert.equal($('team-fingerprint').textContent, FINGERPRINT);
  assert.match($('team-status').textContent, /Waiting for confirmation/);
  assert.equal($('team-invite').value, '', 'the invite token does not stay on screen');
  assert.equal(document.querySelectorAll('#team-list .team[data-status="pending"]').length, 1);
});

test('options: team entries show their vault and offer neither edit, delete nor reveal for use vaults', () => {
  const team = document.querySelector('#entries .entry[data-id="t1"]');
  assert.equal(team.querySelector('.entry-vault').textContent, 'Prod AWS');
  assert.equal(team.querySelector('.entry-edit'), null);
  assert.equal(team.querySelector('.entry-delete'), null);
  assert.equal(team.querySelector('.entry-reveal'), null);
  const personal = document.querySelector('#entries .entry[data-id="p1"]');
  assert.equal(personal.querySelector('.entry-vault').textContent, 'Personal');
  assert.ok(personal.querySelector('.entry-reveal'));
});

test('options: a revocation notice and refused audit events are shown', async () => {
  state.teams = [{ origin: ORIGIN, memberId: 'm1', fingerprint: FINGERPRINT, status: 'revoked', error: null, syncedMs: 1, vaults: [], queued: 0 }];
  state.notices = [{ origin: ORIGIN, text: `Your access to ${ORIGIN} was revoked.`, time: 1 }];
  state.failedEvents = [{ origin: ORIGIN, vaultId: 'v1', entryId: 't1', action: 'copy', host: '', time: 1, error: { code: 'event_too_new', status: 422, message: 'too new' } }];
  const from = fake.sent.length;
  $('team-sync').click();
  await until(() => $('team-status').dataset.state === 'revoked');
  // A sync compares with the status already shown: no extra TEAM_STATUS round trip.
  assert.deepEqual(fake.sent.slice(from).filter((m) => m.type === MSG.TEAM_STATUS), []);
  assert.ok(fake.sent.slice(from).some((m) => m.type === MSG.TEAM_SYNC));
  assert.equal($('team-status').textContent, `Your access to ${ORIGIN} was revoked.`);
  assert.equal($('team-failed-box').classList.contains('hidden'), false);
  assert.match($('team-failed').textContent, /copy of entry t1.*event_too_new/);
});

test('options: a vault whose older copy was refused (rollback) says so in the team list', async () => {
  const refused = { code: 'vault_rollback', status: 200, message: 'the server sent vault v1 at key epoch 1, older than epoch 2 already seen: refused; the cached copy is kept' };
  state.teams = [
    {
      origin: ORIGIN,
      memberId: 'm1',
      fingerprint: FINGERPRINT,
      status: 'active',
      error: null,
      syncedMs: 1,
      vaults: [
        { id: 'v1', name: 'Prod AWS', role: 'use', version: 5, archived: false, error: refused },
        { id: 'v2', name: 'Dev AWS', role: 'manage', version: 1, archived: false, error: { code: 'vault_not_granted', status: 0, message: '' } },
      ],
      queued: 0,
    },
  ];
  state.notices = [];
  state.failedEvents = [];
  $('team-sync').click();
  await until(() => /Prod AWS/.test($('team-list').textContent));
  const text = $('team-list').textContent;
  assert.match(text, /Prod AWS \(codes only\): the server sent an older copy, refused; the cached copy is kept \(vault_rollback\)/);
  assert.match(text, /Dev AWS \(manage\): does not open here \(vault_not_granted\)/);
});
