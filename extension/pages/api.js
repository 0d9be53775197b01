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
    // team mode
    bad_invite_link: 'That is not a complete invite link (https://…/invite#…): copy the whole link.',
    insecure_server: 'A team server must use https (http only on this computer, for testing).',
    network_unreachable: 'The team server cannot be reached (offline?): cached vaults still work.',
    bad_response: 'The team server answered something unexpected.',
    team_permission_missing: 'Tessera has no permission to reach this team server: connect again to grant it.',
    team_exists: 'This device is already connected to that server.',
    team_read_only: 'Team entries are changed in the team console.',
    fingerprint_mismatch: 'The server registered other keys than this device’s: do not confirm, tell your admin.',
    member_pending: 'Your admin has not confirmed your fingerprint yet.',
    member_revoked: 'Your access to this team server was revoked.',
    invalid_invite: 'This invite is unknown: check the link, or ask your admin for a new one.',
    invite_used: 'This invite was already used: ask your admin for a new one.',
    invite_expired: 'This invite has expired: ask your admin for a new one.',
  };
  return known[code] ?? `Failed (${code}).`;
}
