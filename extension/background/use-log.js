// The local log of uses, kept for the team audit that follows (issue 3): which entry, what was
// done with its code (fill, copy, reveal), on which host, when. In storage.local, not encrypted:
// it holds random entry ids, host names and times, never a code or a seed (SECURITY.md).
import { ext } from '../browser.js';

export const ACTIONS = Object.freeze({ FILL: 'fill', COPY: 'copy', REVEAL: 'reveal' });
/** Oldest entries are dropped beyond this. */
export const MAX_LOG_ENTRIES = 1000;

let pending = Promise.resolve();

/** Appends one use; writes are serialised so concurrent uses are all kept. */
export function logUse(entry, action, host, time = Date.now()) {
  pending = pending.catch(() => {}).then(async () => {
    const { useLog = [] } = await ext.storage.local.get('useLog');
    useLog.push({ entry, action, host, time });
    await ext.storage.local.set({ useLog: useLog.slice(-MAX_LOG_ENTRIES) });
  });
  return pending;
}

export async function readUseLog() {
  await pending.catch(() => {});
  const { useLog = [] } = await ext.storage.local.get('useLog');
  return useLog;
}
