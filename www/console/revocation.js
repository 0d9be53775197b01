// The seed-rotation checklist of one revocation: a revoked member could read these seeds, so each
// MFA device is re-enrolled at AWS. Account and principal are decrypted here from the vault; the
// server only knows ids. Each item is ticked off with POST .../items/{item}/done.
import { busy, h, showNotice, when } from './dom.js';
import { openVault } from './team.js';

/** The steps to re-enrol one entry's MFA device, as text lines (`code` lines are commands). */
export function reenrolSteps(info) {
  const account = [info?.awsAccountId, info?.awsAccountAlias && `(${info.awsAccountAlias})`].filter(Boolean).join(' ') || 'the account';
  if (info?.awsPrincipal === 'iam_user') {
    const user = info.iamUserName;
    return [
      { text: `In account ${account}, as an IAM administrator: IAM console → Users → ${user} → Security credentials → Multi-factor authentication: remove the device, then "Assign MFA device" and scan the new QR code into this vault. Or with the AWS CLI:` },
      { code: `aws iam list-mfa-devices --user-name ${user}` },
      { code: `aws iam deactivate-mfa-device --user-name ${user} --serial-number SERIAL_ARN` },
      { code: `aws iam delete-virtual-mfa-device --serial-number SERIAL_ARN` },
      { code: `aws iam create-virtual-mfa-device --virtual-mfa-device-name ${user}-mfa --outfile mfa.png --bootstrap-method QRCodePNG` },
      { code: `aws iam enable-mfa-device --user-name ${user} --serial-number NEW_SERIAL_ARN --authentication-code1 CODE1 --authentication-code2 CODE2` },
      { text: 'Add the new QR code (or otpauth URI) to this vault, check a code works, then delete the old entry.' },
    ];
  }
  if (info?.awsPrincipal === 'root') {
    return [
      { text: `Console only (the CLI cannot manage root MFA): sign in to account ${account} as the root user${info.rootEmail ? ` (${info.rootEmail})` : ''}, open the account menu → Security credentials → Multi-factor authentication (MFA): remove this device, then "Assign MFA device" → Authenticator app and scan the new QR code into this vault.` },
      { text: 'Check a code works, then delete the old entry from this vault.' },
    ];
  }
  return [{ text: 'Re-enrol this MFA device where it was issued (remove it, add a new one), add the new seed to this vault and delete the old entry.' }];
}

function principalLabel(info) {
  if (!info) return 'entry not readable here';
  if (info.awsPrincipal === 'root') return `root user${info.rootEmail ? ` ${info.rootEmail}` : ''}`;
  if (info.awsPrincipal === 'iam_user') return `IAM user ${info.iamUserName}`;
  return info.label;
}

export async function renderRevocation(app, revocationId) {
  const rev = await app.client.revocation(revocationId);
  const members = await app.client.members();
  const who = members.members.find((m) => m.member_id === rev.member_id);
  const vaults = new Map();
  const vaultOf = async (id) => {
    if (!vaults.has(id)) {
      try {
        vaults.set(id, await openVault(app, id));
      } catch (error) {
        vaults.set(id, { error });
      }
    }
    return vaults.get(id);
  };
  const items = [];
  try {
    for (const item of rev.checklist) {
      const v = await vaultOf(item.vault_id);
      const name = v.vault ? v.vault.name : `vault ${item.vault_id} (${v.error?.code ?? 'not readable'})`;
      const done = h('button', { id: `checklist-done-${item.item_id}`, type: 'button', disabled: item.done }, item.done ? 'Done' : 'Mark done');
      done.addEventListener('click', () =>
        busy(done, async () => {
          await app.client.markItemDone(revocationId, item.item_id);
          await renderRevocation(app, revocationId);
          showNotice('Checklist item done.');
        }),
      );
      let body;
      if (item.kind === 'rotate_vault') {
        body = [h('strong', {}, `Rotate vault "${name}" to a new key`), h('p', { className: 'muted' }, v.vault && v.epoch > (item.epoch ?? 0) ? `now at epoch ${v.epoch}` : 'closed automatically when the vault is rotated')];
      } else {
        let info = null;
        try {
          info = v.vault ? v.vault.get(item.entry_id) : null;
        } catch {
          info = null;
        }
        const account = info ? [info.awsAccountId, info.awsAccountAlias].filter(Boolean).join(' / ') || '(no AWS account set)' : '';
        body = [
          h('strong', {}, `Re-enrol MFA: ${info?.label ?? item.entry_id} — ${principalLabel(info)}`),
          h('p', { 'data-account': info?.awsAccountId ?? '' }, `Vault "${name}" · AWS account ${account}`),
          h('ol', {}, reenrolSteps(info).map((s) => h('li', {}, s.code ? h('code', {}, s.code) : s.text))),
        ];
      }
      items.push(h('li', { id: `checklist-item-${item.item_id}`, className: item.done ? 'done' : '', 'data-kind': item.kind, 'data-done': item.done ? 'true' : 'false' }, body, done, item.done ? h('span', { className: 'muted' }, ` ${when(item.done_ms)} UTC`) : null));
    }
  } finally {
    for (const v of vaults.values()) v.vault?.free();
  }
  app.root.replaceChildren(
    h('p', {}, h('a', { href: '#members' }, '← Members')),
    h('h1', {}, `Seed-rotation checklist: ${who?.label || rev.member_id}`),
    h('p', { className: 'muted' }, `Revoked ${when(rev.created_ms)} UTC · ${rev.open_items} open item(s). The revoked member could read every seed below: until each MFA device is re-enrolled, they can still make valid codes.`),
    h('ol', { id: 'checklist' }, items),
  );
}
