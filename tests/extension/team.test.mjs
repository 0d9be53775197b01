// The background's team logic (extension/background/team.js) with the real wasm package
// (dist/pkg), fake storage and a fake team server that checks signatures: connect, pending until
// confirmed, sync and cache, offline use, `use` vaults never revealing seeds, audit events
// (sent, queued offline, refusals kept), grant removal and revocation wiping the cache.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import tessera from '../wasm/pkg.mjs';
import { createTeam } from '../../extension/background/team.js';
import { locateIn } from '../../extension/background/codes.js';
import { FakeArea, FakeTeamServer } from './team-fakes.mjs';

/** The open team vault holding entry `id` (background/codes.js locateIn, as the background finds it), or null. */
async function findEntry(team, id) {
  try {
    return locateIn(id, await team.openVaults());
  } catch (error) {
    if (error.code === 'entry_not_found') return null;
    throw error;
  }
}

const ORIGIN = 'https://vault.example.com';
const SEED = 'JBSWY3DPEHPK3PXP';

/** One member device: its keyring, storage areas, and a team service over the fake server. */
function device(server, { keyring = tessera.Keyring.generate(), local = new FakeArea(), session = new FakeArea(), permission = true, now } = {}) {
  server.fingerprints.set(Buffer.from(keyring.publicKeys()).toString('base64'), keyring.fingerprint);
  const state = { keyring, locked: false };
  const team = createTeam({
    local,
    session,
    loadWasm: async () => tessera,
    getKeyring: () => (state.locked ? null : state.keyring),
    fetch: server.fetch,
    hasPermission: async () => permission,
    ...(now ? { now } : {}),
  });
  return { team, keyring, local, session, state };
}

/** A team vault sealed to `keyrings`, with one entry per label; returns {id, bytes, entries}. */
function teamVault(name, labels, keyrings) {
  const vault = tessera.Vault.create(name);
  const entries = labels.map((label, i) =>
    vault.add(`otpauth://totp/${encodeURIComponent(label)}?secret=${SEED}&issuer=AWS${i}`, { label }),
  );
  const id = vault.id;
  const bytes = vault.seal(keyrings.map((k) => k.publicKeys()), undefined);
  vault.free();
  return { id, bytes, entries };
}

async function connected(server, options) {
  const d = device(server, options);
  const result = await d.team.connect(server.invite());
  server.confirm(result.memberId);
  return { ...d, memberId: result.memberId };
}

test('connect: validates the link, needs the permission, shows the keyring fingerprint, waits for confirmation', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = device(server);
  await assert.rejects(d.team.connect('https://vault.example.com/join#tsi_aaaaaaaaaaaa'), { code: 'bad_invite_link' });
  await assert.rejects(d.team.connect('http://vault.example.com/invite#tsi_aaaaaaaaaaaa'), { code: 'insecure_server' });
  const denied = device(server, { permission: false });
  await assert.rejects(denied.team.connect(server.invite()), { code: 'team_permission_missing' });

  const result = await d.team.connect(server.invite());
  assert.equal(result.origin, ORIGIN);
  assert.equal(result.status, 'pending');
  assert.equal(result.fingerprint, d.keyring.fingerprint);
  const member = server.members.get(result.memberId);
  assert.deepEqual(new Uint8Array(member.publicKeys), d.keyring.publicKeys());

  // Not confirmed yet: sign-in is refused, the team stays pending, nothing breaks.
  let status = await d.team.sync();
  assert.equal(status.teams[0].status, 'pending');
  assert.equal(status.teams[0].fingerprint, d.keyring.fingerprint);

  server.confirm(result.memberId);
  status = await d.team.sync();
  assert.equal(status.teams[0].status, 'active');
  assert.equal(status.teams[0].error, null);
  await assert.rejects(d.team.connect(server.invite()), { code: 'team_exists' });
});

test('connect: a server that registers other keys than ours is refused', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = device(server);
  server.fingerprints.set(Buffer.from(d.keyring.publicKeys()).toString('base64'), 'AAAA BBBB');
  await assert.rejects(d.team.connect(server.invite()), { code: 'fingerprint_mismatch' });
  assert.deepEqual((await d.team.status()).teams, []);
});

test('connect needs the unlocked keyring', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = device(server);
  d.state.locked = true;
  await assert.rejects(d.team.connect(server.invite()), { code: 'vault_locked' });
});

test('sync caches the granted vaults; they open from the cache offline and after a restart', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const prod = teamVault('Prod AWS', ['root prod', 'ci user'], [d.keyring]);
  const dev = teamVault('Dev AWS', ['dev admin'], [d.keyring]);
  server.putVault(prod.id, prod.bytes, { [d.memberId]: 'use' });
  server.putVault(dev.id, dev.bytes, { [d.memberId]: 'manage' });

  const status = await d.team.sync();
  const byName = Object.fromEntries(status.teams[0].vaults.map((v) => [v.name, v]));
  assert.equal(byName['Prod AWS'].role, 'use');
  assert.equal(byName['Dev AWS'].role, 'manage');
  const open = await d.team.openVaults();
  assert.deepEqual(open.map((v) => v.name).sort(), ['Dev AWS', 'Prod AWS']);
  const prodOpen = open.find((v) => v.vaultId === prod.id);
  assert.deepEqual(prodOpen.vault.ids().sort(), [...prod.entries].sort());
  assert.match(prodOpen.vault.code(prod.entries[0], 59), /^[0-9]{6}$/);

  // Nothing changed on the server: no snapshot fetched again.
  server.requests.length = 0;
  await d.team.sync();
  assert.equal(server.requests.filter((r) => /^\/api\/v1\/vaults\/./.test(r.path)).length, 0);

  // Offline, and a fresh background (service worker restarted): the cache opens with the keyring.
  server.down = true;
  const again = device(server, { keyring: d.keyring, local: d.local, session: d.session });
  const offline = await again.team.sync();
  assert.equal(offline.teams[0].error.code, 'network_unreachable');
  assert.equal(offline.teams[0].vaults.length, 2);
  const reopened = await again.team.openVaults();
  assert.equal(reopened.length, 2);
  assert.equal((await findEntry(again.team, dev.entries[0])).name, 'Dev AWS');
  assert.equal(await findEntry(again.team, '00'.repeat(16)), null);

  // Locked: nothing opens; close() forgets the session tokens.
  await again.team.close();
  assert.deepEqual(await d.session.get('teamTokens'), {});
  again.state.locked = true;
  assert.deepEqual(await again.team.openVaults(), []);
});

test('a changed vault is fetched again; the cache never holds a seed in clear', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const v1 = teamVault('Ops', ['one'], [d.keyring]);
  server.putVault(v1.id, v1.bytes, { [d.memberId]: 'use' });
  await d.team.sync();
  const stored = JSON.stringify([...d.local.data.entries()]);
  assert.ok(!stored.includes(SEED), 'the seed is not in storage.local');

  // Same vault id, a new version with another entry (re-sealed by an admin elsewhere).
  const vault = tessera.Vault.open(v1.bytes, d.keyring);
  const added = vault.add(`otpauth://totp/two?secret=${SEED}`, { label: 'two' });
  server.putVault(v1.id, vault.seal([d.keyring.publicKeys()], undefined), { [d.memberId]: 'use' }, { version: 2 });
  vault.free();
  await d.team.sync();
  const [open] = await d.team.openVaults();
  assert.ok(open.vault.ids().includes(added));
});

test('a vault that does not open with our keyring is skipped with its error; the others sync', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const good = teamVault('Good', ['g'], [d.keyring]);
  const stranger = tessera.Keyring.generate();
  const foreign = teamVault('Foreign', ['f'], [stranger]);
  server.putVault(good.id, good.bytes, { [d.memberId]: 'use' });
  server.putVault(foreign.id, foreign.bytes, { [d.memberId]: 'use' });
  const status = await d.team.sync();
  assert.equal(status.teams[0].error, null);
  const byId = Object.fromEntries(status.teams[0].vaults.map((v) => [v.id, v]));
  assert.equal(byId[good.id].name, 'Good');
  assert.equal(byId[good.id].error, null);
  assert.equal(byId[foreign.id].name, null);
  assert.ok(byId[foreign.id].error.code, 'the failure is shown');
  assert.deepEqual((await d.team.openVaults()).map((v) => v.name), ['Good']);
});

test('use vaults never reveal; manage vaults may', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const use = teamVault('Use', ['a'], [d.keyring]);
  const manage = teamVault('Manage', ['b'], [d.keyring]);
  server.putVault(use.id, use.bytes, { [d.memberId]: 'use' });
  server.putVault(manage.id, manage.bytes, { [d.memberId]: 'manage' });
  await d.team.sync();
  assert.equal(d.team.mayReveal(await findEntry(d.team, use.entries[0])), false);
  assert.equal(d.team.mayReveal(await findEntry(d.team, manage.entries[0])), true);
  assert.equal(d.team.mayReveal(null), false);
});

test('audit events: signed by the keyring, verified by the server, with action and host', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const v = teamVault('Prod', ['root'], [d.keyring]);
  server.putVault(v.id, v.bytes, { [d.memberId]: 'use' });
  await d.team.sync();
  const ref = await findEntry(d.team, v.entries[0]);
  const { flushing } = await d.team.recordUse(ref, v.entries[0], 'fill', 'signin.aws.amazon.com');
  await flushing;
  await (await d.team.recordUse(ref, v.entries[0], 'copy', '')).flushing;
  assert.deepEqual(
    server.events.map(({ action, vaultId, entryId, host }) => ({ action, vaultId, entryId, host })),
    [
      { action: 'fill', vaultId: v.id, entryId: v.entries[0], host: 'signin.aws.amazon.com' },
      { action: 'copy', vaultId: v.id, entryId: v.entries[0], host: '' },
    ],
  );
  assert.equal((await d.team.status()).teams[0].queued, 0);
  await assert.rejects(d.team.recordUse(ref, v.entries[0], 'export', ''), { code: 'bad_argument' });
});

test('audit events: queued offline, sent on the next sync; a refusal is kept and shown, never resent', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const v = teamVault('Prod', ['root'], [d.keyring]);
  server.putVault(v.id, v.bytes, { [d.memberId]: 'use' });
  await d.team.sync();
  const ref = await findEntry(d.team, v.entries[0]);

  server.down = true;
  await (await d.team.recordUse(ref, v.entries[0], 'copy', '')).flushing;
  await (await d.team.recordUse(ref, v.entries[0], 'reveal', '')).flushing;
  let status = await d.team.status();
  assert.equal(status.teams[0].queued, 2);
  assert.equal(server.events.length, 0);

  server.down = false;
  status = await d.team.sync();
  assert.equal(status.teams[0].queued, 0);
  assert.deepEqual(server.events.map((e) => e.action), ['copy', 'reveal']);

  // The server refuses (a 4xx other than 401): kept with its error, shown, not sent again.
  server.eventFailure = { status: 422, code: 'event_too_new' };
  await (await d.team.recordUse(ref, v.entries[0], 'fill', 'signin.aws.amazon.com')).flushing;
  status = await d.team.status();
  assert.equal(status.teams[0].queued, 0);
  assert.equal(status.failedEvents.length, 1);
  assert.deepEqual(status.failedEvents[0].error, { code: 'event_too_new', status: 422, message: 'event_too_new' });
  assert.equal(status.failedEvents[0].action, 'fill');
  server.eventFailure = null;
  const before = server.requests.length;
  await d.team.sync();
  assert.equal(server.requests.slice(before).filter((r) => r.path === '/api/v1/audit/events').length, 0);
  assert.equal((await d.team.status()).failedEvents.length, 1);
  await d.team.dismissFailedEvents(ORIGIN);
  assert.equal((await d.team.status()).failedEvents.length, 0);

  // A server error (5xx) is not the event's fault: kept for the next sync, without an error.
  server.eventFailure = { status: 503, code: 'unavailable' };
  await (await d.team.recordUse(ref, v.entries[0], 'copy', '')).flushing;
  status = await d.team.status();
  assert.equal(status.teams[0].queued, 1);
  assert.equal(status.failedEvents.length, 0);
});

test('uses in quick succession are each sent once', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const v = teamVault('Prod', ['root'], [d.keyring]);
  server.putVault(v.id, v.bytes, { [d.memberId]: 'use' });
  await d.team.sync();
  const ref = await findEntry(d.team, v.entries[0]);
  const uses = await Promise.all(['copy', 'fill', 'reveal', 'copy'].map((a) => d.team.recordUse(ref, v.entries[0], a, '')));
  await Promise.all(uses.map((u) => u.flushing));
  const posts = server.requests.filter((r) => r.path === '/api/v1/audit/events');
  assert.equal(posts.length, 4);
  assert.deepEqual(server.events.map((e) => e.action).sort(), ['copy', 'copy', 'fill', 'reveal']);
  const status = await d.team.status();
  assert.equal(status.teams[0].queued, 0);
  assert.equal(status.failedEvents.length, 0);
});

test('an expired session (401) signs in again without the member noticing', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const v = teamVault('Prod', ['root'], [d.keyring]);
  server.putVault(v.id, v.bytes, { [d.memberId]: 'use' });
  await d.team.sync();
  const firstToken = (await d.session.get('teamTokens')).teamTokens[ORIGIN];
  assert.match(firstToken, /^tss_/);
  server.dropSessions();
  const status = await d.team.sync();
  assert.equal(status.teams[0].error, null);
  const secondToken = (await d.session.get('teamTokens')).teamTokens[ORIGIN];
  assert.notEqual(secondToken, firstToken);
  assert.equal(await d.local.get('teamTokens').then((r) => r.teamTokens), undefined, 'tokens never in storage.local');
});

test('a removed grant wipes that vault (cache, open handle, queued events) and says so', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const keep = teamVault('Keep', ['k'], [d.keyring]);
  const gone = teamVault('Gone', ['g'], [d.keyring]);
  server.putVault(keep.id, keep.bytes, { [d.memberId]: 'use' });
  server.putVault(gone.id, gone.bytes, { [d.memberId]: 'use' });
  await d.team.sync();
  const goneRef = await findEntry(d.team, gone.entries[0]);
  server.down = true;
  await (await d.team.recordUse(goneRef, gone.entries[0], 'copy', '')).flushing;
  server.down = false;

  server.vaults.get(gone.id).grants.delete(d.memberId);
  const status = await d.team.sync();
  assert.deepEqual(status.teams[0].vaults.map((v) => v.name), ['Keep']);
  assert.equal(status.teams[0].queued, 0);
  assert.equal(server.events.length, 0, 'the event of a vault no longer granted is dropped with it');
  assert.deepEqual(Object.keys(await d.local.get(`teamSnapshot:${ORIGIN} ${gone.id}`)), []);
  assert.equal(await findEntry(d.team, gone.entries[0]), null);
  assert.match(status.notices.at(-1).text, /Gone.*was removed/);
});

test('revocation: member_revoked wipes the team, keeps only the fact, and says so', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const v = teamVault('Prod', ['root'], [d.keyring]);
  server.putVault(v.id, v.bytes, { [d.memberId]: 'use' });
  await d.team.sync();
  const ref = await findEntry(d.team, v.entries[0]);
  server.down = true;
  await (await d.team.recordUse(ref, v.entries[0], 'copy', '')).flushing;
  server.down = false;

  server.revoke(d.memberId);
  const status = await d.team.sync();
  assert.equal(status.teams[0].status, 'revoked');
  assert.deepEqual(status.teams[0].vaults, []);
  assert.equal(status.teams[0].queued, 0);
  assert.deepEqual(status.notices.map((n) => n.text), [`Your access to ${ORIGIN} was revoked.`]);
  assert.deepEqual(await d.team.openVaults(), []);
  const keys = [...d.local.data.keys()];
  assert.ok(!keys.some((k) => k.startsWith('teamSnapshot:')), `no snapshot left: ${keys}`);
  assert.deepEqual((await d.session.get('teamTokens')).teamTokens, {});

  // Forgetting the team clears the notice; a new invite can connect again.
  await d.team.disconnect(ORIGIN);
  assert.deepEqual(await d.team.status(), { teams: [], failedEvents: [], notices: [] });
});

/** One vault sealed to `keyring` at epoch 1 and, rotated, at epoch 2: {id, epoch1, epoch2, entries}. */
function rotatedVault(name, keyring) {
  const vault = tessera.Vault.create(name);
  const entries = [vault.add(`otpauth://totp/one?secret=${SEED}`, { label: 'one' })];
  const epoch1 = vault.seal([keyring.publicKeys()], undefined);
  vault.rotate();
  entries.push(vault.add(`otpauth://totp/two?secret=${SEED}`, { label: 'two' }));
  const epoch2 = vault.seal([keyring.publicKeys()], undefined);
  const id = vault.id;
  vault.free();
  return { id, epoch1, epoch2, entries };
}

const cachedSnapshot = async (d, id) => (await d.local.get(`teamSnapshot:${ORIGIN} ${id}`))[`teamSnapshot:${ORIGIN} ${id}`];

test('rollback: an older key epoch than one already opened is refused, the cached copy kept and the error shown', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const v = rotatedVault('Ops', d.keyring);
  server.putVault(v.id, v.epoch2, { [d.memberId]: 'use' }, { version: 5, epoch: 2 });
  let status = await d.team.sync();
  assert.equal(status.teams[0].vaults[0].error, null);
  const [open2] = await d.team.openVaults();
  assert.equal(open2.vault.epoch, 2);

  // A server restored from a backup (or a malicious one) serves the authentic epoch-1 snapshot,
  // with a higher, unauthenticated version, and lists it at epoch 1.
  server.putVault(v.id, v.epoch1, { [d.memberId]: 'use' }, { version: 9, epoch: 1 });
  status = await d.team.sync();
  const [shown] = status.teams[0].vaults;
  assert.equal(shown.error.code, 'vault_rollback');
  assert.equal(
    shown.error.message,
    `the server sent vault ${v.id} at key epoch 1, older than epoch 2 already seen: refused; the cached copy is kept`,
  );
  assert.equal(shown.name, 'Ops');
  assert.equal(shown.version, 5, 'the cached version is kept');
  assert.equal(status.teams[0].error, null, 'the other vaults and the team sync on');
  assert.equal(await cachedSnapshot(d, v.id), Buffer.from(v.epoch2).toString('base64'));
  const [open] = await d.team.openVaults();
  assert.equal(open.vault.epoch, 2);
  assert.deepEqual(open.vault.ids().sort(), [...v.entries].sort());

  // A fresh background (service-worker restart) still refuses: the record is in storage.local.
  const again = device(server, { keyring: d.keyring, local: d.local, session: d.session });
  status = await again.team.sync();
  assert.equal(status.teams[0].vaults[0].error.code, 'vault_rollback');
  assert.equal(await cachedSnapshot(d, v.id), Buffer.from(v.epoch2).toString('base64'));

  // The same epoch again (a newer version of epoch 2) is accepted and clears the error.
  server.putVault(v.id, v.epoch2, { [d.memberId]: 'use' }, { version: 10, epoch: 2 });
  status = await d.team.sync();
  assert.equal(status.teams[0].vaults[0].error, null);
  assert.equal(status.teams[0].vaults[0].version, 10);
});

test('rollback: a removed and re-granted vault cannot come back at an older epoch', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const v = rotatedVault('Ops', d.keyring);
  server.putVault(v.id, v.epoch2, { [d.memberId]: 'use' }, { version: 2, epoch: 2 });
  await d.team.sync();
  server.vaults.get(v.id).grants.delete(d.memberId);
  assert.deepEqual((await d.team.sync()).teams[0].vaults, []);
  server.putVault(v.id, v.epoch1, { [d.memberId]: 'use' }, { version: 3, epoch: 1 });
  const status = await d.team.sync();
  assert.equal(status.teams[0].vaults[0].error.code, 'vault_rollback');
  assert.deepEqual(await d.team.openVaults(), []);
});

test('rollback: a cache from before the record existed is its own floor', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const v = rotatedVault('Ops', d.keyring);
  server.putVault(v.id, v.epoch2, { [d.memberId]: 'use' }, { version: 2, epoch: 2 });
  await d.team.sync();
  const { teams } = await d.local.get('teams');
  delete teams[ORIGIN].epochs;
  await d.local.set({ teams });
  server.putVault(v.id, v.epoch1, { [d.memberId]: 'use' }, { version: 3, epoch: 1 });
  const status = await d.team.sync();
  assert.equal(status.teams[0].vaults[0].error.code, 'vault_rollback');
  assert.equal(await cachedSnapshot(d, v.id), Buffer.from(v.epoch2).toString('base64'));
});

test('a snapshot older than the epoch the vault list announced is refused', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const v = rotatedVault('Ops', d.keyring);
  server.putVault(v.id, v.epoch1, { [d.memberId]: 'use' }, { version: 2, epoch: 2 });
  const status = await d.team.sync();
  assert.equal(status.teams[0].vaults[0].error.code, 'vault_epoch_mismatch');
  assert.match(status.teams[0].vaults[0].error.message, new RegExp(`listed vault ${v.id} at key epoch 2 but sent epoch 1`));
  assert.equal(await cachedSnapshot(d, v.id), undefined);
  assert.deepEqual(await d.team.openVaults(), []);
});

test('rollback: revocation and disconnect wipe the highest-seen record; a fresh join starts over', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const d = await connected(server);
  const v = rotatedVault('Ops', d.keyring);
  server.putVault(v.id, v.epoch2, { [d.memberId]: 'use' }, { version: 2, epoch: 2 });
  await d.team.sync();
  assert.deepEqual((await d.local.get('teams')).teams[ORIGIN].epochs, { [v.id]: 2 });

  server.revoke(d.memberId);
  await d.team.sync();
  assert.equal((await d.local.get('teams')).teams[ORIGIN].epochs, undefined);

  // Joined again (a new invite): the old epoch is accepted as a first sight.
  const result = await d.team.connect(server.invite());
  server.confirm(result.memberId);
  server.putVault(v.id, v.epoch1, { [result.memberId]: 'use' }, { version: 3, epoch: 1 });
  let status = await d.team.sync();
  assert.equal(status.teams[0].vaults[0].error, null);
  assert.deepEqual((await d.local.get('teams')).teams[ORIGIN].epochs, { [v.id]: 1 });

  await d.team.disconnect(ORIGIN);
  assert.equal((await d.local.get('teams')).teams[ORIGIN], undefined);
  status = await d.team.status();
  assert.deepEqual(status.teams, []);
});

/** storage.local that counts the reads of one key. */
class CountingArea extends FakeArea {
  constructor(key) {
    super();
    this.key = key;
    this.reads = 0;
  }

  async get(keys) {
    const names = keys == null ? null : Array.isArray(keys) ? keys : [keys];
    if (names === null || names.includes(this.key)) this.reads += 1;
    return super.get(keys);
  }
}

test('openVaults keeps the team records parsed: no storage read per request; writes, a revocation and a restart are seen', async () => {
  const server = new FakeTeamServer(ORIGIN);
  const local = new CountingArea('teams');
  const d = await connected(server, { local });
  const first = teamVault('First', ['one'], [d.keyring]);
  server.putVault(first.id, first.bytes, { [d.memberId]: 'use' });
  await d.team.sync();
  assert.deepEqual((await d.team.openVaults()).map((v) => v.name), ['First']);

  // The popup's codes every second, fills: the record is not read again while nothing changed.
  local.reads = 0;
  for (let i = 0; i < 5; i += 1) assert.equal((await d.team.openVaults()).length, 1);
  assert.equal(local.reads, 0, 'no read of `teams` per request');

  // A sync that brings a new vault writes the record: the next request sees it.
  const second = teamVault('Second', ['two'], [d.keyring]);
  server.putVault(second.id, second.bytes, { [d.memberId]: 'manage' });
  await d.team.sync();
  assert.deepEqual((await d.team.openVaults()).map((v) => v.name).sort(), ['First', 'Second']);

  // A write this module did not make (storage.onChanged calls invalidateTeams in the extension).
  const { teams } = await local.get('teams');
  teams[ORIGIN].vaults[second.id].archived = true;
  await local.set({ teams });
  assert.equal((await d.team.openVaults()).length, 2, 'still the parsed record');
  d.team.invalidateTeams();
  assert.deepEqual((await d.team.openVaults()).map((v) => v.name), ['First']);

  // A restarted background (nothing in memory) reads the record once.
  const again = device(server, { keyring: d.keyring, local, session: d.session });
  local.reads = 0;
  assert.deepEqual((await again.team.openVaults()).map((v) => v.name), ['First']);
  await again.team.openVaults();
  assert.equal(local.reads, 1);

  // Revoked: the cache is wiped and nothing opens any more, at once.
  server.revoke(d.memberId);
  await d.team.sync();
  assert.deepEqual(await d.team.openVaults(), []);
  assert.deepEqual((await d.team.notices()).notices.map((n) => n.text), [`Your access to ${ORIGIN} was revoked.`]);
});
