// First run: create the organisation. Everything secret is made here in the browser: the owner's
// keyring (Keyring.generate) and the organisation recovery kit (createRecoveryKit). The kit is shown
// once; POST /api/v1/setup goes out only after the owner confirms it is saved (box ticked and the
// last characters typed back). Then the keyring is sealed with the passphrase (worker) and stored.
import { b64 } from '../shared/team-client.js';
import { newPassphraseFields } from '../pages/strength.js';
import { busy, clearError, fail, h, showError } from './dom.js';
import { qrSvg } from './qr-svg.js';

/** The characters the owner types back to prove they have the kit in front of them. */
export const KIT_CHECK_LENGTH = 4;

export function kitCheck(kit) {
  return kit.replace(/[^A-Za-z0-9]/g, '').slice(-KIT_CHECK_LENGTH).toUpperCase();
}

export function renderSetup(app) {
  const token = h('input', { id: 'setup-token', type: 'password', autocomplete: 'off', required: true, spellcheck: false });
  const label = h('input', { id: 'setup-label', type: 'text', value: '', placeholder: 'e.g. Alice (owner)' });
  const { pass, nodes, check } = newPassphraseFields('setup', { label: 'Passphrase (seals your keys in this browser)', required: true });
  const submit = h('button', { id: 'setup-submit', type: 'submit', className: 'primary' }, 'Continue');
  const form = h(
    'form',
    { id: 'setup-form', className: 'stack' },
    h('h1', {}, 'Create your organisation'),
    h('p', {}, 'This server has no organisation yet. You become its owner. Your keys and the organisation recovery kit are made here, in this browser; the server only ever receives public keys.'),
    h('label', { for: 'setup-token' }, 'Setup token'),
    token,
    h('p', { className: 'muted' }, 'The server wrote a one-time setup token to the file setup-token in its data directory (DATA_DIR/setup-token, by default tessera-data/setup-token). Paste its content.'),
    h('label', { for: 'setup-label' }, 'Your name (shown to other members)'),
    label,
    ...nodes,
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearError();
    if (!token.value.trim()) return showError(fail('setup_token_missing', 'Paste the setup token.'));
    const problem = check();
    if (problem) return showError(fail(problem.code, problem.message));
    const keyring = app.wasm.Keyring.generate();
    const recovery = app.wasm.createRecoveryKit();
    renderKit(app, {
      keyring,
      recovery,
      setupToken: token.value.trim(),
      label: label.value.trim(),
      passphrase: pass.value,
    });
  });
  app.root.replaceChildren(form);
}

/** The recovery kit, shown once, and the confirmation that releases the setup request. */
function renderKit(app, state) {
  const { recovery } = state;
  const saved = h('input', { id: 'kit-saved', type: 'checkbox' });
  const check = h('input', { id: 'kit-check', type: 'text', maxLength: 8, autocomplete: 'off', spellcheck: false });
  const finish = h('button', { id: 'setup-finish', type: 'submit', className: 'primary' }, 'Create the organisation');
  const print = h('button', { id: 'kit-print', type: 'button', className: 'no-print' }, 'Print');
  const page = h(
    'form',
    { id: 'kit-page', className: 'stack' },
    h('h1', {}, 'Your organisation recovery kit'),
    h(
      'section',
      { className: 'kit' },
      h('h2', {}, 'Tessera organisation recovery kit'),
      h('pre', { id: 'kit-text' }, recovery.kit),
      qrSvg(recovery.kit, 'kit-qr'),
      h('p', {}, 'Recovery key fingerprint: ', h('code', { id: 'kit-fingerprint' }, recovery.fingerprint)),
      h('p', {}, 'Server: ', h('code', {}, app.origin ?? '')),
      h(
        'ol',
        {},
        h('li', {}, 'Print this page (or write the kit down exactly). This is the only time it is shown.'),
        h('li', {}, 'Store it offline in two separate safe places (e.g. an office safe and a bank deposit box). Never in e-mail, chat or a cloud drive.'),
        h('li', {}, 'It opens every vault of the organisation, even if every member loses their keys or the server is gone: download the break-glass export (owner, Break-glass page, or `tessera-server export` on the server), then run `tessera recover --kit kit.txt export.json` with the kit typed into kit.txt.'),
      ),
    ),
    h('div', { className: 'row no-print' }, print),
    h('label', { className: 'row no-print' }, saved, 'I have saved the recovery kit (printed or written down, stored offline).'),
    h('label', { for: 'kit-check', className: 'no-print' }, `Type the last ${KIT_CHECK_LENGTH} characters of the kit`),
    check,
    h('div', { className: 'row no-print' }, finish),
  );
  print.addEventListener('click', () => globalThis.print?.());
  page.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError();
    if (!saved.checked) return showError(fail('kit_not_saved', 'Tick "I have saved the recovery kit" first.'));
    if (check.value.replace(/[^A-Za-z0-9]/g, '').toUpperCase() !== kitCheck(recovery.kit)) {
      return showError(fail('kit_check_mismatch', `The last ${KIT_CHECK_LENGTH} characters do not match the kit. Check what you saved.`));
    }
    await busy(finish, async () => {
      finish.textContent = 'Creating (sealing your keys takes a second)…';
      try {
        await createOrganisation(app, state);
      } finally {
        finish.textContent = 'Create the organisation';
      }
    });
  });
  app.root.replaceChildren(page);
}

async function createOrganisation(app, state) {
  const { keyring, recovery } = state;
  // Sealed first: a passphrase problem then stops before the server is set up.
  const sealed = state.sealed ?? (await app.kdf.seal(keyring, state.passphrase));
  state.sealed = sealed;
  const body = {
    setup_token: state.setupToken,
    recovery_public_key: b64(recovery.publicKey),
    public_keys: b64(keyring.publicKeys()),
  };
  if (state.label) body.label = state.label;
  const answer = await app.client.setup(body);
  app.store.save({ memberId: answer.member_id, sealed });
  // The kit leaves the page and memory: it was shown once.
  state.recovery = null;
  state.passphrase = null;
  app.root.replaceChildren(h('p', { className: 'muted' }, 'Signing in…'));
  await app.signedIn(keyring, answer.member_id);
}
