// The background: Chrome's module service worker, Firefox's event page (the same module). It holds
// the vault (background/vault.js) and answers the content script (background/signin.js) and the
// extension's pages. Every listener is registered synchronously at the top level, as MV3 requires
// for the browser to wake the worker for its events; wasm is loaded lazily inside handlers.
import { ext, onMessage } from './browser.js';
import { MSG, SENDER, senderOf, validate } from './messages.js';
import {
  activeTabState,
  fillActiveTab,
  forgetEntry,
  forgetTab,
  onCandidateChosen,
  onCredentialsTyped,
  onMfaStepShown,
  rescanPendingTabs,
  signInHost,
} from './background/signin.js';
import { CLIPBOARD_ALARM, clearClipboardLater, onClipboardAlarm } from './background/clipboard.js';
import { getSettings, setSettings } from './background/settings.js';
import { ACTIONS, logUse, readUseLog } from './background/use-log.js';
import {
  AUTOLOCK_ALARM,
  codedError,
  createVault,
  fromBase64,
  importCliVault,
  lock,
  openVault,
  requireVault,
  rescheduleAutoLock,
  saveVault,
  unlockVault,
  vaultState,
} from './background/vault.js';
import { TEAM_SYNC_ALARM } from './background/team.js';
import { answerCodes, popupEntries } from './background/codes.js';
import {
  PERSONAL,
  allVaults,
  listed,
  locate,
  mayReveal,
  recordTeamUse,
  startTeamSync,
  syncIfUnlocked,
  team,
} from './background/vaults.js';

/** The personal vault holding `id`, or a typed refusal for a team entry (changed in the console). */
async function personalEntry(id) {
  const ref = await locate(id);
  if (ref.key !== PERSONAL) throw codedError('team_read_only', 'team entries are changed in the team console');
  return ref.vault;
}

const handlers = {
  // ---- content script (sender already checked: top frame of a tab, AWS sign-in host) ----
  [MSG.CREDENTIALS_TYPED]: (m, sender, host) => onCredentialsTyped(m, sender, host),
  [MSG.MFA_STEP_SHOWN]: (m, sender, host) => onMfaStepShown(m, sender, host),
  [MSG.CANDIDATE_CHOSEN]: (m, sender) => onCandidateChosen(m, sender),

  // ---- the extension's pages ----
  [MSG.VAULT_STATUS]: async () => {
    const state = await vaultState();
    const vault = state === 'unlocked' ? await openVault({ touch: false }) : null;
    return { state, size: vault ? vault.size : 0 };
  },
  [MSG.VAULT_CREATE]: async (m) => {
    await createVault(m.passphrase);
    return { state: await vaultState() };
  },
  [MSG.VAULT_UNLOCK]: async (m) => {
    await unlockVault(m.passphrase);
    startTeamSync();
    await rescanPendingTabs();
    return { state: await vaultState() };
  },
  [MSG.VAULT_LOCK]: async () => {
    await lock();
    return { state: await vaultState() };
  },
  [MSG.VAULT_IMPORT_CLI]: (m) =>
    importCliVault(fromBase64(m.keyring), fromBase64(m.vault), m.passphrase),
  [MSG.ENTRIES_LIST]: async () => ({
    entries: (await allVaults()).flatMap((ref) => ref.vault.list().map((info) => listed(info, ref))),
  }),
  // The popup's list, compact; `first`: only the rows of its first screen.
  [MSG.POPUP_ENTRIES]: async (m) => popupEntries(await allVaults(), m.first),
  // One batch call per vault (and one more for the next codes, when asked): the popup names each
  // entry's vault (background/codes.js).
  [MSG.ENTRIES_CODES]: async (m) => answerCodes(m, await allVaults(), Date.now() / 1000),
  [MSG.ENTRIES_IMPORT]: async (m) => {
    const result = (await requireVault()).importText(m.text);
    if (result.added.length > 0) await saveVault();
    return result;
  },
  [MSG.ENTRY_UPDATE]: async (m) => {
    (await personalEntry(m.id)).update(m.id, m.edit);
    await saveVault();
    return { ok: true };
  },
  [MSG.ENTRY_DELETE]: async (m) => {
    (await personalEntry(m.id)).remove(m.id);
    await saveVault();
    await forgetEntry(m.id);
    return { ok: true };
  },
  [MSG.ENTRY_COPIED]: async (m, sender) => {
    const ref = await locate(m.id, m.vault); // throws entry_not_found for an unknown id
    await logUse(m.id, ACTIONS.COPY, '');
    await recordTeamUse(ref, m.id, ACTIONS.COPY, '');
    const code = ref.vault.code(m.id, Date.now() / 1000);
    const { clipboardClearSeconds } = await getSettings();
    await clearClipboardLater(ref.vault, m.id, clipboardClearSeconds, code, sender);
    return { ok: true };
  },
  // The seed leaves wasm only here, and only for an entry the member manages: the personal
  // vault, or a team vault granted with role `manage` (never `use`, whatever a page asks).
  [MSG.ENTRY_REVEAL]: async (m) => {
    const ref = await locate(m.id, m.vault);
    if (!mayReveal(ref)) throw codedError('forbidden', 'this entry is not yours to manage');
    await logUse(m.id, ACTIONS.REVEAL, '');
    await recordTeamUse(ref, m.id, ACTIONS.REVEAL, '');
    return { secret: ref.vault.revealSecret(m.id), uri: ref.vault.exportUri(m.id) };
  },
  [MSG.FILL_ACTIVE_TAB]: (m) => fillActiveTab(m.id),
  [MSG.ACTIVE_TAB_STATE]: () => activeTabState(),
  [MSG.SETTINGS_GET]: () => getSettings(),
  [MSG.SETTINGS_SET]: async (m) => {
    const settings = await setSettings(m.settings);
    if (m.settings.autoLockMinutes !== undefined) await rescheduleAutoLock();
    return settings;
  },
  [MSG.USE_LOG_GET]: async () => ({ log: await readUseLog() }),

  // ---- team mode (background/team.js) ----
  [MSG.TEAM_STATUS]: () => team.status(),
  [MSG.TEAM_NOTICES]: () => team.notices(),
  [MSG.TEAM_CONNECT]: async (m) => {
    await requireVault(); // restores the keyring after a worker restart
    const connected = await team.connect(m.link);
    await startTeamSync();
    return { ...connected, ...(await team.status()) };
  },
  [MSG.TEAM_SYNC]: async () => {
    await requireVault();
    return team.sync();
  },
  [MSG.TEAM_DISCONNECT]: async (m) => {
    await team.disconnect(m.origin);
    return team.status();
  },
  [MSG.TEAM_EVENTS_DISMISS]: async (m) => {
    await team.dismissFailedEvents(m.origin);
    return team.status();
  },
};

onMessage((message, sender) => {
  const from = senderOf(sender, ext.runtime.id, ext.runtime.getURL(''));
  const checked = validate(message, from);
  if (!checked.ok) return undefined; // refused before any handler sees it
  if (from !== SENDER.CONTENT) return handlers[message.type](message, sender);
  // A content script is answered only on an exact AWS sign-in host (https, top frame: senderOf).
  return signInHost(sender.url).then((host) =>
    host ? handlers[message.type](message, sender, host) : undefined,
  );
});

ext.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === AUTOLOCK_ALARM) lock();
  else if (alarm.name === CLIPBOARD_ALARM) onClipboardAlarm();
  else if (alarm.name === TEAM_SYNC_ALARM) syncIfUnlocked().catch(() => {});
});

// storage.session is emptied by a browser restart anyway; locking here also drops the alarm.
ext.runtime.onStartup.addListener(() => {
  lock();
});

ext.commands.onCommand.addListener((command) => {
  if (command === 'fill-mfa-code') fillActiveTab().catch(() => {});
});

// First run: the options page, where the vault is created.
ext.runtime.onInstalled.addListener(async ({ reason }) => {
  if (reason === 'install' && (await vaultState()) === 'none') ext.runtime.openOptionsPage();
});

ext.tabs.onRemoved.addListener((tabId) => {
  forgetTab(tabId);
});
