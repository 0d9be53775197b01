// The vault list (one vault per client): names are decrypted here, in the browser.
import { busy, h, showError } from './dom.js';
import { openVault, recoveryKey } from './team.js';
import { isAdmin } from './access.js';

export async function renderVaults(app) {
  const { body } = await app.client.vaults();
  // The vaults are fetched and opened side by side, not one round trip after another.
  const names = await Promise.all(body.vaults.map((item) => vaultName(app, item.vault_id)));
  const rows = body.vaults.map((item, i) => {
    const name = names[i];
    const open = h('a', { href: `#vault/${item.vault_id}`, id: `vault-open-${item.vault_id}` }, name || '(no name)');
    return h(
      'tr',
      { id: `vault-row-${item.vault_id}`, 'data-archived': item.archived ? 'true' : 'false' },
      h('td', {}, open),
      h('td', {}, String(item.epoch)),
      h('td', {}, String(item.version)),
      h('td', {}, item.role),
      h('td', {}, item.archived ? 'archived' : ''),
      h('td', {}, item.rotation_required ? 'rotation required' : ''),
    );
  });
  const name = h('input', { id: 'vault-new-name', type: 'text', placeholder: 'Client name', required: true });
  const create = h('button', { id: 'vault-create', type: 'submit', className: 'primary' }, 'Create vault');
  const form = h('form', { id: 'vault-new', className: 'row' }, name, create);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!name.value.trim()) return showError('Give the vault a name.');
    await busy(create, async () => {
      const id = await createVault(app, name.value.trim());
      name.value = '';
      await app.navigate(`#vault/${id}`);
    });
  });
  const admin = isAdmin(app.me);
  app.root.replaceChildren(
    h('h1', {}, 'Vaults'),
    rows.length
      ? h('table', { id: 'vault-list' }, h('thead', {}, h('tr', {}, ['Client', 'Epoch', 'Version', 'My role', 'Archived', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows))
      : h('p', { id: 'vault-list', className: 'muted' }, 'No vault is shared with you yet.'),
    admin ? h('h2', {}, 'New vault') : null,
    admin ? form : null,
  );
}

/** The decrypted name of a vault, or why it cannot be opened. */
async function vaultName(app, vaultId) {
  try {
    const opened = await openVault(app, vaultId);
    const { name } = opened.vault;
    opened.vault.free();
    return name;
  } catch (error) {
    return `(cannot open: ${error.code ?? 'error'})`;
  }
}

/** Vault.create -> createBody (me as manager + the recovery key) -> POST. Returns the vault id. */
export async function createVault(app, name) {
  const vault = app.wasm.Vault.create(name);
  try {
    const body = vault.createBody(
      [{ memberId: app.me.member_id, role: 'manage', publicKeys: app.keyring.publicKeys() }],
      recoveryKey(app),
    );
    const answer = await app.client.createVault(body);
    return answer.vault_id ?? vault.id;
  } finally {
    vault.free();
  }
}
