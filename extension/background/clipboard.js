// Clears a copied code from the clipboard after the configured delay, if the clipboard still
// holds that code (something the user copied since is left alone). Reading the clipboard needs
// `clipboardRead`; where the clipboard is depends on the browser (browser.js clipboardAccess):
//   offscreen  Chrome: the service worker has no DOM; an offscreen document (reason CLIPBOARD)
//              keeps the timer and does the check and the clearing (offscreen/clipboard.js).
//   navigator  Firefox: the event page is a document and does it itself (clipboard-clear.js).
//              It is suspended after 30 s idle (extensions.background.idle.timeout), which
//              would drop a timer; an alarm wakes it instead. Until then the code waits in
//              storage.session (memory only, like the vault key; the code is on the clipboard).
import { clipboardAccess, ext, sessionStorageArea } from '../browser.js';
import { MSG, make } from '../messages.js';
import { clearIfStill } from '../clipboard-clear.js';

export const CLIPBOARD_ALARM = 'tessera-clipboard-clear';
const PENDING_KEY = 'clipboardClear';

const OFFSCREEN_URL = 'offscreen/clipboard.html';

async function ensureOffscreen() {
  const contexts = await ext.runtime.getContexts?.({
    contextTypes: ['OFFSCREEN_DOCUMENT'],
    documentUrls: [ext.runtime.getURL(OFFSCREEN_URL)],
  });
  if (contexts?.length) return;
  await ext.offscreen.createDocument({
    url: OFFSCREEN_URL,
    reasons: ['CLIPBOARD'],
    justification: 'Clear a copied MFA code from the clipboard after the configured delay',
  });
}

/** Schedules the clearing of `code` in `seconds`. */
export async function clearClipboardLater(_vault, _id, seconds, code) {
  const message = make(MSG.CLIPBOARD_CLEAR, { code, delayMs: seconds * 1000 }, 'background');
  switch (clipboardAccess()) {
    case 'offscreen':
      await ensureOffscreen();
      await ext.runtime.sendMessage(message).catch(() => {});
      return;
    case 'navigator': {
      const area = sessionStorageArea();
      if (!area) return;
      await area.set({ [PENDING_KEY]: message.code });
      await ext.alarms.create(CLIPBOARD_ALARM, { when: Date.now() + message.delayMs });
      return;
    }
    default:
      // No clipboard this context can read: the popup clears it while it is open.
      return;
  }
}

/** The clipboard alarm (Firefox): clears the waiting code if the clipboard still holds it. */
export async function onClipboardAlarm() {
  const area = sessionStorageArea();
  const { [PENDING_KEY]: code } = (await area?.get(PENDING_KEY)) ?? {};
  await area?.remove(PENDING_KEY);
  if (typeof code === 'string') clearIfStill(code);
}
