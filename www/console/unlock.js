// Return visits: the passphrase unlocks the sealed keyring stored in this browser (Argon2id in a
// worker), then the console signs in with it.
import { busy, h } from './dom.js';

export function renderUnlock(app, stored) {
  const pass = h('input', { id: 'unlock-passphrase', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { id: 'unlock-submit', type: 'submit', className: 'primary' }, 'Unlock');
  const forget = h('button', { id: 'keyring-forget', type: 'button', className: 'danger' }, 'Remove the keyring from this browser');
  const form = h(
    'form',
    { id: 'unlock-form', className: 'stack' },
    h('h1', {}, 'Unlock the Tessera console'),
    h('label', { for: 'unlock-passphrase' }, 'Passphrase'),
    pass,
    submit,
    h('details', {}, h('summary', {}, 'Other actions'), h('p', { className: 'muted' }, 'Removing the keyring signs this browser out for good; you then need your keys from elsewhere.'), forget),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await busy(submit, async () => {
      const keyring = await app.kdf.unlock(stored.sealed, pass.value);
      pass.value = '';
      await app.signedIn(keyring, stored.memberId);
    });
  });
  forget.addEventListener('click', () => {
    app.store.clear();
    renderNoKeyring(app);
  });
  app.root.replaceChildren(form);
  pass.focus?.();
}

export function renderNoKeyring(app) {
  app.root.replaceChildren(
    h(
      'section',
      { id: 'no-keyring', className: 'stack' },
      h('h1', {}, 'This browser holds no console keyring'),
      h('p', {}, 'The console signs in with keys sealed in this browser. There are two ways to get them here:'),
      h(
        'ul',
        {},
        h('li', { id: 'no-keyring-owner' }, h('strong', {}, 'Owner (first-run setup): '), 'setup made your keys in the browser where you ran it. Open the console in that browser (and profile): it asks for your passphrase there.'),
        h('li', { id: 'no-keyring-invite' }, h('strong', {}, 'Invited: '), 'open the invite link you were sent (…/invite#…) in this browser and choose "Join in this browser". An admin then confirms your fingerprint. Ask an admin for a new link if yours was used or has expired.'),
      ),
      h('p', { className: 'muted' }, 'Members who only need codes use the Tessera browser extension (Options → Connect to a team server) or `tessera team join LINK` instead.'),
    ),
  );
}
