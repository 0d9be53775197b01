// One client's vault: entries (add from otpauth URIs or a QR image, edit the AWS metadata,
// delete, reveal a seed for managers), rename, archive, grants, its own audit chain.
//
// Every change is made on a vault freshly opened from the snapshot this page showed, turned into
// PATCH /vaults/{id} by `vault.patchBody(baseVersion)`, and sent. On success the page refetches;
// on any failure (409 version_conflict included) the form keeps what the user typed, and
// "Reload" brings the other writer's change in while keeping that input as a draft.
import { unb64 } from '../shared/team-client.js';
import { busy, clearError, download, fail, h, showNotice } from './dom.js';
import { entryForm, infoValues, toEdit } from './entry-form.js';
import { openVault, rotateVault } from './team.js';
import { renderVerdict } from './audit.js';
import { isAdmin } from './access.js';

export const CONFLICT_MESSAGE = 'Someone else changed this vault; reload to see their change.';

export async function renderVault(app, vaultId, draft = null) {
  const [opened, list] = await Promise.all([openVault(app, vaultId), app.client.vaults()]);
  app.current?.vault?.free();
  const item = list.body?.vaults?.find((v) => v.vault_id === vaultId) ?? {};
  const state = {
    id: vaultId,
    vault: opened.vault,
    snapshot: opened.snapshot,
    version: opened.version,
    epoch: opened.epoch,
    role: opened.role ?? item.role,
    archived: Boolean(item.archived),
    rotationRequired: opened.rotationRequired || Boolean(item.rotation_required),
  };
  app.current = state;
  const manage = state.role === 'manage';
  const admin = isAdmin(app.me);

  const formSlot = h('div', { id: 'entry-form-slot' });
  const conflict = h('div', { id: 'conflict', className: 'conflict', hidden: true });
  const page = h(
    'section',
    { id: 'vault-page', 'data-vault': vaultId, 'data-version': String(state.version) },
    h('p', {}, h('a', { href: '#vaults' }, '← Vaults')),
    h('h1', { id: 'vault-title' }, state.vault.name || '(no name)'),
    h('p', { className: 'muted', id: 'vault-meta' }, `epoch ${state.epoch} · version ${state.version} · my role ${state.role ?? 'none'}${state.archived ? ' · archived' : ''}`),
    conflict,
    state.rotationRequired && manage ? rotationBanner(app, state) : null,
    state.rotationRequired && !manage ? h('p', { id: 'rotation-required', className: 'conflict' }, 'Someone lost access to this vault: a manager of it must move it to a new key.') : null,
    manage ? null : h('p', { id: 'vault-readonly', className: 'muted' }, `You can use this vault (role ${state.role ?? 'none'}): its entries are listed read-only here; codes are shown by the Tessera browser extension.`),
    manage ? renameForm(app, state) : null,
    manage || admin ? archiveButton(app, state) : null,
    h('h2', {}, 'Entries'),
    entriesTable(app, state, manage, formSlot),
    formSlot,
    manage ? addForm(app, state) : null,
    h('h2', {}, 'Access'),
    await grantsSection(app, state, manage),
    h('h2', {}, 'Audit of this vault'),
    manage || admin ? vaultAudit(app, state) : h('p', { id: 'vault-audit-admins', className: 'muted' }, 'Only this vault’s managers and the organisation’s admins can read its audit chain.'),
  );
  app.root.replaceChildren(page);
  if (draft) restoreDraft(app, state, draft, formSlot);
}

/** Applies `change(vault)` to a fresh copy of the base, PATCHes it, then refetches the page. */
async function save(app, state, change, draft) {
  const vault = app.wasm.Vault.open(state.snapshot, app.keyring);
  let body;
  try {
    change(vault);
    body = vault.patchBody(state.version);
  } finally {
    vault.free();
  }
  if (!body) {
    showNotice('Nothing changed.');
    return;
  }
  try {
    await app.client.patchVault(state.id, body);
  } catch (error) {
    if (error.code === 'version_conflict') showConflict(app, state, draft, error);
    throw error.code === 'version_conflict' ? conflictError() : error;
  }
  await renderVault(app, state.id);
  showNotice('Saved.');
}

function conflictError() {
  return fail('version_conflict', CONFLICT_MESSAGE);
}

function showConflict(app, state, draft) {
  const box = document.getElementById('conflict');
  if (!box) return;
  const reload = h('button', { id: 'vault-reload', type: 'button', className: 'primary' }, 'Reload (keeps what you typed)');
  reload.addEventListener('click', () => busy(reload, () => renderVault(app, state.id, draft)));
  box.replaceChildren(h('p', {}, CONFLICT_MESSAGE), reload);
  box.hidden = false;
}

function restoreDraft(app, state, draft, formSlot) {
  if (draft.kind === 'import') {
    const area = document.getElementById('entry-uri');
    if (area) area.value = draft.text;
  } else if (draft.kind === 'rename') {
    const input = document.getElementById('vault-name');
    if (input) input.value = draft.name;
  } else if (draft.kind === 'edit') {
    openEditForm(app, state, draft.entryId, draft.values, formSlot);
  }
  showNotice('Reloaded with the latest version; your unsaved input is still in the form. Check it and save again.');
}

function renameForm(app, state) {
  const name = h('input', { id: 'vault-name', type: 'text', value: state.vault.name, required: true });
  const submit = h('button', { id: 'vault-rename', type: 'submit' }, 'Rename');
  const form = h('form', { className: 'row' }, h('label', { for: 'vault-name' }, 'Client name'), name, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = name.value.trim();
    busy(submit, () => save(app, state, (v) => v.setName(value), { kind: 'rename', name: name.value }));
  });
  return form;
}

function archiveButton(app, state) {
  const button = h('button', { id: 'vault-archive', type: 'button' }, state.archived ? 'Unarchive' : 'Archive');
  button.addEventListener('click', () =>
    busy(button, async () => {
      await app.client.archiveVault(state.id, !state.archived);
      await renderVault(app, state.id);
      showNotice(state.archived ? 'Vault unarchived.' : 'Vault archived.');
    }),
  );
  return h('div', { className: 'row' }, button);
}

function rotationBanner(app, state) {
  const button = h('button', { id: 'vault-rotate', type: 'button', className: 'primary' }, 'Rotate the vault key now');
  button.addEventListener('click', () =>
    busy(button, async () => {
      await rotateVault(app, state.id);
      await renderVault(app, state.id);
      showNotice('Vault key rotated.');
    }),
  );
  return h('div', { id: 'rotation-required', className: 'conflict' }, h('p', {}, 'Someone lost access to this vault: move it to a new key (rotation) so that the old key opens nothing new.'), button);
}

function principalText(info) {
  if (info.awsPrincipal === 'root') return `root${info.rootEmail ? ` (${info.rootEmail})` : ''}`;
  if (info.awsPrincipal === 'iam_user') return `IAM user ${info.iamUserName}`;
  return '';
}

function entriesTable(app, state, manage, formSlot) {
  const entries = state.vault.list();
  if (entries.length === 0) return h('p', { id: 'entry-list', className: 'muted' }, 'No entries yet.');
  const rows = entries.map((info) => {
    const actions = [];
    if (manage) {
      const edit = h('button', { id: `entry-edit-${info.id}`, type: 'button' }, 'Edit');
      edit.addEventListener('click', () => openEditForm(app, state, info.id, infoValues(info), formSlot));
      const del = h('button', { id: `entry-delete-${info.id}`, type: 'button', className: 'danger' }, 'Delete');
      del.addEventListener('click', () => {
        const sure = h('button', { id: `entry-delete-confirm-${info.id}`, type: 'button', className: 'danger' }, 'Really delete');
        sure.addEventListener('click', () => busy(sure, () => save(app, state, (v) => v.remove(info.id), null)));
        del.replaceWith(sure);
      });
      const reveal = h('button', { id: `entry-reveal-${info.id}`, type: 'button' }, 'Reveal seed');
      const secret = h('span', { id: `entry-secret-${info.id}`, className: 'secret' });
      reveal.addEventListener('click', () => busy(reveal, () => revealSeed(app, state, info.id, secret)));
      actions.push(edit, del, reveal, secret);
    }
    const account = [info.awsAccountId, info.awsAccountAlias].filter(Boolean).join(' / ');
    return h(
      'tr',
      { id: `entry-${info.id}` },
      h('td', {}, info.label),
      h('td', {}, info.issuer ?? ''),
      h('td', {}, account),
      h('td', {}, principalText(info)),
      h('td', {}, actions),
    );
  });
  return h(
    'table',
    { id: 'entry-list' },
    h('thead', {}, h('tr', {}, ['Label', 'Issuer', 'AWS account', 'Principal', ''].map((t) => h('th', {}, t)))),
    h('tbody', {}, rows),
  );
}

function openEditForm(app, state, entryId, values, formSlot) {
  clearError();
  const form = entryForm(entryId, values, {
    onSave: (current, button) =>
      busy(button, () => save(app, state, (v) => v.update(entryId, toEdit(current)), { kind: 'edit', entryId, values: current })),
    onCancel: () => formSlot.replaceChildren(),
  });
  formSlot.replaceChildren(form);
}

/** A manager reveals a seed: the signed `reveal` event goes to the audit log first. */
async function revealSeed(app, state, entryId, target) {
  const event = app.keyring.signEvent('reveal', state.id, entryId, Date.now(), '');
  await app.client.postEvent(event);
  target.textContent = ` ${state.vault.revealSecret(entryId)}`;
}

/** Lines that failed in an import report -> one coded Error (nothing is saved then). */
export function importError(report) {
  const lines = report.failed.map((f) => `line ${f.line}${f.index !== undefined && f.index !== null ? ` #${f.index + 1}` : ''}: ${f.message} (${f.error})`);
  return fail(report.failed[0].error, `Could not import ${lines.length === 1 ? 'this line' : 'these lines'}; nothing was saved:\n${lines.join('\n')}`);
}

function addForm(app, state) {
  const area = h('textarea', { id: 'entry-uri', placeholder: 'otpauth://totp/…  or otpauth-migration://… (one per line)', spellcheck: false });
  const add = h('button', { id: 'entry-add', type: 'submit', className: 'primary' }, 'Add');
  const file = h('input', { id: 'entry-qr', type: 'file', accept: 'image/*' });
  const importText = (text, button) =>
    busy(button, async () => {
      if (!text.trim()) throw fail('entry_uri_missing', 'Paste an otpauth:// URI (or choose a QR image).');
      await save(
        app,
        state,
        (v) => {
          const report = v.importText(text);
          if (report.failed.length > 0) throw importError(report);
          if (report.added.length === 0) throw fail('entry_uri_missing', 'No otpauth:// URI found in the text.');
        },
        { kind: 'import', text },
      );
    });
  const form = h(
    'form',
    { id: 'entry-add-form', className: 'stack' },
    h('h2', {}, 'Add entries'),
    h('label', { for: 'entry-uri' }, 'Paste otpauth:// or otpauth-migration:// URIs'),
    area,
    h('div', { className: 'row' }, add),
    h('label', { for: 'entry-qr' }, 'Or upload a QR code image'),
    file,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    importText(area.value, add);
  });
  file.addEventListener('change', () =>
    busy(null, async () => {
      const [image] = file.files ?? [];
      file.value = '';
      if (!image) return;
      const text = await readQrText(app, image);
      area.value = text;
      await importText(text, add);
    }),
  );
  return form;
}

/** The text of the QR code in `image`; coded errors for "not an image" and "no QR code found". */
export async function readQrText(app, image) {
  let text;
  try {
    text = await app.readQr(image);
  } catch {
    throw fail('qr_unreadable', 'That file is not an image the browser can read.');
  }
  if (!text) throw fail('qr_not_found', 'No QR code found in that image.');
  return text;
}

async function grantsSection(app, state, manage) {
  let grants;
  let members;
  try {
    [{ grants }, { members }] = await Promise.all([app.client.grants(state.id), app.client.members()]);
  } catch (error) {
    return h('p', { id: 'grants', className: 'muted' }, `Grants not shown: ${error.message} (${error.code})`);
  }
  const byId = new Map(members.map((m) => [m.member_id, m]));
  const rows = grants.map((g) => {
    const m = byId.get(g.member_id);
    const role = h('select', { id: `grant-role-${g.member_id}`, disabled: !manage }, h('option', { value: 'manage' }, 'manage'), h('option', { value: 'use' }, 'use'));
    role.value = g.role;
    role.addEventListener('change', () =>
      busy(role, async () => {
        await app.client.setGrantRole(state.id, g.member_id, role.value);
        await renderVault(app, state.id);
        showNotice('Role changed.');
      }),
    );
    const remove = h('button', { id: `grant-remove-${g.member_id}`, type: 'button', className: 'danger' }, 'Remove access');
    remove.addEventListener('click', () =>
      busy(remove, async () => {
        await app.client.removeGrant(state.id, g.member_id);
        // They held the key: move the vault to a new one at once.
        await rotateVault(app, state.id);
        await renderVault(app, state.id);
        showNotice('Access removed and the vault key rotated.');
      }),
    );
    const mine = g.member_id === app.me.member_id;
    return h(
      'tr',
      { id: `grant-${g.member_id}` },
      h('td', {}, g.label || m?.label || g.member_id),
      h('td', { className: 'mono' }, m?.fingerprint_display ?? ''),
      h('td', {}, role),
      h('td', {}, manage && !mine ? remove : null),
    );
  });
  const table = h('table', { id: 'grants' }, h('thead', {}, h('tr', {}, ['Member', 'Fingerprint', 'Role', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows));
  if (!manage) return table;
  const holders = new Set(grants.map((g) => g.member_id));
  const candidates = members.filter((m) => m.status === 'active' && !holders.has(m.member_id));
  const who = h('select', { id: 'grant-member' }, candidates.map((m) => h('option', { value: m.member_id }, `${m.label || m.member_id} (${m.fingerprint_display})`)));
  const role = h('select', { id: 'grant-new-role' }, h('option', { value: 'use' }, 'use (codes only)'), h('option', { value: 'manage' }, 'manage'));
  const add = h('button', { id: 'grant-add', type: 'submit' }, 'Give access');
  const form = h('form', { id: 'grant-form', className: 'row' }, who, role, add);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(add, async () => {
      const member = byId.get(who.value);
      if (!member) throw fail('grant_member_missing', 'Choose an active member.');
      const vault = app.wasm.Vault.open(state.snapshot, app.keyring);
      let body;
      try {
        body = vault.grantBody(state.version, member.member_id, role.value, unb64(member.public_keys));
      } finally {
        vault.free();
      }
      try {
        await app.client.addGrant(state.id, body);
      } catch (error) {
        if (error.code === 'version_conflict') {
          showConflict(app, state, null);
          throw conflictError();
        }
        throw error;
      }
      await renderVault(app, state.id);
      showNotice('Access given.');
    });
  });
  return h('div', {}, table, candidates.length ? form : h('p', { className: 'muted' }, 'Every active member already has access.'));
}

function vaultAudit(app, state) {
  const verdict = h('p', { id: 'vault-audit-verdict', 'aria-live': 'polite' });
  const verify = h('button', { id: 'vault-audit-verify', type: 'button' }, 'Verify this vault’s chain');
  const jsonl = h('button', { id: 'vault-audit-jsonl', type: 'button' }, 'Download JSON Lines');
  const csv = h('button', { id: 'vault-audit-csv', type: 'button' }, 'Download CSV');
  verify.addEventListener('click', () =>
    busy(verify, async () => {
      const text = await app.client.vaultAudit(state.id, 'jsonl');
      renderVerdict(verdict, app.wasm.verifyAuditLog(text, undefined, state.id));
    }),
  );
  jsonl.addEventListener('click', () =>
    busy(jsonl, async () => download(`tessera-vault-${state.id}-audit.jsonl`, await app.client.vaultAudit(state.id, 'jsonl'), 'application/x-ndjson')),
  );
  csv.addEventListener('click', () =>
    busy(csv, async () => download(`tessera-vault-${state.id}-audit.csv`, await app.client.vaultAudit(state.id, 'csv'), 'text/csv')),
  );
  return h('div', { className: 'stack' }, h('div', { className: 'row' }, verify, jsonl, csv), verdict);
}

