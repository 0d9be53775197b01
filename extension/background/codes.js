// The hot paths of the popup, on the list of open vaults (background/vaults.js `allVaults`), without
// any browser API (tested in Node with the real wasm package):
//   - codes: a request names each entry's vault (the popup knows it from the list), so each vault
//     is found by its key in a Map and asked once, one `Vault.codes` batch for its ids;
//   - locating an entry's vault when the caller does not name it;
//   - the popup's list: a compact form (the fields a row and the search use, the vault as an index
//     into a table), or only its first rows.
//
// The wasm Vault has no non-throwing "does it hold id X": `get` throws `entry_not_found` on a miss
// (about 60 µs each, measured in Node), and `ids()` copies every id out (about 17 ms for 10,000
// entries), so a per-vault index would cost more than the misses it saves whenever the background
// restarts. A cheap `has(id)` would need a new wasm method.

/** The personal vault's key (team vaults: `${origin} ${vaultId}`). */
export const PERSONAL = 'personal';

function coded(code, message = code) {
  return Object.assign(new Error(message), { code });
}

function holds(vault, id) {
  try {
    vault.get(id);
    return true;
  } catch {
    return false;
  }
}

/**
 * The ref of `refs` holding entry `id` (synchronous: no handle freed meanwhile); throws
 * `entry_not_found`. With `key`, only that vault is asked.
 */
export function locateIn(id, refs, key) {
  if (key !== undefined) {
    const ref = refs.find((r) => r.key === key);
    if (ref && holds(ref.vault, id)) return ref;
    throw coded('entry_not_found', 'no such entry in that vault');
  }
  for (const ref of refs) if (holds(ref.vault, id)) return ref;
  throw coded('entry_not_found', 'no such entry');
}

/**
 * Answers an ENTRIES_CODES request (messages.js) at `time` (seconds):
 * `{groups: [{vault, ids}], ahead?}` -> `{time, codes: string[][], next: string[][] | null}`, one
 * array per group; one `codes` call per group (two with `ahead`). Throws `entry_not_found` for a
 * vault not open (revoked, removed, locked meanwhile) or an id it does not hold.
 */
export function answerCodes(request, refs, time) {
  const ahead = request.ahead ? request.ahead : 0;
  const byKey = new Map(refs.map((ref) => [ref.key, ref]));
  const codes = [];
  const next = ahead ? [] : null;
  for (const group of request.groups) {
    const ref = byKey.get(group.vault);
    if (!ref) throw coded('entry_not_found', 'that vault is not open');
    codes.push(group.ids.length === 0 ? [] : ref.vault.codes(time, group.ids));
    if (next) next.push(group.ids.length === 0 ? [] : ref.vault.codes(time + ahead, group.ids));
  }
  return { time, codes, next };
}

/** The EntryInfo fields the popup shows and searches (messages.js POPUP_ENTRIES). */
export const POPUP_FIELDS = Object.freeze([
  'id',
  'type',
  'period',
  'label',
  'issuer',
  'awsAccountId',
  'awsAccountAlias',
  'awsPrincipal',
  'iamUserName',
  'rootEmail',
]);

function compact(info, index) {
  const row = { v: index };
  for (const field of POPUP_FIELDS) if (info[field] !== undefined && info[field] !== null) row[field] = info[field];
  return row;
}

/**
 * The popup's list (POPUP_ENTRIES): `{total, vaults: [{key, name}], entries: [{v, id, type, ...}]}`
 * in vault order (personal first), `v` the entry's index in `vaults`. With `first`, only the first
 * `first` entries (the rows of the first screen): `list()` is called only on the vaults they come
 * from, and the personal vault's `get` for each, so 10,000 entries cost what a screenful does.
 */
export function popupEntries(refs, first) {
  const vaults = refs.map((ref) => ({ key: ref.key, name: ref.name }));
  let total = 0;
  for (const ref of refs) total += ref.vault.size;
  const entries = [];
  for (const [index, ref] of refs.entries()) {
    const wanted = first === undefined ? Infinity : first - entries.length;
    if (wanted <= 0) break;
    if (wanted >= ref.vault.size) {
      for (const info of ref.vault.list()) entries.push(compact(info, index));
    } else {
      for (const id of ref.vault.ids().slice(0, wanted)) entries.push(compact(ref.vault.get(id), index));
    }
  }
  return { total, vaults, entries };
}
