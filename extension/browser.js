// The one place where Chrome and Firefox differ, by feature detection only (never the user agent).
// Every other module imports the browser API from here. (content/aws-mfa.js, a classic script,
// repeats only the first line.)

/** The WebExtension API: Firefox's `browser` (promises), else Chrome's `chrome` (MV3 promises). */
export const ext = globalThis.browser ?? globalThis.chrome;

/** The toolbar button API: `action` in MV3, `browserAction` where only that exists. */
export function actionApi(api = ext) {
  return api?.action ?? api?.browserAction ?? null;
}

/**
 * Storage for unlocked key material that must survive the background being stopped (Chrome stops
 * idle service workers) but never touch the disk: `storage.session`. Returns null where the
 * browser has none, so the caller keeps keys in memory only and asks for the passphrase again.
 */
export function sessionStorageArea(api = ext) {
  return api?.storage?.session ?? null;
}

/**
 * Registers a runtime message handler that may be async. Firefox accepts a returned promise;
 * Chrome needs `sendResponse` plus `return true`. This adapter does the latter, which both accept.
 * `handler(message, sender)` returns a value, a promise, or undefined (no reply).
 * Returns a function that removes the listener.
 */
export function onMessage(handler, api = ext) {
  const listener = (message, sender, sendResponse) => {
    let result;
    try {
      result = handler(message, sender);
    } catch (error) {
      sendResponse({ error: errorCode(error) });
      return false;
    }
    if (result === undefined) return false;
    Promise.resolve(result).then(
      (value) => sendResponse(value),
      (error) => sendResponse({ error: errorCode(error) }),
    );
    return true;
  };
  api.runtime.onMessage.addListener(listener);
  return () => api.runtime.onMessage.removeListener(listener);
}

/** Errors cross to other parts as a stable code only (the wasm layer's `Error.code`). */
function errorCode(error) {
  return typeof error?.code === 'string' ? error.code : 'internal';
}

/**
 * Whether this context can start a dedicated worker: a page or Firefox's event page can, Chrome's
 * service worker cannot (it is already off the pages' thread, so Argon2id runs inline there).
 */
export function canStartWorker(scope = globalThis) {
  return typeof scope.Worker === 'function';
}

/**
 * The clipboard for clearing a copied code later: Chrome's service worker has no DOM clipboard
 * and reaches it through an offscreen document (`offscreen` API); a background page (Firefox) is
 * a document and uses the clipboard itself. Returns 'offscreen', 'navigator' or null.
 */
export function clipboardAccess(api = ext, scope = globalThis) {
  if (api?.offscreen?.createDocument) return 'offscreen';
  if (scope.navigator?.clipboard?.readText && scope.document) return 'navigator';
  return null;
}

/** QR decoding from an image: the platform's BarcodeDetector when it reads QR codes, else null. */
export async function nativeQrDetector(scope = globalThis) {
  if (typeof scope.BarcodeDetector !== 'function') return null;
  try {
    const formats = await scope.BarcodeDetector.getSupportedFormats();
    return formats.includes('qr_code') ? new scope.BarcodeDetector({ formats: ['qr_code'] }) : null;
  } catch {
    return null;
  }
}
