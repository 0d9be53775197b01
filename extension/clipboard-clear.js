// Clearing a copied code in a document context (Chrome's offscreen document, Firefox's event
// page): if the clipboard still holds exactly `code`, empty it. Uses the
// `copy`/`paste` commands, which work without focus for an extension with clipboardRead and
// clipboardWrite (navigator.clipboard needs a focused document).
const timers = new Map();

function readClipboard() {
  const area = document.createElement('textarea');
  document.body.append(area);
  area.focus();
  const ok = document.execCommand('paste');
  const text = area.value;
  area.remove();
  return ok ? text : null;
}

function emptyClipboard() {
  const onCopy = (event) => {
    event.clipboardData.setData('text/plain', '');
    event.preventDefault();
  };
  document.addEventListener('copy', onCopy, { once: true });
  document.execCommand('copy');
  document.removeEventListener('copy', onCopy);
}

/** Empties the clipboard if it still holds exactly `code`; returns whether it did. */
export function clearIfStill(code) {
  if (readClipboard() !== code) return false;
  emptyClipboard();
  return true;
}

/**
 * Clears `code` from the clipboard in `delayMs` unless something else was copied meanwhile. For a
 * document that lives as long as the timer (Chrome's offscreen document); Firefox's event page
 * may be suspended first, so it uses an alarm instead (background/clipboard.js).
 */
export function scheduleClear(code, delayMs) {
  clearTimeout(timers.get(code));
  timers.set(
    code,
    setTimeout(() => {
      timers.delete(code);
      clearIfStill(code);
    }, delayMs),
  );
}
