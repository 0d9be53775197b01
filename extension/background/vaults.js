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
import { PERSONAL, locateIn } from './codes.js';
import { onLock, openVault, requireVault, sessionKeyring } from './vault.js';

export { PERSONAL, locateIn };

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

// The team records are kept parsed in memory (team.js); a write this background did not make
// through team.js (none today, but storage is shared with the pages) must drop them too.
ext.storage?.onChanged?.addListener((changes, areaName) => {
  if (areaName === 'local' && Object.hasOwn(changes, 'teams')) team.invalidateTeams();
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

/**
 * The open vault holding entry `id`; throws `entry_not_found`. `vault`: its key when the page
 * knows it (every listed entry carries it): that vault only is asked. Without it, each vault is
 * asked in turn (a throwing `get` per miss: the wasm Vault has no non-throwing lookup, and
 * building one from `ids()` costs more than the misses; see background/codes.js).
 */
export async function locate(id, vault) {
  return locateIn(id, await allVaults(), vault);
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
