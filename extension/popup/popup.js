// The popup: unlock or create, then the entries with live codes. Renders only the rows in view
// (fixed row height), so 10,000 entries cost the same as 10; asks the background for the codes of
// those rows once a second, naming each row's vault (one batch call in wasm per vault).
//
// Opening: the first screen's rows come first (POPUP_ENTRIES with `first`), their codes are shown,
// and only then is the whole list fetched (compact: the fields a row and the search use) for search
// and scrolling. The performance marks (`tessera:*`) are read by bench/extension-bench.mjs.
import { ext } from '../browser.js';
import { MSG } from '../messages.js';
import { describeError, send } from '../pages/api.js';
import { readQrFromTab } from '../pages/qr.js';
import { element, renderCreateForm, renderUnlockForm } from '../pages/vault-forms.js';

performance.mark('tessera:script');

const ROW_HEIGHT = 56;
const OVERSCAN = 4;
/** Show the next code when fewer seconds than this remain. */
const NEXT_CODE_SECONDS = 5;

const $ = (id) => document.getElementById(id);
const state = {
  entries: [], // {id, vault, vaultName, type, period, label, ...} in vault order (POPUP_ENTRIES)
  complete: false, // false while only the first screen's entries are here
  haystacks: [], // lower-case search text per entry
  shown: [], // indices into entries, after search
  selected: 0,
  codes: new Map(), // id -> {code, next, time}
  tab: { signIn: false, mfa: false, filled: false },
  timer: null,
};

function describe(info) {
  const parts = [];
  if (info.issuer) parts.push(info.issuer);
  const account = [info.awsAccountAlias, info.awsAccountId].filter(Boolean).join(' ');
  if (account) parts.push(account);
  if (info.awsPrincipal === 'root') parts.push(info.rootEmail ? `root (${info.rootEmail})` : 'root');
  else if (info.iamUserName) parts.push(info.iamUserName);
  return parts.join(' · ');
}

// ---- gate ------------------------------------------------------------------------------------

let starting = null;

/** Shows the gate or the vault; concurrent calls (Lock, a tick that found the vault locked) share one. */
function start() {
  starting ??= showState().finally(() => {
    starting = null;
  });
  return starting;
}

async function showState() {
  const { state: vaultState } = await send(MSG.VAULT_STATUS);
  performance.mark('tessera:status');
  $('app').setAttribute('aria-busy', 'false');
  if (vaultState === 'unlocked') return showVault();
  $('vault').classList.add('hidden');
  $('gate').classList.remove('hidden');
  if (vaultState === 'none') renderCreateForm($('gate'), showVault);
  else renderUnlockForm($('gate'), showVault);
}

/** Rows on the first screen (with the overscan), what the first request asks for. */
function screenRows() {
  return Math.max(1, Math.ceil($('viewport').clientHeight / ROW_HEIGHT) + 2 * OVERSCAN);
}

/** The popup's list from the background (POPUP_ENTRIES, compact) as row objects. */
async function fetchEntries(first) {
  const reply = await send(MSG.POPUP_ENTRIES, first ? { first } : {});
  const entries = reply.entries.map(({ v, ...info }) => ({ ...info, vault: reply.vaults[v].key, vaultName: reply.vaults[v].name }));
  return { entries, complete: entries.length >= reply.total };
}

async function showVault() {
  $('gate').classList.add('hidden');
  $('vault').classList.remove('hidden');
  const [head, tab, team] = await Promise.all([
    fetchEntries(screenRows()),
    send(MSG.ACTIVE_TAB_STATE),
    send(MSG.TEAM_NOTICES),
  ]);
  performance.mark('tessera:first-entries');
  state.tab = tab;
  // "Your access to <server> was revoked" and the like, until dismissed in the options page.
  const notices = team.notices.map((n) => n.text);
  $('team-notice').textContent = notices.join(' ');
  $('team-notice').classList.toggle('hidden', notices.length === 0);
  $('fillbar').classList.toggle('hidden', !tab.signIn);
  $('search').focus();
  await setEntries(head.entries, head.complete); // renders once and fetches the codes in view once
  performance.mark('tessera:first-codes');
  // The toolbar button on an AWS MFA step: fill it (one click). Also after an earlier fill: the
  // user may have emptied the field, and only the page knows (a refill writes the current code).
  if (tab.signIn && tab.mfa) fillActive();
  if (!head.complete) {
    await loadAllEntries().catch((error) => {
      if (error.code === 'vault_locked') return start();
      $('list-status').textContent = describeError(error);
      return undefined;
    });
  }
}

/** The whole list, after the first screen: what was selected and scrolled stays. */
async function loadAllEntries() {
  const all = await fetchEntries();
  performance.mark('tessera:all-entries');
  await setEntries(all.entries, true, { keep: true });
}

function setEntries(entries, complete = true, { keep = false } = {}) {
  // The entry selected before (by id: under a search, the whole list may put it at another row).
  const keepId = keep ? (state.entries[state.shown[state.selected]]?.id ?? null) : undefined;
  state.entries = entries;
  state.complete = complete;
  state.haystacks = entries.map((e) =>
    [e.label, e.issuer, e.awsAccountId, e.awsAccountAlias, e.iamUserName, e.rootEmail, e.vaultName]
      .filter(Boolean)
      .join('\n')
      .toLowerCase(),
  );
  return filter({ keepId });
}

/**
 * Applies the search. `keepId` (the list grew under an unchanged search): the entry of that id
 * stays selected, and the scroll position stays unless it must move to show it.
 */
function filter({ keepId } = {}) {
  const terms = $('search').value.toLowerCase().split(/\s+/).filter(Boolean);
  state.shown = [];
  for (let i = 0; i < state.entries.length; i += 1) {
    if (terms.every((t) => state.haystacks[i].includes(t))) state.shown.push(i);
  }
  if (keepId === undefined) {
    state.selected = 0;
    $('viewport').scrollTop = 0;
  } else {
    state.selected = Math.max(0, state.shown.findIndex((i) => state.entries[i].id === keepId));
  }
  $('list-status').textContent =
    state.entries.length === 0
      ? 'No entries yet: press + to paste otpauth URIs.'
      : state.shown.length === 0
        ? state.complete
          ? 'No entry matches.'
          : 'Searching…'
        : '';
  $('spacer').style.height = `${state.shown.length * ROW_HEIGHT}px`;
  if (keepId === undefined || state.shown.length === 0) render();
  else select(state.selected); // scrolls to it if needed, renders
  return tick();
}

// ---- rows --------------------------------------------------------------------------------------

function visibleRange() {
  const viewport = $('viewport');
  const first = Math.max(0, Math.floor(viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
  const count = Math.ceil(viewport.clientHeight / ROW_HEIGHT) + 2 * OVERSCAN;
  return [first, Math.min(state.shown.length, first + count)];
}

function codeCell(info, now) {
  const entry = state.codes.get(info.id);
  const cell = element('div', { className: 'code' });
  if (!entry) return cell;
  if (info.type !== 'totp') {
    cell.append(entry.code);
    return cell;
  }
  const left = Math.ceil(info.period - (now % info.period));
  cell.append(entry.code, element('small', {}, `${left}s`));
  if (left <= NEXT_CODE_SECONDS && entry.next) {
    cell.append(element('small', { className: 'next' }, `next ${entry.next}`));
  }
  return cell;
}

function render() {
  const [first, last] = visibleRange();
  const now = Date.now() / 1000;
  const rows = [];
  for (let position = first; position < last; position += 1) {
    const info = state.entries[state.shown[position]];
    const row = element('div', { className: 'row', id: `row-${position}` });
    row.style.top = `${position * ROW_HEIGHT}px`;
    row.dataset.position = String(position);
    row.setAttribute('role', 'option');
    row.setAttribute('aria-selected', String(position === state.selected));
    const meta = describe(info);
    const code = state.codes.get(info.id)?.code;
    row.dataset.id = info.id;
    row.dataset.vault = info.vault ?? '';
    row.setAttribute('aria-label', `${info.label}, ${info.vaultName}${meta ? `, ${meta}` : ''}${code ? `, code ${code.split('').join(' ')}` : ''}`);
    // Which vault (client) the entry belongs to: the personal vault or a team vault's name.
    const vaultLabel = element('span', { className: 'entry-vault' }, info.vaultName ?? '');
    row.append(element('div', { className: 'name' }, info.label, vaultLabel), codeCell(info, now), element('div', { className: 'meta' }, meta));
    rows.push(row);
  }
  $('spacer').replaceChildren(...rows);
  $('viewport').setAttribute('aria-activedescendant', `row-${state.selected}`);
}

/** The rows' entries grouped by vault key, in first-seen order: `[{vault, infos}]`. */
function groupByVault(infos) {
  const groups = new Map();
  for (const info of infos) {
    if (!groups.has(info.vault)) groups.set(info.vault, []);
    groups.get(info.vault).push(info);
  }
  return [...groups].map(([vault, members]) => ({ vault, infos: members }));
}

/** Set after a list reload for an entry that was gone: the next failure is shown, not reloaded. */
let reloadedForMissing = false;

/**
 * One request for the rows in view: current codes, and the next ones when a window ends soon.
 * Each group names its vault: the background asks that vault once (one wasm batch per vault).
 */
async function tick() {
  clearTimeout(state.timer);
  const [first, last] = visibleRange();
  const infos = state.shown.slice(first, last).map((i) => state.entries[i]);
  if (infos.length > 0) {
    const now = Date.now() / 1000;
    const soon = infos.some((i) => i.type === 'totp' && i.period - (now % i.period) <= NEXT_CODE_SECONDS);
    const groups = groupByVault(infos);
    try {
      const reply = await send(MSG.ENTRIES_CODES, {
        groups: groups.map((g) => ({ vault: g.vault, ids: g.infos.map((i) => i.id) })),
        ...(soon ? { ahead: NEXT_CODE_SECONDS } : {}),
      });
      groups.forEach((group, g) =>
        group.infos.forEach((info, k) =>
          state.codes.set(info.id, { code: reply.codes[g][k], next: reply.next?.[g]?.[k] ?? null }),
        ),
      );
      reloadedForMissing = false;
      render();
    } catch (error) {
      // Locked meanwhile (auto-lock, Lock): back to the gate, unless it is already shown (a
      // second rendering would replace the form the user is typing in).
      if (error.code === 'vault_locked') return $('vault').classList.contains('hidden') ? undefined : start();
      // An entry or a vault went away (deleted in the options page, a team sync or revocation):
      // the list again, once.
      if (error.code === 'entry_not_found' && !reloadedForMissing) {
        reloadedForMissing = true;
        return loadAllEntries().catch((e) => {
          $('list-status').textContent = describeError(e);
        });
      }
      $('list-status').textContent = describeError(error);
    }
  }
  // Next tick on the next whole second, when the countdowns change.
  state.timer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
}

// ---- actions -----------------------------------------------------------------------------------

async function copy(position) {
  const info = state.entries[state.shown[position]];
  const code = state.codes.get(info?.id)?.code;
  if (!code) return;
  await navigator.clipboard.writeText(code);
  $('list-status').textContent = `Copied the code of ${info.label}.`;
  await send(MSG.ENTRY_COPIED, { id: info.id, vault: info.vault });
}

async function fillActive(id) {
  $('fill-status').textContent = '';
  try {
    await send(MSG.FILL_ACTIVE_TAB, id ? { id } : {});
    $('fill-status').textContent = id ? 'Filled.' : 'Asked the page for its MFA step.';
  } catch (error) {
    $('fill-status').textContent = describeError(error);
  }
}

function select(position) {
  if (state.shown.length === 0) return;
  state.selected = Math.max(0, Math.min(state.shown.length - 1, position));
  const viewport = $('viewport');
  const top = state.selected * ROW_HEIGHT;
  if (top < viewport.scrollTop) viewport.scrollTop = top;
  else if (top + ROW_HEIGHT > viewport.scrollTop + viewport.clientHeight) {
    viewport.scrollTop = top + ROW_HEIGHT - viewport.clientHeight;
  }
  render();
}

function onKey(event) {
  const page = Math.floor($('viewport').clientHeight / ROW_HEIGHT);
  const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
  if (event.key in moves) {
    event.preventDefault();
    select(state.selected + moves[event.key]);
  } else if (event.key === 'Enter' && state.shown.length > 0) {
    event.preventDefault();
    // Enter copies; Shift+Enter fills the AWS sign-in tab with the selected entry.
    if (event.shiftKey && state.tab.signIn) fillActive(state.entries[state.shown[state.selected]].id);
    else copy(state.selected);
  }
}

$('search').addEventListener('input', filter);
$('search').addEventListener('keydown', onKey);
$('viewport').addEventListener('keydown', onKey);
$('viewport').addEventListener('scroll', () => {
  render();
  // Codes for the rows scrolled into view, once scrolling pauses.
  clearTimeout(state.timer);
  state.timer = setTimeout(tick, 50);
});
$('viewport').addEventListener('click', (event) => {
  const row = event.target.closest('.row');
  if (!row) return;
  select(Number(row.dataset.position));
  copy(Number(row.dataset.position));
});
$('fill').addEventListener('click', () => fillActive());
$('lock').addEventListener('click', async () => {
  await send(MSG.VAULT_LOCK);
  clearTimeout(state.timer);
  start();
});
$('options').addEventListener('click', () => ext.runtime.openOptionsPage());
$('add').addEventListener('click', () => {
  $('import-form').classList.toggle('hidden');
  $('import-text').focus();
});
/**
 * jsQR (vendor/jsQR.js, 250 KB, a classic script) for readQrFromTab where the browser has no
 * BarcodeDetector: loaded on the first scan, not with the popup (it would delay the first paint).
 */
let jsQrLoading = null;
function loadJsQr() {
  jsQrLoading ??= new Promise((resolve, reject) => {
    if (globalThis.jsQR) {
      resolve();
      return;
    }
    const script = document.createElement('script');
    script.src = '../vendor/jsQR.js';
    script.onload = () => resolve();
    script.onerror = () => {
      jsQrLoading = null;
      reject(new Error('jsQR did not load'));
    };
    document.head.append(script);
  });
  return jsQrLoading;
}

// A QR code on the page the popup was opened over (e.g. a service's "set up MFA" page): decoded
// here, put up for import like a paste.
$('scan-tab').addEventListener('click', async () => {
  try {
    await loadJsQr();
    const text = await readQrFromTab(ext.tabs);
    if (!text) {
      $('import-status').textContent = 'No QR code found on this tab.';
      return;
    }
    const area = $('import-text');
    area.value = `${area.value.trim()}\n${text}`.trim();
    $('import-status').textContent = 'QR code read from the tab: press Import to add it.';
  } catch {
    $('import-status').textContent = 'This tab could not be captured: open Tessera from the toolbar on it.';
  }
});
$('import-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const result = await send(MSG.ENTRIES_IMPORT, { text: $('import-text').value });
    $('import-status').textContent = `Added ${result.added.length}, failed ${result.failed.length}.`;
    if (result.failed.length === 0) $('import-text').value = '';
    setEntries((await fetchEntries()).entries);
  } catch (error) {
    $('import-status').textContent = describeError(error);
  }
});

start().catch((error) => {
  $('gate').textContent = describeError(error);
});
