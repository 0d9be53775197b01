// Team mode in the background (issue 5 §2): the member's link to team servers, the team vaults it
// may use, and the signed audit events of their use.
//
// The member identity is the extension's own keyring (one per install, the one that opens the
// personal vault). Connecting accepts an invite with its public keys; an admin then confirms the
// fingerprint the options page shows, and sign-in (the keyring signs the server's challenge)
// starts to work.
//
// Where things live:
//   storage.local    `teams`: {origin: {origin, memberId, fingerprint, status, vaults: {id: {name,
//                    role, version, epoch, archived, error}}, epochs: {id: highest key epoch opened},
//                    error, syncedMs}}; `teamSnapshot:<origin> <vaultId>`: each team vault's
//                    snapshot (FORMAT.md §9, sealed: safe on disk);
//                    `teamEvents`: signed audit events not yet accepted by the server;
//                    `teamNotices`: what the member must be told (a revocation).
//   storage.session  `teamTokens`: {origin: session token} for the lock window.
//   memory           the open team vaults (wasm handles), rebuilt from the cache with the keyring.
//
// Rollback: a snapshot's key epoch is authenticated (inside the sealed snapshot), the server's
// `version` is not. `epochs` remembers, per origin and vault, the highest epoch opened (kept when
// a grant is removed, so a re-grant cannot bring back an older epoch); a snapshot of a lower
// epoch is refused (`vault_rollback`) and the cached copy kept. The record goes with the team's
// cache on revocation and disconnect; a fresh connect starts over.
//
// Entries of a vault granted with role `use` give codes, never seeds: `mayReveal` is the one check,
// and the background's reveal handler asks it (the pages only hide the button).
//
// Every dependency comes in through createTeam(), so tests drive this module with a fake fetch,
// fake storage areas and the real wasm package.
import { TeamClient, TeamError, b64, parseInviteLink, unb64 } from '../shared/team-client.js';

export const TEAM_SYNC_ALARM = 'tessera-team-sync';
export const TEAM_SYNC_MINUTES = 5;
export const ACTIONS = Object.freeze(['reveal', 'copy', 'fill']);
/** Oldest queued events beyond this are kept with an error instead of growing without bound. */
export const MAX_QUEUED_EVENTS = 5000;

const SNAPSHOT_KEY = (origin, vaultId) => `teamSnapshot:${origin} ${vaultId}`;
/** Server codes that mean this member's access to the whole server is gone. */
const REVOKED_CODES = new Set(['member_revoked', 'unknown_member']);

function coded(code, message = code) {
  return Object.assign(new Error(message), { code });
}

/** A network failure or a server failure worth retrying later (not the request's fault). */
function transient(error) {
  return error instanceof TeamError && (error.status === 0 || error.status >= 500 || error.status === 429);
}

/** What is kept of an error for the options page: its code, status and server message. */
function errorRecord(error) {
  return {
    code: typeof error?.code === 'string' ? error.code : 'internal',
    status: typeof error?.status === 'number' ? error.status : 0,
    message: error instanceof TeamError ? error.message : '',
  };
}

/** Runs async functions one after another (read-modify-write of one storage key). */
function serialiser() {
  let tail = Promise.resolve();
  return (fn) => {
    const run = tail.catch(() => {}).then(fn);
    tail = run;
    return run;
  };
}

/**
 * @param {object} deps
 * @param {{get, set, remove}} deps.local   storage.local
 * @param {{get, set, remove} | null} deps.session  storage.session (null: tokens in memory only)
 * @param {() => Promise<object>} deps.loadWasm
 * @param {() => object | null} deps.getKeyring  the unlocked wasm Keyring, or null when locked
 * @param {typeof fetch} [deps.fetch]
 * @param {(origin: string) => Promise<boolean>} [deps.hasPermission]  host permission for the origin
 * @param {() => number} [deps.now]
 */
export function createTeam({ local, session, loadWasm, getKeyring, fetch, hasPermission = async () => true, now = Date.now }) {
  const teamsLock = serialiser();
  const eventsLock = serialiser();
  const syncLock = serialiser();
  const flushLock = serialiser();
  /** key `${origin} ${vaultId}` -> {vault (wasm), version} */
  const opened = new Map();
  const memoryTokens = new Map();

  // ---- storage --------------------------------------------------------------------------------

  async function readTeams() {
    const { teams = {} } = await local.get('teams');
    return teams;
  }

  // The `teams` record as last read, for the hot path (openVaults: the popup's codes every second,
  // every fill): parsed once, not read from storage on each request. Dropped on every write made
  // here (updateTeams) and on a change seen by `storage.onChanged` (invalidateTeams, wired by the
  // caller); a restarted background starts without it. Read-only: writers use readTeams().
  let teamsCache = null;
  let teamsGeneration = 0;

  async function cachedTeams() {
    if (teamsCache) return teamsCache;
    const generation = teamsGeneration;
    const teams = await readTeams();
    // A write finished while this read was on its way: the value may be the old one; not kept.
    if (generation === teamsGeneration) teamsCache = teams;
    return teams;
  }

  /** Forgets the parsed `teams` record (the next openVaults reads it again). */
  function invalidateTeams() {
    teamsGeneration += 1;
    teamsCache = null;
  }

  /** Changes the team records under one lock: `fn(teams)` mutates them. */
  function updateTeams(fn) {
    return teamsLock(async () => {
      const teams = await readTeams();
      try {
        const result = await fn(teams);
        await local.set({ teams });
        return result;
      } finally {
        invalidateTeams();
      }
    });
  }

  async function readEvents() {
    const { teamEvents = [] } = await local.get('teamEvents');
    return teamEvents;
  }

  function updateEvents(fn) {
    return eventsLock(async () => {
      const events = await readEvents();
      const next = (await fn(events)) ?? events;
      await local.set({ teamEvents: next });
      return next;
    });
  }

  async function notice(origin, text) {
    const { teamNotices = [] } = await local.get('teamNotices');
    teamNotices.push({ origin, text, time: now() });
    await local.set({ teamNotices: teamNotices.slice(-20) });
  }

  async function getToken(origin) {
    if (!session) return memoryTokens.get(origin) ?? null;
    const { teamTokens = {} } = await session.get('teamTokens');
    return teamTokens[origin] ?? null;
  }

  async function setToken(origin, token) {
    if (!session) {
      if (token) memoryTokens.set(origin, token);
      else memoryTokens.delete(origin);
      return;
    }
    const { teamTokens = {} } = await session.get('teamTokens');
    if (token) teamTokens[origin] = token;
    else delete teamTokens[origin];
    await session.set({ teamTokens });
  }

  function requireKeyring() {
    const keyring = getKeyring();
    if (!keyring) throw coded('vault_locked', 'the vault is locked');
    return keyring;
  }

  // ---- connecting -----------------------------------------------------------------------------

  /**
   * Accepts the invite of `link` with this install's keyring. The member is pending until an
   * admin confirms the fingerprint returned here (the keyring's own, checked against the server's).
   * No label: the member keeps the one the admin gave the invite.
   */
  async function connect(link, label = '') {
    const { origin, token } = parseInviteLink(link);
    const keyring = requireKeyring();
    if (!(await hasPermission(origin))) throw coded('team_permission_missing', `no permission for ${origin}`);
    const existing = (await readTeams())[origin];
    if (existing && existing.status !== 'revoked') throw coded('team_exists', `already connected to ${origin}`);
    const client = new TeamClient(origin, { fetch });
    const accepted = await client.acceptInvite(token, b64(keyring.publicKeys()), label);
    const fingerprint = keyring.fingerprint;
    if (accepted?.fingerprint_display !== fingerprint || typeof accepted?.member_id !== 'string') {
      // The server registered other keys than ours: nothing to confirm.
      throw new TeamError('fingerprint_mismatch', 'The server answered with another fingerprint than this device’s.', 201);
    }
    const record = {
      origin,
      memberId: accepted.member_id,
      fingerprint,
      role: accepted.role ?? null,
      status: 'pending',
      vaults: {},
      epochs: {},
      error: null,
      syncedMs: null,
    };
    await updateTeams((teams) => {
      teams[origin] = record;
    });
    await clearNotices(origin);
    return { origin, memberId: record.memberId, fingerprint, status: record.status };
  }

  /** Forgets a team here (cache, session, queued events); the server is told nothing. */
  async function disconnect(origin) {
    await wipeTeam(origin);
    await updateTeams((teams) => {
      delete teams[origin];
    });
    await clearNotices(origin);
  }

  async function clearNotices(origin) {
    const { teamNotices = [] } = await local.get('teamNotices');
    await local.set({ teamNotices: origin ? teamNotices.filter((n) => n.origin !== origin) : [] });
  }

  // ---- wiping ---------------------------------------------------------------------------------

  function closeVault(key) {
    const handle = opened.get(key);
    if (handle) {
      handle.vault.free(); // wipes its seeds and key in wasm memory
      opened.delete(key);
    }
  }

  async function wipeVault(origin, vaultId) {
    closeVault(`${origin} ${vaultId}`);
    await local.remove(SNAPSHOT_KEY(origin, vaultId));
    await updateEvents((events) => events.filter((e) => !(e.origin === origin && e.vaultId === vaultId)));
  }

  async function wipeTeam(origin) {
    const team = (await readTeams())[origin];
    for (const vaultId of Object.keys(team?.vaults ?? {})) await wipeVault(origin, vaultId);
    for (const key of [...opened.keys()]) if (key.startsWith(`${origin} `)) closeVault(key);
    await updateEvents((events) => events.filter((e) => e.origin !== origin));
    await setToken(origin, null);
  }

  /** The server says this member is revoked: wipe everything of it, keep only the fact. */
  async function revoked(origin) {
    await wipeTeam(origin);
    await updateTeams((teams) => {
      const team = teams[origin];
      if (!team) return;
      // `epochs` goes too: a later connect is a fresh join.
      teams[origin] = { origin, memberId: team.memberId, fingerprint: team.fingerprint, status: 'revoked', vaults: {}, error: null, syncedMs: now() };
    });
    await notice(origin, `Your access to ${origin} was revoked.`);
  }

  // ---- sign-in and sync ---------------------------------------------------------------------------

  /** A client signed in to `origin` (a kept session token, else a fresh sign-in). */
  async function signedIn(team) {
    const client = new TeamClient(team.origin, { fetch });
    const token = await getToken(team.origin);
    if (token) {
      client.token = token;
      return client;
    }
    const keyring = requireKeyring();
    await client.signIn(keyring, team.memberId);
    await setToken(team.origin, client.token);
    return client;
  }

  /**
   * Runs `fn(client)` with a client that signs in again once if the session expired (401) and
   * repeats the call (TeamClient's `renew`, shared with the console); the new token is kept for
   * the lock window. Locked meanwhile, the 401 stands; a revoked member's sign-in throws
   * `member_revoked`.
   */
  async function withSession(team, fn) {
    const client = await signedIn(team);
    client.renew = async () => {
      await setToken(team.origin, null);
      const keyring = getKeyring();
      if (!keyring) return false;
      await client.signIn(keyring, team.memberId);
      await setToken(team.origin, client.token);
      return true;
    };
    return fn(client);
  }

  /**
   * Syncs every connected team (or one): sign in, list the vaults granted, fetch the changed
   * snapshots, drop the ones no longer granted, flush queued events. Offline, the cache stays as
   * it is (the vaults open from it). Returns status().
   */
  function sync({ origin } = {}) {
    return syncLock(async () => {
      const teams = await readTeams();
      for (const team of Object.values(teams)) {
        if (origin && team.origin !== origin) continue;
        if (team.status === 'revoked') continue;
        await syncTeam(team);
      }
      return status();
    });
  }

  async function syncTeam(team) {
    if (!getKeyring()) return;
    if (!(await hasPermission(team.origin))) {
      await setTeamError(team.origin, coded('team_permission_missing'));
      return;
    }
    try {
      await withSession(team, async (client) => {
        const { body } = await client.vaults();
        await applyVaultList(team, client, body?.vaults ?? []);
      });
    } catch (error) {
      if (error instanceof TeamError && REVOKED_CODES.has(error.code)) {
        await revoked(team.origin);
        return;
      }
      if (error instanceof TeamError && error.code === 'member_pending') {
        await updateTeams((teams) => {
          if (teams[team.origin]) Object.assign(teams[team.origin], { status: 'pending', error: null });
        });
        return;
      }
      // Offline or refused: the cached vaults stay usable; the options page shows the error.
      await setTeamError(team.origin, error);
      return;
    }
    await flush(team.origin);
  }

  async function setTeamError(origin, error) {
    await updateTeams((teams) => {
      if (teams[origin]) teams[origin].error = errorRecord(error);
    });
  }

  /**
   * The highest key epoch of `vaultId` opened from `origin` so far: the record, else (a cache from
   * before the record existed, or a sync cut short) the epoch of the cached snapshot, which the
   * keyring opens to authenticate it. 0 when nothing was seen.
   */
  async function highestEpoch(tessera, keyring, team, vaultId, cachedSnapshot) {
    const recorded = team.epochs?.[vaultId];
    if (Number.isInteger(recorded)) return recorded;
    if (!cachedSnapshot) return 0;
    try {
      const vault = tessera.Vault.open(unb64(cachedSnapshot), keyring);
      try {
        return vault.epoch;
      } finally {
        vault.free();
      }
    } catch {
      return 0; // a damaged cache entry proves nothing
    }
  }

  /** Raises the highest-seen epoch of a vault (never lowers it). */
  async function recordEpoch(origin, vaultId, epoch) {
    await updateTeams((teams) => {
      const record = teams[origin];
      if (!record) return;
      record.epochs ??= {};
      record.epochs[vaultId] = Math.max(record.epochs[vaultId] ?? 0, epoch);
    });
  }

  /**
   * Fetches one vault's snapshot, checks that it opens with our keyring, is the vault asked for,
   * and is not older than what we have seen (rollback, FORMAT.md §9: the epoch is authenticated,
   * the server's `version` is not), then caches it; its metadata. Any refusal keeps the cached copy.
   */
  async function fetchSnapshot(tessera, keyring, client, origin, item, snapshotKey, seenEpoch) {
    const vaultId = item.vault_id;
    const { body } = await client.vault(vaultId);
    const bytes = unb64(body.snapshot);
    // Opening checks the snapshot with our keyring before it replaces the cached one.
    const vault = tessera.Vault.open(bytes, keyring);
    let name;
    let epoch;
    try {
      if (vault.id !== vaultId) throw new TeamError('bad_response', 'The server sent another vault.', 200);
      name = vault.name;
      epoch = vault.epoch;
    } finally {
      vault.free();
    }
    if (epoch < seenEpoch) {
      throw new TeamError(
        'vault_rollback',
        `the server sent vault ${vaultId} at key epoch ${epoch}, older than epoch ${seenEpoch} already seen: refused; the cached copy is kept`,
        200,
      );
    }
    // Lower than the list announced: the server serves a stale copy of a newer vault. (Higher is
    // a rotation between the list and this fetch, and is authentic.)
    if (Number.isInteger(item.epoch) && epoch < item.epoch) {
      throw new TeamError(
        'vault_epoch_mismatch',
        `the server listed vault ${vaultId} at key epoch ${item.epoch} but sent epoch ${epoch}: refused; the cached copy is kept`,
        200,
      );
    }
    // The record first: a snapshot in the cache is never newer than the record.
    await recordEpoch(origin, vaultId, epoch);
    await local.set({ [snapshotKey]: body.snapshot });
    closeVault(`${origin} ${vaultId}`);
    return { name, version: body.version, epoch };
  }

  async function applyVaultList(team, client, items) {
    const tessera = await loadWasm();
    const keyring = requireKeyring();
    const cached = team.vaults ?? {};
    const listed = new Map(items.map((v) => [v.vault_id, v]));
    const next = {};
    for (const item of items) {
      const known = cached[item.vault_id];
      let meta = known;
      const snapshotKey = SNAPSHOT_KEY(team.origin, item.vault_id);
      const { [snapshotKey]: haveSnapshot } = await local.get(snapshotKey);
      let error = null;
      if (!known || known.version !== item.version || !haveSnapshot) {
        try {
          const seenEpoch = await highestEpoch(tessera, keyring, team, item.vault_id, haveSnapshot);
          meta = await fetchSnapshot(tessera, keyring, client, team.origin, item, snapshotKey, seenEpoch);
        } catch (e) {
          // Network, session and revocation failures end this sync; a vault that does not open
          // (a snapshot without our grant, a damaged one) is skipped, the cached copy kept.
          if (e instanceof TeamError && (transient(e) || e.status === 401 || REVOKED_CODES.has(e.code))) throw e;
          error = errorRecord(e);
          meta = known ?? { name: null, version: null, epoch: item.epoch }; // shown with its error
        }
      }
      next[item.vault_id] = {
        name: meta.name,
        version: meta.version,
        epoch: meta.epoch ?? item.epoch,
        role: item.role,
        archived: Boolean(item.archived),
        error,
      };
    }
    const removed = Object.entries(cached).filter(([id]) => !listed.has(id));
    for (const [vaultId] of removed) await wipeVault(team.origin, vaultId);
    await updateTeams((teams) => {
      const record = teams[team.origin];
      if (!record) return;
      Object.assign(record, { vaults: next, status: 'active', error: null, syncedMs: now() });
    });
    for (const [, meta] of removed) {
      await notice(team.origin, `Your access to the vault “${meta.name}” on ${team.origin} was removed.`);
    }
  }

  // ---- audit events ---------------------------------------------------------------------------------

  /**
   * Signs and queues one use of a team entry (reveal, copy, fill), then tries to send the queue.
   * Resolves once the event is queued (stored), not when it reaches the server.
   */
  async function recordUse(ref, entryId, action, host = '') {
    if (!ACTIONS.includes(action)) throw coded('bad_argument', 'unknown action');
    const keyring = requireKeyring();
    const time = now();
    const { event, signature } = keyring.signEvent(action, ref.vaultId, entryId, time, host);
    const id = `${time.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    await updateEvents((events) => {
      events.push({ id, origin: ref.origin, vaultId: ref.vaultId, entryId, action, host, time, event, signature, error: null });
      if (events.length > MAX_QUEUED_EVENTS) {
        // Never dropped silently: the oldest waiting ones are marked, and shown.
        for (const e of events.slice(0, events.length - MAX_QUEUED_EVENTS)) {
          e.error ??= { code: 'team_queue_full', status: 0, message: 'Too many events waiting for the server.' };
        }
      }
    });
    const flushing = flush(ref.origin).catch(() => {});
    return { queued: true, flushing };
  }

  /**
   * Sends the queued events of `origin`, oldest first. Accepted ones leave the queue; a network
   * or server failure stops (kept for the next sync); a refusal (4xx other than 401) is kept with
   * its error, shown in the options page, and not sent again.
   */
  function flush(origin) {
    // One flush at a time: two would post the same event twice (the second refused as a replay).
    return flushLock(() => flushNow(origin));
  }

  async function flushNow(origin) {
    const team = (await readTeams())[origin];
    if (!team || team.status !== 'active' || !getKeyring()) return;
    const waiting = (await readEvents()).filter((e) => e.origin === origin && !e.error);
    if (waiting.length === 0) return;
    const done = new Set();
    const failed = new Map();
    try {
      await withSession(team, async (client) => {
        for (const e of waiting) {
          if (done.has(e.id) || failed.has(e.id)) continue;
          try {
            await client.postEvent({ event: e.event, signature: e.signature });
            done.add(e.id);
          } catch (error) {
            if (!(error instanceof TeamError) || transient(error) || error.status === 401) throw error;
            if (REVOKED_CODES.has(error.code)) throw error;
            failed.set(e.id, errorRecord(error));
          }
        }
      });
    } catch (error) {
      if (error instanceof TeamError && REVOKED_CODES.has(error.code)) {
        await revoked(origin);
        return;
      }
      // Kept for the next sync.
    } finally {
      if (done.size > 0 || failed.size > 0) {
        await updateEvents((events) =>
          events
            .filter((e) => !done.has(e.id))
            .map((e) => (failed.has(e.id) ? { ...e, error: failed.get(e.id) } : e)),
        );
      }
    }
  }

  /** Removes events kept with an error once the member has seen them (options page). */
  async function dismissFailedEvents(origin) {
    await updateEvents((events) => events.filter((e) => !(e.error && (!origin || e.origin === origin))));
  }

  // ---- the open team vaults -------------------------------------------------------------------------

  /**
   * The team vaults to show and fill from: opened from the cache with the keyring (works offline),
   * archived ones left out. `[{key, origin, vaultId, name, role, vault}]`; [] when locked.
   */
  async function openVaults() {
    const keyring = getKeyring();
    if (!keyring) return [];
    const tessera = await loadWasm();
    const teams = await cachedTeams();
    const out = [];
    const wanted = new Set();
    for (const team of Object.values(teams)) {
      if (team.status === 'revoked') continue;
      for (const [vaultId, meta] of Object.entries(team.vaults ?? {})) {
        if (meta.archived) continue;
        const key = `${team.origin} ${vaultId}`;
        wanted.add(key);
        let handle = opened.get(key);
        if (!handle || handle.version !== meta.version) {
          closeVault(key);
          const snapshotKey = SNAPSHOT_KEY(team.origin, vaultId);
          const { [snapshotKey]: snapshot } = await local.get(snapshotKey);
          if (!snapshot) continue;
          try {
            handle = { vault: tessera.Vault.open(unb64(snapshot), keyring), version: meta.version };
          } catch {
            continue; // a damaged cache entry: the next sync fetches it again
          }
          opened.set(key, handle);
        }
        out.push({ key, origin: team.origin, vaultId, name: meta.name, role: meta.role, vault: handle.vault });
      }
    }
    for (const key of [...opened.keys()]) if (!wanted.has(key)) closeVault(key);
    return out;
  }

  /** Whether the member may see entry seeds of this team vault: only with role `manage`. */
  function mayReveal(ref) {
    return ref?.role === 'manage';
  }

  /** Frees every open team vault (on lock) and forgets the session tokens. */
  async function close() {
    for (const key of [...opened.keys()]) closeVault(key);
    memoryTokens.clear();
    await session?.remove('teamTokens');
  }

  // ---- status -------------------------------------------------------------------------------------

  /** What the popup shows of team mode: the notices only (a revocation, a removed grant). */
  async function notices() {
    const { teamNotices = [] } = await local.get('teamNotices');
    return { notices: teamNotices };
  }

  /** What the options page shows: teams, vaults, queued and refused events, notices. */
  async function status() {
    const teams = await readTeams();
    const events = await readEvents();
    const { teamNotices = [] } = await local.get('teamNotices');
    return {
      teams: Object.values(teams).map((t) => ({
        origin: t.origin,
        memberId: t.memberId,
        fingerprint: t.fingerprint,
        status: t.status,
        error: t.error ?? null,
        syncedMs: t.syncedMs ?? null,
        vaults: Object.entries(t.vaults ?? {}).map(([id, v]) => ({
          id,
          name: v.name,
          role: v.role,
          version: v.version,
          archived: Boolean(v.archived),
          error: v.error ?? null,
        })),
        queued: events.filter((e) => e.origin === t.origin && !e.error).length,
      })),
      failedEvents: events
        .filter((e) => e.error)
        .map(({ origin, vaultId, entryId, action, host, time, error }) => ({ origin, vaultId, entryId, action, host, time, error })),
      notices: teamNotices,
    };
  }

  return {
    connect,
    disconnect,
    sync,
    flush,
    recordUse,
    dismissFailedEvents,
    clearNotices,
    openVaults,
    invalidateTeams,
    mayReveal,
    close,
    status,
    notices,
  };
}
