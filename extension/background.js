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
  createVault,
  fromBase64,
  importCliVault,
  lock,
  mayManage,
  openVault,
  requireVault,
  rescheduleAutoLock,
  revealEntry,
  saveVault,
  unlockVault,
  vaultState,
} from './background/vault.js';

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
    entries: (await requireVault()).list().map((info) => ({ ...info, manage: mayManage(info) })),
  }),
  [MSG.ENTRIES_CODES]: async (m) => {
    const vault = await requireVault();
    const time = Date.now() / 1000;
    // One batch call for every code asked (and one more for the next codes, when asked).
    const codes = vault.codes(time, m.ids);
    const next = m.ahead ? vault.codes(time + m.ahead, m.ids) : null;
    return { time, codes, next };
  },
  [MSG.ENTRIES_IMPORT]: async (m) => {
    const result = (await requireVault()).importText(m.text);
    if (result.added.length > 0) await saveVault();
    return result;
  },
  [MSG.ENTRY_UPDATE]: async (m) => {
    (await requireVault()).update(m.id, m.edit);
    await saveVault();
    return { ok: true };
  },
  [MSG.ENTRY_DELETE]: async (m) => {
    (await requireVault()).remove(m.id);
    await saveVault();
    await forgetEntry(m.id);
    return { ok: true };
  },
  [MSG.ENTRY_COPIED]: async (m, sender) => {
    const vault = await requireVault();
    vault.get(m.id); // throws entry_not_found for an unknown id
    await logUse(m.id, ACTIONS.COPY, '');
    const code = vault.code(m.id, Date.now() / 1000);
    const { clipboardClearSeconds } = await getSettings();
    await clearClipboardLater(vault, m.id, clipboardClearSeconds, code, sender);
    return { ok: true };
  },
  [MSG.ENTRY_REVEAL]: async (m) => {
    const revealed = await revealEntry(m.id);
    await logUse(m.id, ACTIONS.REVEAL, '');
    return revealed;
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
