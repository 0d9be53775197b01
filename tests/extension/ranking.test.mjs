// extension/background/ranking.js: the personal and team vaults' rankings (the real wasm
// `rankSignIn`, one vault at a time) merged by the core's decision rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import tessera from '../wasm/pkg.mjs';
import { mergeRankings } from '../../extension/background/ranking.js';

const SEED = 'JBSWY3DPEHPK3PXP';

function vaultWith(name, accounts) {
  const vault = tessera.Vault.create(name);
  const ids = accounts.map((account) =>
    vault.add(`otpauth://totp/AWS:${account}?secret=${SEED}`, { label: `aws ${account}`, awsAccountId: account, awsPrincipal: 'iam_user', iamUserName: 'alice' }),
  );
  return { ref: { key: name, name, vault }, ids };
}

function rankAll(vaults, context, remembered) {
  const rankings = vaults.map(({ ref }) => ({ ref, ranking: tessera.rankSignIn(ref.vault, context, undefined) }));
  return mergeRankings(rankings, remembered);
}

const context = (account) => ({ url: `https://${account}.signin.aws.amazon.com/console`, username: 'alice' });

test('an entry that only a team vault holds is filled from it', () => {
  const personal = vaultWith('personal', ['111111111111']);
  const teamVault = vaultWith('Prod AWS', ['222222222222']);
  const merged = rankAll([personal, teamVault], context('222222222222'));
  assert.equal(merged.fill, teamVault.ids[0]);
  assert.equal(merged.candidates[0].ref.name, 'Prod AWS');
  assert.ok(merged.accountKey);
});

test('the same account in two vaults: the member chooses, personal first; a remembered choice fills', () => {
  const personal = vaultWith('personal', ['222222222222']);
  const teamVault = vaultWith('Prod AWS', ['222222222222']);
  const merged = rankAll([personal, teamVault], context('222222222222'));
  assert.equal(merged.fill, null);
  assert.deepEqual(merged.candidates.map((c) => c.id), [personal.ids[0], teamVault.ids[0]]);
  assert.equal(rankAll([personal, teamVault], context('222222222222'), teamVault.ids[0]).fill, teamVault.ids[0]);
  // A remembered id that is no longer a candidate is ignored.
  assert.equal(rankAll([personal, teamVault], context('222222222222'), 'ff'.repeat(16)).fill, null);
});

test('a better match in one vault wins over weaker ones in another', () => {
  const personal = vaultWith('personal', ['333333333333']);
  const teamVault = vaultWith('Prod AWS', ['222222222222']);
  const merged = rankAll([personal, teamVault], context('222222222222'));
  assert.equal(merged.fill, teamVault.ids[0]);
  assert.ok(merged.candidates.every((c, i, all) => i === 0 || ['exact', 'account', 'principal', 'possible'].indexOf(all[i - 1].quality) <= ['exact', 'account', 'principal', 'possible'].indexOf(c.quality)));
});

test('one vault alone decides as the core does', () => {
  const only = vaultWith('personal', ['222222222222', '222222222222']);
  const core = tessera.rankSignIn(only.ref.vault, context('222222222222'), undefined);
  const merged = rankAll([only], context('222222222222'));
  assert.equal(merged.fill, core.fill);
  assert.deepEqual(merged.candidates.map((c) => c.id), core.candidates.map((c) => c.id));
});
