// DOM helpers for the console's pages: element building (no innerHTML anywhere, so no text from
// the server or a vault is ever parsed as markup), the page-wide error line, downloads.

/** `h('button', {id, type: 'button'}, 'text', child...)`: properties are assigned, children appended. */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key.startsWith('data-') || key.startsWith('aria-') || key === 'for' || key === 'role') {
      node.setAttribute(key, String(value));
    } else {
      node[key] = value;
    }
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

/** The human line for any failure: the message and, in brackets, the stable code. */
export function describe(error) {
  const code = typeof error?.code === 'string' ? error.code : 'internal';
  const message = typeof error?.message === 'string' && error.message ? error.message : 'Something failed.';
  return `${message} (${code})`;
}

/** Shows `error` (an Error with .code, or text) in #error. */
export function showError(error) {
  const box = document.getElementById('error');
  if (!box) return;
  box.textContent = typeof error === 'string' ? error : describe(error);
  box.hidden = false;
}

export function clearError() {
  const box = document.getElementById('error');
  if (box) {
    box.textContent = '';
    box.hidden = true;
  }
  const notice = document.getElementById('notice');
  if (notice) notice.hidden = true;
}

/** A short success line in #notice. */
export function showNotice(text) {
  const box = document.getElementById('notice');
  if (!box) return;
  box.textContent = text;
  box.hidden = false;
}

/** Runs `action` with `button` disabled; a failure goes to #error and is also returned. */
export async function busy(button, action) {
  if (button) button.disabled = true;
  clearError();
  try {
    return await action();
  } catch (error) {
    showError(error);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** Offers `text` as a file download. */
export function download(filename, text, type = 'application/octet-stream') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** An Error with a stable code, for checks the console makes itself. */
export function fail(code, message) {
  return Object.assign(new Error(message), { code });
}

/** `YYYY-MM-DD HH:MM:SS` UTC of a millisecond time. */
export function when(ms) {
  return typeof ms === 'number' ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '';
}
