// Every vault the unlocked member can use: the personal vault (background/vault.js) first, then
// the team vaults (background/team.js) opened from their cache. The pages, the codes and the AWS
// sign-in fill find an entry's vault here.
//
// Entry ids are 128-bit random (FORMAT.md), so one id names one entry across all vaults; the
// personal vault is asked first.
import { ext, sessionStorageArea } from '../browser.js';
import { permissionPattern } from '../shared/team-client.js';
import { loadWasm } from '../wasm.js';
import { TEAM_SYNC_ALARM, TEAM_SYNC_MINUTES, createTeam } from './team.js';
import { codedError, onLock, openVault, requireVault, sessionKeyring } from './vault.js';

export const PERSONAL = 'personal';

export const team = createTeam({
  local: ext.storage.local,
  session: sessionStorageArea(),
  loadWasm,
  getKeyring: sessionKeyring,
  fetch: (url, init) => globalThis.fetch(url, init),
  hasPermission: async (origin) => {
    try {
      return await ext.permissions.contains({ origins: [permissionPattern(origin)] });
    } catch {
      return false;
    }
  },
});

onLock(async () => {
  await team.close();
  await ext.alarms.clear(TEAM_SYNC_ALARM);
});

/** After an unlock: periodic sync, and one now (not awaited: the cache serves meanwhile). */
export async function startTeamSync() {
  await ext.alarms.create(TEAM_SYNC_ALARM, { periodInMinutes: TEAM_SYNC_MINUTES });
  return team.sync().catch(() => null);
}

/** A sync when unlocked (the alarm may wake a restarted background: reopen first). */
export async function syncIfUnlocked() {
  if (!(await openVault({ touch: false }))) return null;
  return team.sync();
}

/**
 * Every open vault, personal first: `[{key, name, role, origin, vaultId, vault}]` (key
 * `personal` or `${origin} ${vaultId}`; origin null for the personal vault). Throws `vault_locked`.
 * `personal`: the personal vault when the caller has just opened it (not opened a second time).
 */
export async function allVaults(personal) {
  personal ??= await requireVault();
  const teams = await team.openVaults();
  return [
    { key: PERSONAL, name: personal.name, role: 'manage', origin: null, vaultId: personal.id, vault: personal },
    ...teams,
  ];
}

function holds(vault, id) {
  try {
    vault.get(id);
    return true;
  } catch {
    return false;
  }
}

/** The vault of `vaults` holding entry `id` (synchronous: no handle freed meanwhile); throws `entry_not_found`. */
export function locateIn(id, vaults) {
  for (const ref of vaults) if (holds(ref.vault, id)) return ref;
  throw codedError('entry_not_found', 'no such entry');
}

/** The open vault holding entry `id`; throws `entry_not_found`. */
export async function locate(id, vaults) {
  return locateIn(id, vaults ?? (await allVaults()));
}

/** Whether the member may see the seed of an entry of `ref` (personal: always; team: role manage). */
export function mayReveal(ref) {
  return ref.key === PERSONAL || team.mayReveal(ref);
}

/** What the pages list of an entry: its metadata plus its vault and what the member may do. */
export function listed(info, ref) {
  const personal = ref.key === PERSONAL;
  return {
    ...info,
    vault: ref.key,
    vaultName: ref.name,
    team: ref.origin,
    manage: mayReveal(ref),
    editable: personal,
  };
}

/** Records a use of a team entry as a signed audit event (personal entries: nothing to send). */
export async function recordTeamUse(ref, id, action, host = '') {
  if (ref.key === PERSONAL) return;
  await team.recordUse(ref, id, action, host);
}
