// The create and unlock forms, shared by the popup and the options page. The passphrase goes to
// the background at once, which runs Argon2id off this page's thread.
import { MSG } from '../messages.js';
import { describeError, send } from './api.js';
import { newPassphraseFields } from './strength.js';

function element(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** Runs `action` with `submit` disabled and `busy` shown; an error goes to `status`. */
async function submitting(submit, status, busy, action) {
  submit.disabled = true;
  status.className = '';
  status.textContent = busy;
  try {
    await action();
  } catch (error) {
    status.textContent = describeError(error);
    status.className = 'error';
  } finally {
    submit.disabled = false;
  }
}

/** Renders the first-run form into `root`; calls `done()` once the vault exists and is open. */
export function renderCreateForm(root, done) {
  const { pass, again, nodes, check } = newPassphraseFields('create');
  const status = element('p', { id: 'create-status', role: 'status' });
  const submit = element('button', { type: 'submit', className: 'primary', id: 'create-submit' }, 'Create vault');
  const form = element(
    'form',
    { className: 'stack', id: 'create-form' },
    element('h2', {}, 'Create your vault'),
    element('p', { className: 'muted' }, 'Your passphrase seals the vault on this device. It cannot be recovered.'),
    ...nodes,
    submit,
    status,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.className = '';
    const problem = check();
    if (problem) {
      status.textContent = problem.message;
      status.className = 'error';
      return;
    }
    await submitting(submit, status, 'Creating the vault (deriving the key takes a few seconds)…', async () => {
      await send(MSG.VAULT_CREATE, { passphrase: pass.value });
      pass.value = '';
      again.value = '';
      done();
    });
  });
  root.replaceChildren(form);
  pass.focus();
}

/** Renders the unlock form into `root`; calls `done()` once unlocked. */
export function renderUnlockForm(root, done) {
  const pass = element('input', { type: 'password', id: 'unlock-passphrase', autocomplete: 'current-password' });
  const status = element('p', { id: 'unlock-status', role: 'status' });
  const submit = element('button', { type: 'submit', className: 'primary', id: 'unlock-submit' }, 'Unlock');
  const form = element(
    'form',
    { className: 'stack', id: 'unlock-form' },
    element('h2', {}, 'Unlock Tessera'),
    element('label', { htmlFor: 'unlock-passphrase' }, 'Passphrase'),
    pass,
    submit,
    status,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await submitting(submit, status, 'Unlocking…', async () => {
      await send(MSG.VAULT_UNLOCK, { passphrase: pass.value });
      pass.value = '';
      done();
    });
  });
  root.replaceChildren(form);
  pass.focus();
}

export { element };
