// Team operations the pages share: fetch-and-open a vault, member keys, rotation.
import { unb64 } from '../shared/team-client.js';
import { fail } from './dom.js';

/** GET the vault and open it with my keyring: `{vault, version, epoch, role, rotationRequired, snapshot}`.
 * The caller frees `vault`. */
export async function openVault(app, vaultId) {
  const { body } = await app.client.vault(vaultId);
  const snapshot = unb64(body.snapshot);
  const vault = app.wasm.Vault.open(snapshot, app.keyring);
  return {
    vault,
    snapshot,
    version: body.version,
    epoch: body.epoch,
    role: body.role ?? null,
    rotationRequired: Boolean(body.rotation_required),
  };
}

/** The organisation recovery public key (32 bytes). */
export function recoveryKey(app) {
  return unb64(app.org.recovery_public_key);
}

/** member_id -> member, from GET /members. */
export async function membersById(app) {
  const { members } = await app.client.members();
  return new Map(members.map((m) => [m.member_id, m]));
}

/**
 * Moves a vault to the next key epoch for exactly the members still holding a grant (and the
 * recovery key): after a revocation or a removed grant. Returns the server's answer.
 */
export async function rotateVault(app, vaultId, members) {
  const byId = members ?? (await membersById(app));
  const [{ grants }, opened] = await Promise.all([app.client.grants(vaultId), openVault(app, vaultId)]);
  try {
    const keys = grants.map((g) => {
      const m = byId.get(g.member_id);
      if (!m || m.status === 'revoked') return null;
      return unb64(m.public_keys);
    }).filter(Boolean);
    if (keys.length === 0) throw fail('rotation_no_members', 'No member would hold this vault after rotation.');
    const body = opened.vault.rotateBody(opened.version, keys, recoveryKey(app));
    return await app.client.rotateVault(vaultId, body);
  } finally {
    opened.vault.free();
  }
}
