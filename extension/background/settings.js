// Settings, in storage.local. The shape is messages.js's `settings`; the defaults are issue 3's.
import { ext } from '../browser.js';

export const DEFAULT_SETTINGS = Object.freeze({
  autoSubmit: false,
  autoLockMinutes: 15,
  clipboardClearSeconds: 30,
});

export async function getSettings() {
  const { settings } = await ext.storage.local.get('settings');
  return { ...DEFAULT_SETTINGS, ...(settings ?? {}) };
}

/** Merges `changes` (already validated against the message schema) and returns the result. */
export async function setSettings(changes) {
  const settings = { ...(await getSettings()), ...changes };
  await ext.storage.local.set({ settings });
  return settings;
}
