// The options page: create/unlock, connect to a team server, add entries (paste, QR image),
// import the CLI's vault home, edit, reveal and delete entries, the local use log, settings.
import { ext } from '../browser.js';
import { MSG } from '../messages.js';
import { describeError, send } from '../pages/api.js';
import { parseInviteLink, permissionPattern } from '../shared/team-client.js';
import { readQr } from '../pages/qr.js';
import { pendingPoll } from './pending-poll.js';
import { renderCreateForm, renderUnlockForm } from '../pages/vault-forms.js';

/** Entries listed at once in the management list; search narrows it down. */
const MAX_LISTED = 200;
const $ = (id) => document.getElementById(id);
let entries = [];

async function start() {
  const { state, size } = await send(MSG.VAULT_STATUS);
  if (state !== 'unlocked') {
    $('vault').classList.add('hidden');
    $('gate').classList.remove('hidden');
    if (state === 'none') renderCreateForm($('gate'), start);
    else renderUnlockForm($('gate'), start);
    return;
  }
  $('gate').classList.add('hidden');
  $('vault').classList.remove('hidden');
  $('vault-summary').textContent = `Unlocked: ${size} entries.`;
  await loadEntries();
  await loadTeam();
  await loadSettings();
  await loadUseLog();
}

// ---- team server ---------------------------------------------------------------------------------

/**
 * While a connection waits for the admin's confirmation, sync to notice it: every 5 s for 30 s,
 * then slowing down to once a minute (each sync is a sign-in challenge, rate-limited per IP);
 * from the start again on the user's action and when the page is shown again (pending-poll.js).
 */
const poll = pendingPoll(() => syncTeam().catch(() => {}));
document.addEventListener('visibilitychange', () => poll.visible(document.visibilityState === 'visible'));
/** The team status last rendered (what a sync is compared with). */
let shownTeam = null;

function vaultText(v) {
  const role = v.role === 'use' ? 'codes only' : 'manage';
  // A refused older copy (rollback) is not a vault that does not open: the cached copy is in use.
  const refused = v.error?.code === 'vault_rollback' || v.error?.code === 'vault_epoch_mismatch';
  const problem = !v.error
    ? ''
    : refused
      ? `: the server sent an older copy, refused; the cached copy is kept (${v.error.code})`
      : `: does not open here (${v.error.code})`;
  return `${v.name ?? 'unnamed vault'} (${role})${problem}`;
}

function teamLine(t) {
  const li = document.createElement('li');
  li.className = 'team';
  li.dataset.origin = t.origin;
  li.dataset.status = t.status;
  const head = document.createElement('div');
  const name = document.createElement('strong');
  name.textContent = t.origin;
  const state = {
    pending: 'waiting for your admin to confirm your fingerprint',
    active: `connected: ${t.vaults.filter((v) => !v.archived).length} vaults`,
    revoked: 'access revoked',
  }[t.status] ?? t.status;
  head.append(name, ` — ${state}`);
  li.append(head);
  if (t.status !== 'revoked') {
    const details = document.createElement('p');
    details.className = 'muted';
    details.textContent = [
      `Fingerprint ${t.fingerprint}`,
      t.vaults.length > 0 ? `Vaults: ${t.vaults.map(vaultText).join(', ')}` : null,
      t.queued > 0 ? `${t.queued} audit events waiting to be sent` : null,
      t.syncedMs ? `last synced ${new Date(t.syncedMs).toLocaleString()}` : null,
      t.error ? `last sync failed: ${describeError(t.error)}` : null,
    ]
      .filter(Boolean)
      .join(' · ');
    li.append(details);
  }
  const forget = document.createElement('button');
  forget.type = 'button';
  forget.className = 'team-forget';
  forget.textContent = t.status === 'revoked' ? 'Dismiss' : 'Forget this server';
  forget.setAttribute('aria-label', `Forget ${t.origin}`);
  forget.addEventListener('click', async () => {
    if (t.status !== 'revoked' && !window.confirm(`Forget ${t.origin} on this device? Its vaults are removed from here.`)) return;
    renderTeam(await send(MSG.TEAM_DISCONNECT, { origin: t.origin }));
    await loadEntries();
  });
  li.append(forget);
  return li;
}

function renderTeam(status) {
  shownTeam = status;
  $('team-list').replaceChildren(...status.teams.map(teamLine));
  $('team-sync').classList.toggle('hidden', !status.teams.some((t) => t.status !== 'revoked'));
  const pending = status.teams.find((t) => t.status === 'pending');
  const shown = pending ?? status.teams.find((t) => t.status === 'active');
  if (shown) {
    $('team-fingerprint').textContent = shown.fingerprint;
    $('team-fingerprint-box').classList.remove('hidden');
  } else {
    $('team-fingerprint').textContent = '';
    $('team-fingerprint-box').classList.add('hidden');
  }
  const notices = status.notices.map((n) => n.text);
  const line = pending
    ? `Read your fingerprint to your admin. Waiting for confirmation by ${pending.origin}…`
    : status.teams.some((t) => t.status === 'active')
      ? `Connected to ${status.teams.filter((t) => t.status === 'active').map((t) => t.origin).join(', ')}.`
      : '';
  $('team-status').textContent = [...notices, line].filter(Boolean).join(' ');
  $('team-status').dataset.state = pending ? 'pending' : status.teams.some((t) => t.status === 'active') ? 'active' : notices.length > 0 ? 'revoked' : 'none';
  const failed = status.failedEvents;
  $('team-failed-box').classList.toggle('hidden', failed.length === 0);
  $('team-failed').replaceChildren(
    ...failed.map((e) => {
      const li = document.createElement('li');
      li.className = 'team-failed-event';
      li.textContent = `${e.action} of entry ${e.entryId} on ${new Date(e.time).toLocaleString()} (${e.origin}): ${e.error.code}${e.error.message && e.error.message !== e.error.code ? ` — ${e.error.message}` : ''}`;
      return li;
    }),
  );
  poll.update(Boolean(pending));
}

async function loadTeam() {
  renderTeam(await send(MSG.TEAM_STATUS));
}

async function syncTeam() {
  const before = shownTeam ?? (await send(MSG.TEAM_STATUS));
  const after = await send(MSG.TEAM_SYNC);
  renderTeam(after);
  const changed = JSON.stringify(before.teams.map((t) => [t.status, t.vaults])) !== JSON.stringify(after.teams.map((t) => [t.status, t.vaults]));
  if (changed) await loadEntries();
}

/**
 * Connect: the link is checked here first, because the host permission must be asked for in the
 * click itself (browsers refuse permissions.request outside a user gesture, and an await before it
 * loses the gesture in Firefox); the background then accepts the invite with this device's keys.
 */
function connectTeam() {
  const status = $('team-status');
  let origin;
  try {
    ({ origin } = parseInviteLink($('team-invite').value));
  } catch (error) {
    status.textContent = describeError(error);
    return;
  }
  status.textContent = `Asking for permission to reach ${origin}…`;
  ext.permissions
    .request({ origins: [permissionPattern(origin)] })
    .then(async (granted) => {
      if (!granted) {
        status.textContent = `Tessera needs your permission to reach ${origin}.`;
        return;
      }
      status.textContent = `Connecting to ${origin}…`;
      poll.reset();
      const reply = await send(MSG.TEAM_CONNECT, { link: $('team-invite').value });
      $('team-invite').value = '';
      renderTeam(reply);
      await loadEntries();
    })
    .catch((error) => {
      status.textContent = describeError(error);
    });
}

// ---- entries ---------------------------------------------------------------------------------

async function loadEntries() {
  ({ entries } = await send(MSG.ENTRIES_LIST));
  $('vault-summary').textContent = `Unlocked: ${entries.length} entries.`;
  renderEntries();
}

function metaOf(e) {
  return [e.issuer, e.awsAccountAlias, e.awsAccountId, e.awsPrincipal === 'root' ? `root ${e.rootEmail ?? ''}` : e.iamUserName]
    .filter(Boolean)
    .join(' · ');
}

function renderEntries() {
  const terms = $('entries-search').value.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = entries.filter((e) => {
    const text = [e.label, metaOf(e)].join(' ').toLowerCase();
    return terms.every((t) => text.includes(t));
  });
  $('entries-status').textContent =
    matches.length > MAX_LISTED ? `${matches.length} entries; showing the first ${MAX_LISTED}: search to narrow.` : `${matches.length} entries.`;
  const template = $('entry-template');
  $('entries').replaceChildren(
    ...matches.slice(0, MAX_LISTED).map((e) => {
      const item = template.content.firstElementChild.cloneNode(true);
      item.dataset.id = e.id;
      item.dataset.label = e.label;
      item.querySelector('.entry-name').textContent = e.label;
      item.querySelector('.entry-vault').textContent = e.vaultName ?? '';
      item.dataset.vault = e.vault ?? '';
      item.querySelector('.entry-meta').textContent = metaOf(e);
      const form = item.querySelector('.entry-form');
      item.querySelector('.entry-edit').setAttribute('aria-label', `Edit ${e.label}`);
      item.querySelector('.entry-delete').setAttribute('aria-label', `Delete ${e.label}`);
      item.querySelector('.entry-edit').addEventListener('click', () => {
        for (const name of ['label', 'awsAccountId', 'awsAccountAlias', 'awsPrincipal', 'iamUserName', 'rootEmail']) {
          form.elements[name].value = e[name] ?? '';
        }
        form.classList.toggle('hidden');
      });
      if (e.editable === false) {
        // A team entry: changed in the team console, never here.
        item.querySelector('.entry-edit').remove();
        item.querySelector('.entry-delete').remove();
        form.remove();
      } else {
        form.addEventListener('submit', (event) => saveEntry(event, e, form, item));
        item.querySelector('.entry-delete').addEventListener('click', () => deleteEntry(e));
      }
      const reveal = item.querySelector('.entry-reveal');
      if (e.manage) {
        reveal.setAttribute('aria-label', `Reveal the seed of ${e.label}`);
        reveal.addEventListener('click', () => toggleSecret(e, item));
      } else {
        reveal.remove();
      }
      return item;
    }),
  );
}

async function saveEntry(event, entry, form, item) {
  event.preventDefault();
  const value = (name) => form.elements[name].value.trim() || null;
  const principal = value('awsPrincipal');
  const edit = {
    label: value('label') ?? entry.label,
    awsAccountId: value('awsAccountId'),
    awsAccountAlias: value('awsAccountAlias'),
    awsPrincipal: principal,
    iamUserName: principal === 'iam_user' ? value('iamUserName') : null,
    rootEmail: principal === 'root' ? value('rootEmail') : null,
  };
  try {
    await send(MSG.ENTRY_UPDATE, { id: entry.id, edit });
    await loadEntries();
  } catch (error) {
    item.querySelector('.entry-status').textContent = describeError(error);
  }
}

/** Shows the seed (and its otpauth URI) of an entry the member manages; logged as `reveal`. */
async function toggleSecret(entry, item) {
  const box = item.querySelector('.entry-secret');
  const button = item.querySelector('.entry-reveal');
  if (!box.classList.contains('hidden')) {
    box.querySelector('code').textContent = '';
    box.classList.add('hidden');
    button.textContent = 'Reveal seed';
    return;
  }
  try {
    const { secret } = await send(MSG.ENTRY_REVEAL, { id: entry.id, vault: entry.vault });
    box.querySelector('code').textContent = secret;
    box.classList.remove('hidden');
    button.textContent = 'Hide seed';
    await loadUseLog();
  } catch (error) {
    item.querySelector('.entry-status').textContent = describeError(error);
  }
}

async function deleteEntry(entry) {
  if (!window.confirm(`Delete "${entry.label}"? Its seed is erased from this vault.`)) return;
  try {
    await send(MSG.ENTRY_DELETE, { id: entry.id });
    await loadEntries();
  } catch (error) {
    $('entries-status').textContent = describeError(error);
  }
}

// ---- adding ------------------------------------------------------------------------------------

async function importText() {
  try {
    const result = await send(MSG.ENTRIES_IMPORT, { text: $('import-text').value });
    const failures = result.failed.map((f) => `line ${f.line}: ${f.message}`).join('; ');
    $('import-status').textContent = `Added ${result.added.length}, failed ${result.failed.length}${failures ? ` (${failures})` : ''}.`;
    if (result.failed.length === 0) $('import-text').value = '';
    await loadEntries();
  } catch (error) {
    $('import-status').textContent = describeError(error);
  }
}

$('qr-file').addEventListener('change', async () => {
  const file = $('qr-file').files[0];
  if (!file) return;
  try {
    const text = await readQr(file);
    if (!text) {
      $('import-status').textContent = 'No QR code found in that image.';
      return;
    }
    const area = $('import-text');
    area.value = `${area.value.trim()}\n${text}`.trim();
    $('import-status').textContent = 'QR code read: press Import to add it.';
  } catch {
    $('import-status').textContent = 'That file could not be read as an image.';
  }
});

async function fileBase64(input) {
  const file = input.files[0];
  if (!file) return null;
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

async function importCli() {
  const [keyring, vault] = await Promise.all([fileBase64($('cli-keyring')), fileBase64($('cli-vault'))]);
  if (!keyring || !vault) {
    $('cli-status').textContent = 'Choose both files.';
    return;
  }
  $('cli-status').textContent = 'Opening the CLI vault (deriving the key takes a few seconds)…';
  try {
    const { added } = await send(MSG.VAULT_IMPORT_CLI, { keyring, vault, passphrase: $('cli-passphrase').value });
    $('cli-passphrase').value = '';
    $('cli-status').textContent = `Imported ${added} entries.`;
    await loadEntries();
  } catch (error) {
    $('cli-status').textContent = describeError(error);
  }
}

// ---- use log ------------------------------------------------------------------------------------

/** Rows shown, newest first. */
const LOG_SHOWN = 200;

async function loadUseLog() {
  const { log } = await send(MSG.USE_LOG_GET);
  const labels = new Map(entries.map((e) => [e.id, e.label]));
  const cell = (text) => Object.assign(document.createElement('td'), { textContent: text });
  $('use-log').tBodies[0].replaceChildren(
    ...log
      .slice(-LOG_SHOWN)
      .reverse()
      .map((use) => {
        const row = document.createElement('tr');
        row.className = 'use';
        row.dataset.action = use.action;
        const time = document.createElement('time');
        time.dateTime = new Date(use.time).toISOString();
        time.textContent = new Date(use.time).toLocaleString();
        const when = document.createElement('td');
        when.append(time);
        row.append(cell(labels.get(use.entry) ?? '(deleted entry)'), cell(use.action), cell(use.host || '—'), when);
        return row;
      }),
  );
  $('log-status').textContent =
    log.length === 0 ? 'No uses yet.' : `${log.length} uses${log.length > LOG_SHOWN ? `; the latest ${LOG_SHOWN} shown` : ''}.`;
}

// ---- settings ----------------------------------------------------------------------------------

async function loadSettings() {
  const s = await send(MSG.SETTINGS_GET);
  $('auto-lock').value = s.autoLockMinutes;
  $('clipboard-seconds').value = s.clipboardClearSeconds;
  $('auto-submit').checked = s.autoSubmit;
}

$('settings-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await send(MSG.SETTINGS_SET, {
      settings: {
        autoLockMinutes: Number($('auto-lock').value),
        clipboardClearSeconds: Number($('clipboard-seconds').value),
        autoSubmit: $('auto-submit').checked,
      },
    });
    $('settings-status').textContent = 'Saved.';
  } catch (error) {
    $('settings-status').textContent = describeError(error);
  }
});

$('import-submit').addEventListener('click', importText);
$('log-refresh').addEventListener('click', () => {
  loadUseLog().catch((error) => {
    $('log-status').textContent = describeError(error);
  });
});
$('cli-submit').addEventListener('click', importCli);
$('team-connect').addEventListener('click', connectTeam);
$('team-invite').addEventListener('keydown', (event) => {
  if (event.key === 'Enter') connectTeam();
});
$('team-sync').addEventListener('click', () => {
  poll.reset();
  syncTeam().catch((error) => {
    $('team-status').textContent = describeError(error);
  });
});
$('team-failed-dismiss').addEventListener('click', async () => {
  renderTeam(await send(MSG.TEAM_EVENTS_DISMISS, {}));
});
$('entries-search').addEventListener('input', renderEntries);
$('lock').addEventListener('click', async () => {
  await send(MSG.VAULT_LOCK);
  start();
});

start().catch((error) => {
  $('gate').textContent = describeError(error);
});
