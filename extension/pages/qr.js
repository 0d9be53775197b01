// QR decoding for the extension's pages (never the content script): an image file (options) or a
// capture of the current tab (popup). The platform's BarcodeDetector where it reads QR codes,
// else jsQR (vendor/jsQR.js, a classic script the page loads first).
import { nativeQrDetector } from '../browser.js';

/** The text of the first QR code in `blob` (an image), or null; throws if it is not an image. */
export async function readQr(blob) {
  const bitmap = await createImageBitmap(blob);
  const detector = await nativeQrDetector();
  if (detector) {
    const [found] = await detector.detect(bitmap);
    if (found) return found.rawValue;
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height);
  return globalThis.jsQR(pixels.data, pixels.width, pixels.height)?.data ?? null;
}

/**
 * The text of a QR code shown in the active tab, or null. The capture needs activeTab, which the
 * browser grants when the user opens the popup from the toolbar (or the shortcut) on that tab.
 */
export async function readQrFromTab(tabs) {
  const dataUrl = await tabs.captureVisibleTab({ format: 'png' });
  return readQr(await (await fetch(dataUrl)).blob());
}
