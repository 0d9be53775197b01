// Clears a copied code from the clipboard after the configured delay, if the clipboard still
// holds that code (something the user copied since is left alone). Reading the clipboard needs
// `clipboardRead`; where the clipboard is depends on the browser (browser.js clipboardAccess):
//   offscreen  Chrome: the service worker has no DOM; an offscreen document (reason CLIPBOARD)
//              keeps the timer and does the check and the clearing (offscreen/clipboard.js).
//   navigator  Firefox: the event page is a document and does it itself (clipboard-clear.js).
import { clipboardAccess, ext } from '../browser.js';
import { MSG, make } from '../messages.js';
import { scheduleClear } from '../clipboard-clear.js';

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
    case 'navigator':
      scheduleClear(message.code, message.delayMs);
      return;
    default:
      // No clipboard this context can read: the popup clears it while it is open.
      return;
  }
}
