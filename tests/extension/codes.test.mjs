// The popup's hot paths in the background (extension/background/codes.js) with the real wasm
// package (dist/pkg): a code request names each entry's vault and each vault is asked once, by
// key, with no per-entry lookup; locating without a key; the compact list and its first screen.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import tessera from '../wasm/pkg.mjs';
import { PERSONAL, answerCodes, locateIn, popupEntries } from '../../extension/background/codes.js';

const SEEDS = ['JBSWY3DPEHPK3PXP', 'GEZDGNBVGY3TQOJQ', 'MFRGGZDFMZTWQ2LK'];

function vaultWith(name, labels) {
  const vault = tessera.Vault.create(name);
  const ids = labels.map((label, i) =>
    vault.add(`otpauth://totp/${encodeURIComponent(label)}?secret=${SEEDS[i % SEEDS.length]}&issuer=AWS`, {
      label,
      awsAccountId: `11112222333${i}`,
    }),
  );
  return { vault, ids };
}

/** A vault handle whose calls are counted (`calls.get`, `calls.codes`, ...). */
function spied(vault) {
  const calls = {};
  const proxy = new Proxy(vault, {
    get(target, name) {
      const value = Reflect.get(target, name, target);
      if (typeof value !== 'function') return value;
      return (...args) => {
        calls[name] = (calls[name] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
  return { proxy, calls };
}

function fixture() {
  const personal = vaultWith('Personal', ['github', 'gitlab', 'aws personal']);
  const team = vaultWith('Prod AWS', ['prod root', 'prod ci']);
  const p = spied(personal.vault);
  const t = spied(team.vault);
  const teamKey = 'https://vault.example.com 0123456789abcdef0123456789abcdef';
  const refs = [
    { key: PERSONAL, name: 'Personal', vault: p.proxy },
    { key: teamKey, name: 'Prod AWS', vault: t.proxy },
  ];
  return { personal, team, p, t, teamKey, refs };
}

test('codes by vault key: one codes batch per vault, no lookup of any entry', () => {
  const { personal, team, p, t, teamKey, refs } = fixture();
  const time = 1_800_000_000;
  // The team vault's entries listed first: the reply follows the request's groups.
  const reply = answerCodes(
    { groups: [{ vault: teamKey, ids: team.ids }, { vault: PERSONAL, ids: personal.ids.slice(1) }], ahead: 5 },
    refs,
    time,
  );
  assert.deepEqual(reply.codes, [
    team.ids.map((id) => team.vault.code(id, time)),
    personal.ids.slice(1).map((id) => personal.vault.code(id, time)),
  ]);
  assert.deepEqual(reply.next, [
    team.ids.map((id) => team.vault.code(id, time + 5)),
    personal.ids.slice(1).map((id) => personal.vault.code(id, time + 5)),
  ]);
  // Against the per-entry search (a throwing `get` on the personal vault for each team entry),
  // these counts would not hold.
  assert.equal(p.calls.get ?? 0, 0, 'no get on the personal vault');
  assert.equal(t.calls.get ?? 0, 0, 'no get on the team vault');
  assert.equal(p.calls.codes, 2, 'one batch (and one for the next codes) on the personal vault');
  assert.equal(t.calls.codes, 2);
  personal.vault.free();
  team.vault.free();
});

test('codes by vault key: a vault not open, or an id it does not hold, is entry_not_found', () => {
  const { personal, team, teamKey, refs } = fixture();
  assert.throws(() => answerCodes({ groups: [{ vault: 'https://gone.example.com 00', ids: team.ids }] }, refs, 59), {
    code: 'entry_not_found',
  });
  // A team entry asked of the personal vault: refused, never answered from the other vault.
  assert.throws(() => answerCodes({ groups: [{ vault: PERSONAL, ids: [team.ids[0]] }] }, refs, 59), {
    code: 'entry_not_found',
  });
  assert.deepEqual(answerCodes({ groups: [{ vault: teamKey, ids: [] }] }, refs, 59).codes, [[]]);
  personal.vault.free();
  team.vault.free();
});

test('locateIn with the vault key asks that vault only', () => {
  const { personal, team, p, t, teamKey, refs } = fixture();
  assert.equal(locateIn(team.ids[0], refs, teamKey).key, teamKey);
  assert.equal(p.calls.get ?? 0, 0);
  assert.equal(t.calls.get, 1);
  assert.throws(() => locateIn(team.ids[0], refs, PERSONAL), { code: 'entry_not_found' });
  assert.throws(() => locateIn(team.ids[0], refs, 'nope'), { code: 'entry_not_found' });
  // Without a key: found by asking in turn.
  assert.equal(locateIn(team.ids[1], refs).key, teamKey);
  assert.throws(() => locateIn('00'.repeat(16), refs), { code: 'entry_not_found' });
  personal.vault.free();
  team.vault.free();
});

test('the popup list: compact rows with a vault index, all or the first screen only', () => {
  const { personal, team, p, t, teamKey, refs } = fixture();
  const all = popupEntries(refs);
  assert.equal(all.total, 5);
  assert.deepEqual(all.vaults, [{ key: PERSONAL, name: 'Personal' }, { key: teamKey, name: 'Prod AWS' }]);
  assert.deepEqual(all.entries.map((e) => [e.v, e.id]), [
    ...personal.vault.ids().map((id) => [0, id]),
    ...team.vault.ids().map((id) => [1, id]),
  ]);
  const first = all.entries[0];
  const info = personal.vault.get(first.id);
  assert.deepEqual(first, {
    v: 0,
    id: info.id,
    type: 'totp',
    period: 30,
    label: info.label,
    issuer: 'AWS',
    awsAccountId: info.awsAccountId,
  });
  assert.equal('algorithm' in first || 'digits' in first, false, 'only what the popup uses');

  const before = { ...p.calls };
  const head = popupEntries(refs, 2);
  assert.equal(head.total, 5);
  assert.deepEqual(head.entries, all.entries.slice(0, 2));
  assert.equal(p.calls.list, before.list, 'the first screen does not list the whole vault');
  assert.equal(t.calls.list, 1, 'the team vault is not read for a screen the personal vault fills');
  assert.deepEqual(popupEntries(refs, 4).entries, all.entries.slice(0, 4));
  personal.vault.free();
  team.vault.free();
});
