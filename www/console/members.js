// Members: invites (the link is shown once), pending members confirmed by fingerprint, roles,
// revocation (then every affected vault is rotated here and the seed checklist opens).
import { inviteLink } from '../shared/team-client.js';
import { busy, fail, h, showError, showNotice, when } from './dom.js';
import { membersById, rotateVault } from './team.js';
import { isAdmin } from './access.js';

/** Fingerprints as people read them out: the display form (base32 groups) or hex, any spacing. */
export function fingerprintMatches(typed, member) {
  const text = String(typed ?? '').trim();
  if (!text) return false;
  const display = (s) => s.toUpperCase().replace(/[\s:-]/g, '').replace(/0/g, 'O').replace(/1/g, 'I').replace(/8/g, 'B');
  const hex = text.toLowerCase().replace(/[\s:-]/g, '');
  return display(text) === display(member.fingerprint_display) || hex === member.fingerprint;
}

export async function renderMembers(app) {
  const admin = isAdmin(app.me);
  const [{ members }, invites, revocations] = await Promise.all([
    app.client.members(),
    admin ? app.client.invites() : { invites: [] },
    admin ? app.client.revocations() : { revocations: [] },
  ]);
  const labels = new Map(members.map((m) => [m.member_id, m.label || m.member_id.slice(0, 8)]));
  app.root.replaceChildren(
    h('h1', {}, 'Members'),
    admin ? inviteForm(app) : null,
    admin ? inviteTable(app, invites.invites) : null,
    memberTable(app, members, admin),
    admin ? revocationList(revocations.revocations, labels) : null,
  );
}

function inviteForm(app) {
  const role = h('select', { id: 'invite-role' }, h('option', { value: 'member' }, 'member'), app.me.role === 'owner' ? h('option', { value: 'admin' }, 'admin') : null);
  const label = h('input', { id: 'invite-label', type: 'text', placeholder: 'Who is it for? (e.g. Bob)' });
  const create = h('button', { id: 'invite-create', type: 'submit', className: 'primary' }, 'Create invite link');
  const result = h('div', { id: 'invite-result' });
  const form = h('form', { id: 'invite-form', className: 'row' }, label, role, create);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(create, async () => {
      const invite = await app.client.createInvite({ role: role.value, label: label.value.trim() });
      const link = inviteLink(app.origin, invite.token);
      const field = h('input', { id: 'invite-link', type: 'text', readOnly: true, value: link, size: 60 });
      const copy = h('button', { id: 'invite-copy', type: 'button' }, 'Copy');
      copy.addEventListener('click', () => busy(copy, async () => {
        await navigator.clipboard.writeText(link);
        showNotice('Invite link copied.');
      }));
      result.replaceChildren(
        h('p', {}, `Send this link to ${label.value.trim() || 'the invitee'} over a channel you trust. It is shown only now, works once and expires ${when(invite.expires_ms)} UTC.`),
        h('div', { className: 'row' }, field, copy),
        h('p', { className: 'muted' }, 'When they have joined, they read you their fingerprint; confirm them below by typing it.'),
      );
      label.value = '';
    });
  });
  return h('section', { className: 'stack' }, h('h2', {}, 'Invite someone'), form, result);
}

function inviteTable(app, invites) {
  if (invites.length === 0) return h('p', { id: 'invite-list', className: 'muted' }, 'No pending invites.');
  return h(
    'table',
    { id: 'invite-list' },
    h('thead', {}, h('tr', {}, ['Pending invite', 'Role', 'Expires (UTC)', ''].map((t) => h('th', {}, t)))),
    h(
      'tbody',
      {},
      invites.map((i) => {
        const cancel = h('button', { id: `invite-cancel-${i.invite_id}`, type: 'button' }, 'Cancel');
        cancel.addEventListener('click', () =>
          busy(cancel, async () => {
            await app.client.cancelInvite(i.invite_id);
            await renderMembers(app);
            showNotice('Invite cancelled.');
          }),
        );
        return h('tr', { id: `invite-${i.invite_id}` }, h('td', {}, i.label || '(no label)'), h('td', {}, i.role), h('td', {}, when(i.expires_ms)), h('td', {}, cancel));
      }),
    ),
  );
}

function memberTable(app, members, admin) {
  const rows = members.map((m) => {
    const me = m.member_id === app.me.member_id;
    const actions = [];
    if (admin && m.status === 'pending') {
      const typed = h('input', { id: `member-fingerprint-${m.member_id}`, type: 'text', placeholder: 'fingerprint they read to you', spellcheck: false, size: 30 });
      const confirm = h('button', { id: `member-confirm-${m.member_id}`, type: 'button', className: 'primary' }, 'Confirm');
      confirm.addEventListener('click', () =>
        busy(confirm, async () => {
          if (!fingerprintMatches(typed.value, m)) {
            throw fail('fingerprint_mismatch', 'That fingerprint does not match the keys this member registered. Do not confirm: ask them to read it again from their extension or `tessera team status`; if it still differs, cancel and invite again.');
          }
          await app.client.confirmMember(m.member_id, m.fingerprint);
          await renderMembers(app);
          showNotice(`${m.label || 'Member'} confirmed.`);
        }),
      );
      actions.push(typed, confirm);
    }
    if (admin && !me && m.status !== 'revoked') {
      const revoke = h('button', { id: `member-revoke-${m.member_id}`, type: 'button', className: 'danger' }, 'Revoke');
      revoke.addEventListener('click', () => {
        const sure = h('button', { id: `member-revoke-confirm-${m.member_id}`, type: 'button', className: 'danger' }, `Really revoke ${m.label || 'this member'}`);
        sure.addEventListener('click', () => busy(sure, () => revokeMember(app, m)));
        revoke.replaceWith(sure);
      });
      actions.push(revoke);
    }
    let role = h('span', {}, m.role);
    if (app.me.role === 'owner' && !me && m.status !== 'revoked') {
      role = h('select', { id: `member-role-${m.member_id}` }, ['owner', 'admin', 'member'].map((r) => h('option', { value: r }, r)));
      role.value = m.role;
      const select = role;
      select.addEventListener('change', () =>
        busy(select, async () => {
          await app.client.setRole(m.member_id, select.value);
          await renderMembers(app);
          showNotice('Role changed.');
        }),
      );
    }
    return h(
      'tr',
      { id: `member-${m.member_id}`, 'data-status': m.status },
      h('td', {}, m.label || '(no label)', me ? ' (you)' : ''),
      h('td', {}, role),
      h('td', {}, m.status),
      h('td', { className: 'mono' }, m.fingerprint_display),
      h('td', {}, actions),
    );
  });
  return h(
    'section',
    {},
    h('h2', {}, 'Members'),
    h('table', { id: 'member-list' }, h('thead', {}, h('tr', {}, ['Member', 'Role', 'Status', 'Fingerprint', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows)),
  );
}

function revocationList(revocations, labels) {
  if (revocations.length === 0) return null;
  return h(
    'section',
    {},
    h('h2', {}, 'Revocations'),
    h(
      'ul',
      { id: 'revocation-list' },
      revocations.map((r) =>
        h('li', {}, h('a', { href: `#revocation/${r.revocation_id}`, id: `revocation-open-${r.revocation_id}` }, `${labels.get(r.member_id) ?? r.member_id} revoked ${when(r.created_ms)} UTC`), ` · ${r.open_items} open item(s)`),
      ),
    ),
  );
}

/** Revokes, rotates every vault they could open (those this admin can open), opens the checklist. */
export async function revokeMember(app, member) {
  const answer = await app.client.revoke(member.member_id);
  const byId = await membersById(app);
  const failed = [];
  for (const v of answer.vaults ?? []) {
    try {
      await rotateVault(app, v.vault_id, byId);
    } catch (error) {
      failed.push(`${v.vault_id}: ${error.message} (${error.code})`);
    }
  }
  await app.navigate(`#revocation/${answer.revocation_id}`);
  if (failed.length) {
    showError(`${member.label || 'The member'} is revoked, but these vaults are not rotated yet (a manager of each must rotate it):\n${failed.join('\n')}`);
  } else {
    showNotice(`${member.label || 'The member'} is revoked; ${answer.vaults?.length ?? 0} vault(s) moved to a new key. Now re-enrol the exposed MFA seeds below.`);
  }
}
