// Chrome's offscreen document (reason CLIPBOARD): the background's hands on the clipboard.
import { ext } from '../browser.js';
import { MSG, SENDER, validate } from '../messages.js';
import { scheduleClear } from '../clipboard-clear.js';

ext.runtime.onMessage.addListener((message, sender) => {
  // Only the background's own message: it comes from this extension, not from a tab.
  if (sender.id !== ext.runtime.id || sender.tab) return undefined;
  const checked = validate(message, SENDER.BACKGROUND);
  if (checked.ok && message.type === MSG.CLIPBOARD_CLEAR) scheduleClear(message.code, message.delayMs);
  return undefined;
});
