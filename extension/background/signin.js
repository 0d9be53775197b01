// AWS sign-in in the background: what each tab's content script reported, which entry belongs
// there (the core's matching, through the wasm layer), and the code sent back.
//
// Every decision about hosts and candidates is the core's (`classifyHost`, `rankSignIn`, per
// vault; the rankings of the personal and team vaults are merged here by the core's own rule).
// This module keeps per-tab state, computes codes, and talks to tabs. The content script gets a
// code or candidate labels, never a seed. A fill from a team vault is a signed audit event.
import { actionApi, ext, sessionStorageArea } from '../browser.js';
import { LIMITS, MFA_UI, MSG, NOTHING_REASON, make } from '../messages.js';
import { loadWasm } from '../wasm.js';
import { getSettings } from './settings.js';
import { ACTIONS, logUse } from './use-log.js';
import { codedError, openVault, sessionVaultKey } from './vault.js';
import { mergeRankings } from './ranking.js';
import { PERSONAL, allVaults, locateIn, recordTeamUse } from './vaults.js';

const BACKGROUND = 'background';
const TAB_KEY = (tabId) => `signin:${tabId}`;
/** Fewer seconds than this left in the window: fill the next code once it is valid. */
export const NEXT_CODE_THRESHOLD_S = 3;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- per-tab state (storage.session: survives the service worker being stopped) ---------------

/**
 * `{url, fields: {resolving?, account?, username?}, offered: [ids], mfa, filled, pending}`:
 * `url` the sign-in URL that names the most (an ACCOUNT.signin... URL when the flow passed one).
 */
async function tabState(tabId) {
  const area = sessionStorageArea();
  const key = TAB_KEY(tabId);
  const { [key]: state } = area ? await area.get(key) : {};
  return state ?? null;
}

async function saveTabState(tabId, state) {
  await sessionStorageArea()?.set({ [TAB_KEY(tabId)]: state });
}

export async function forgetTab(tabId) {
  await sessionStorageArea()?.remove(TAB_KEY(tabId));
}

function freshState(url) {
  return { url, fields: {}, offered: [], mfa: false, filled: false, pending: false };
}

/** The sign-in host of a content script's sender, or null (then nothing is answered). */
export async function signInHost(url) {
  if (typeof url !== 'string') return null;
  const tessera = await loadWasm();
  return tessera.classifyHost(url) ?? null;
}

/**
 * The tab's state for a message from `url`. A new sign-in starts afresh: the first report,
 * credentials typed after a fill, or an account's own sign-in URL. (An MFA step shown again
 * after a fill is the same sign-in: AWS shows a fresh code field after a wrong code.) The URL kept is the one that names the
 * most: an account's URL stays over the regional or global page it redirects to.
 */
async function stateFor(tabId, url, host, { credentials = false } = {}) {
  const state = await tabState(tabId);
  const restart = !state || (credentials && state.filled) || (host.scope === 'account' && state.url !== url);
  if (restart) {
    return { ...freshState(url), scope: host.scope };
  }
  if (state.scope !== 'account') {
    state.url = url;
    state.scope = host.scope;
  }
  return state;
}

/**
 * Runs `fn` after every earlier call for the same tab: the content script sends several reports
 * at once (one per credential field), and each reads, changes and writes the tab's state.
 */
const tabQueues = new Map();
function serialised(tabId, fn) {
  const previous = tabQueues.get(tabId) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(fn);
  tabQueues.set(tabId, run);
  run.finally(() => {
    if (tabQueues.get(tabId) === run) tabQueues.delete(tabId);
  }).catch(() => {});
  return run;
}

// ---- content script messages ------------------------------------------------------------------

export function onCredentialsTyped(message, sender, host) {
  return serialised(sender.tab.id, () => credentialsTyped(message, sender, host));
}

async function credentialsTyped(message, sender, host) {
  const tabId = sender.tab.id;
  const state = await stateFor(tabId, sender.url, host, { credentials: true });
  const { field, value } = message;
  state.fields[field] = value;
  // Root (an e-mail in the first field) and IAM user (a user name) exclude each other: the
  // latest one typed is the sign-in in progress.
  if (field === 'resolving' && value.includes('@')) delete state.fields.username;
  if (field === 'username' && state.fields.resolving?.includes('@')) delete state.fields.resolving;
  await saveTabState(tabId, state);
}

export function onMfaStepShown(message, sender, host) {
  return serialised(sender.tab.id, () => mfaStepShown(message, sender, host));
}

async function mfaStepShown(message, sender, host) {
  const tabId = sender.tab.id;
  const state = await stateFor(tabId, sender.url, host);
  state.mfa = true;
  const vault = await openVault();
  if (!vault) {
    state.pending = true;
    await saveTabState(tabId, state);
    await markTab(tabId, true);
    return make(MSG.NOTHING_TO_FILL, { reason: NOTHING_REASON.LOCKED }, BACKGROUND);
  }
  state.pending = false;
  await markTab(tabId, false);
  if (message.ui === MFA_UI.CHOOSER) {
    // The device chooser comes before the code field: the content script picks "Authenticator
    // app" on SHOW_CHOOSER and reports the code field next, where the entry is decided.
    await saveTabState(tabId, state);
    return make(MSG.SHOW_CHOOSER, { candidates: [] }, BACKGROUND);
  }
  const vaults = await allVaults(vault);
  const ranking = await rank(vaults, state);
  if (ranking.fill) {
    await saveTabState(tabId, state);
    return fillReply(ranking.fill, tabId, sender.url, vaults);
  }
  const offered = ranking.candidates.slice(0, LIMITS.CANDIDATES);
  state.offered = offered.map((c) => c.id);
  state.accountKey = ranking.accountKey;
  await saveTabState(tabId, state);
  return make(MSG.SHOW_CHOOSER, { candidates: offered.map((c) => candidate(c.ref, c.id)) }, BACKGROUND);
}

export function onCandidateChosen(message, sender) {
  return serialised(sender.tab.id, () => candidateChosen(message, sender));
}

async function candidateChosen(message, sender) {
  const tabId = sender.tab.id;
  const state = await tabState(tabId);
  // Only an entry this tab was offered: the page cannot ask for any other entry's code.
  if (!state || !state.offered.includes(message.id)) {
    return make(MSG.NOTHING_TO_FILL, { reason: NOTHING_REASON.DECLINED }, BACKGROUND);
  }
  const vault = await openVault();
  if (!vault) return make(MSG.NOTHING_TO_FILL, { reason: NOTHING_REASON.LOCKED }, BACKGROUND);
  if (message.remember && state.accountKey) await remember(state.accountKey, message.id);
  await saveTabState(tabId, state);
  return fillReply(message.id, tabId, sender.url, await allVaults(vault));
}

// ---- matching -----------------------------------------------------------------------------------

async function rank(vaults, state) {
  const tessera = await loadWasm();
  const context = { url: state.url, ...state.fields };
  const rankings = vaults.map((ref) => ({ ref, ranking: tessera.rankSignIn(ref.vault, context, undefined) }));
  const accountKey = rankings[0]?.ranking.accountKey;
  const remembered = accountKey ? await rememberedChoice(accountKey) : undefined;
  return mergeRankings(rankings, remembered);
}

/** What the chooser shows for an entry: its name and what tells it apart (and its team vault). Text only. */
export function describe(info, vaultName = null) {
  const parts = [info.label];
  if (info.issuer) parts.push(info.issuer);
  const account = info.awsAccountAlias ?? info.awsAccountId;
  if (account) parts.push(account);
  if (info.awsPrincipal === 'root') parts.push(info.rootEmail ? `root ${info.rootEmail}` : 'root');
  else if (info.iamUserName) parts.push(info.iamUserName);
  if (vaultName) parts.push(`(${vaultName})`);
  return parts.join(' · ').slice(0, LIMITS.LABEL);
}

function candidate(ref, id) {
  return { id, label: describe(ref.vault.get(id), ref.key === PERSONAL ? null : ref.name) };
}

// Remembered choices: storage.local maps HMAC-SHA256(vault key, account key) to an entry id, so
// the stored map does not say which accounts the user signs in to.
async function rememberKey(accountKey) {
  const raw = sessionVaultKey();
  if (!raw) throw codedError('vault_locked');
  const key = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`tessera/remember/${accountKey}`));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function rememberedChoice(accountKey) {
  const { remembered = {} } = await ext.storage.local.get('remembered');
  return remembered[await rememberKey(accountKey)];
}

async function remember(accountKey, id) {
  const key = await rememberKey(accountKey);
  const { remembered = {} } = await ext.storage.local.get('remembered');
  remembered[key] = id;
  await ext.storage.local.set({ remembered });
}

/** Forgets remembered choices of a deleted entry. */
export async function forgetEntry(id) {
  const { remembered = {} } = await ext.storage.local.get('remembered');
  for (const [key, value] of Object.entries(remembered)) if (value === id) delete remembered[key];
  await ext.storage.local.set({ remembered });
}

// ---- codes --------------------------------------------------------------------------------------

/**
 * The code to fill for entry `id`: the current one, or, with fewer than NEXT_CODE_THRESHOLD_S
 * seconds left in its window, the next one once it is valid (a code typed in its last second
 * is often already expired when AWS checks it).
 */
export async function codeToFill(vault, id) {
  const info = vault.get(id);
  let now = Date.now() / 1000;
  if (info.type === 'totp') {
    const left = info.period - (now % info.period);
    if (left < NEXT_CODE_THRESHOLD_S) {
      await sleep(left * 1000 + 50);
      now = Date.now() / 1000;
    }
  }
  return vault.code(id, now);
}

async function fillReply(id, tabId, url, vaults) {
  const ref = locateIn(id, vaults ?? (await allVaults()));
  const code = await codeToFill(ref.vault, id);
  const { autoSubmit } = await getSettings();
  const state = (await tabState(tabId)) ?? freshState(url);
  state.filled = true;
  state.offered = [];
  await saveTabState(tabId, state);
  const host = new URL(url).host;
  await logUse(id, ACTIONS.FILL, host);
  await recordTeamUse(ref, id, ACTIONS.FILL, host);
  return make(MSG.FILL_CODE, { code, autoSubmit }, BACKGROUND);
}

// ---- the toolbar, the shortcut, the popup -------------------------------------------------------

async function activeTab() {
  const [tab] = await ext.tabs.query({ active: true, lastFocusedWindow: true });
  return tab ?? null;
}

/** What the popup shows about the active tab: `{signIn, mfa, filled, host}`. */
export async function activeTabState() {
  const tab = await activeTab();
  const host = tab?.url ? await signInHost(tab.url) : null;
  if (!host) return { signIn: false, mfa: false, filled: false, host: null };
  const state = await tabState(tab.id);
  return { signIn: true, mfa: Boolean(state?.mfa), filled: Boolean(state?.filled), host: host.host };
}

/**
 * Fills the active tab: with entry `id` when given (the popup's Fill on a row), else by asking
 * its content script to report its MFA step again (the toolbar and the shortcut), which goes
 * through matching like an automatic fill. Only on a sign-in host, only the top frame.
 */
export async function fillActiveTab(id) {
  const tab = await activeTab();
  const host = tab?.url ? await signInHost(tab.url) : null;
  if (!host) throw codedError(NOTHING_REASON.NOT_SIGN_IN, 'the active tab is not an AWS sign-in page');
  if (id === undefined) {
    await ext.tabs.sendMessage(tab.id, make(MSG.RESCAN, {}, BACKGROUND), { frameId: 0 });
    return { requested: true };
  }
  // Locked: fillReply's allVaults() throws vault_locked.
  const reply = await fillReply(id, tab.id, tab.url);
  await ext.tabs.sendMessage(tab.id, reply, { frameId: 0 });
  return { filled: true };
}

/** After an unlock: every tab that showed its MFA step while locked is asked again. */
export async function rescanPendingTabs() {
  const area = sessionStorageArea();
  if (!area) return;
  const all = await area.get(null);
  for (const [key, state] of Object.entries(all)) {
    if (!key.startsWith('signin:') || !state?.pending) continue;
    const tabId = Number(key.slice('signin:'.length));
    state.pending = false;
    await area.set({ [key]: state });
    await markTab(tabId, false);
    try {
      await ext.tabs.sendMessage(tabId, make(MSG.RESCAN, {}, BACKGROUND), { frameId: 0 });
    } catch {
      // The tab is gone or navigated away: nothing to fill.
    }
  }
}

/** A badge on the toolbar button of a tab waiting for the vault to be unlocked. */
async function markTab(tabId, waiting) {
  const action = actionApi();
  try {
    await action?.setBadgeText({ tabId, text: waiting ? '!' : '' });
  } catch {
    // The tab closed meanwhile.
  }
}
