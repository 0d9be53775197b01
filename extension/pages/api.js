// The extension's pages talk to the background through this one function.
import { ext } from '../browser.js';
import { SENDER, make } from '../messages.js';

/** Sends a message (checked against its schema) and returns the reply; throws `{code}` errors. */
export async function send(type, payload = {}) {
  const reply = await ext.runtime.sendMessage(make(type, payload, SENDER.EXTENSION));
  if (reply && typeof reply === 'object' && typeof reply.error === 'string') {
    throw Object.assign(new Error(reply.error), { code: reply.error });
  }
  return reply;
}

/** Human text for the error codes a page shows. */
export function describeError(error) {
  const code = error?.code ?? 'internal';
  const known = {
    keyring_wrong_passphrase_or_tampered: 'Wrong passphrase (or the stored keyring was damaged).',
    vault_locked: 'The vault is locked.',
    vault_exists: 'A vault already exists.',
    vault_none: 'There is no vault yet.',
    'not-sign-in': 'The active tab is not an AWS sign-in page.',
    entry_not_found: 'That entry no longer exists.',
    forbidden: 'Only a member who manages this entry may do that.',
    bad_argument: 'Some value is not valid.',
  };
  return known[code] ?? `Failed (${code}).`;
}
