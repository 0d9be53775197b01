// Where the console keeps the owner's (or an admin's) keyring between visits: localStorage, one
// JSON record holding only the SEALED keyring (FORMAT.md §6, Argon2id + AES-GCM, base64) and the
// member id it signs in as. The unlocked keyring lives only in this page's memory.
import { b64, unb64 } from '../shared/team-client.js';

export const STORAGE_KEY = 'tessera.console.keyring.v1';

/** `{load(), save({memberId, sealed}), clear()}` over a Storage (window.localStorage). */
export function keyringStore(storage = globalThis.localStorage) {
  return {
    /** `{memberId, sealed: Uint8Array}` or null when this browser holds none (or a damaged record). */
    load() {
      const raw = storage.getItem(STORAGE_KEY);
      if (!raw) return null;
      try {
        const record = JSON.parse(raw);
        if (typeof record.member_id !== 'string' || typeof record.sealed !== 'string') return null;
        return { memberId: record.member_id, sealed: unb64(record.sealed) };
      } catch {
        return null;
      }
    },
    save({ memberId, sealed }) {
      storage.setItem(STORAGE_KEY, JSON.stringify({ member_id: memberId, sealed: b64(sealed) }));
    },
    clear() {
      storage.removeItem(STORAGE_KEY);
    },
  };
}
