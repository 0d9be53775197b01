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
      h('p', {}, 'The organisation is set up. The console signs in with the keyring made in this browser at setup (the owner). Members use the Tessera browser extension (Options → Connect to a team server) or `tessera team join LINK`.'),
    ),
  );
}
