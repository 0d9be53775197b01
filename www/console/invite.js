// /invite#token: what an invitee does with the link. Three ways in: the extension, the CLI, or
// "Join in this browser" (the web console, for admins above all).
//
// The token is read from the fragment once and the fragment is then removed from the address bar
// (history.replaceState), so it is not left in the history or copied along with the address. It
// leaves this page only in the body of POST /api/v1/invites/accept. Loading the page makes no
// request at all; the wasm package is loaded only when the invitee joins here.
//
// Joining here: Keyring.generate() and the seal with the passphrase in the Argon2id worker
// (kdf.js), BEFORE the accept request (a failure then spends nothing); then accept {token,
// public_keys, label}, the sealed keyring and member id stored exactly like the owner's
// (keyring-store.js), then the "waiting for confirmation" page (pending.js) with the fingerprint.
import { newPassphraseFields } from '../pages/strength.js';
import { b64, inviteLink, parseInviteLink } from '../shared/team-client.js';
import { busy, clearError, fail, h, showError } from './dom.js';
import { renderPending } from './pending.js';

/**
 * The invite token of `location` (its fragment), and the fragment removed from the address bar.
 * `history` is window.history (tests pass a stand-in).
 */
export function takeInviteToken(location, history = globalThis.history) {
  const token = (location.hash ?? '').replace(/^#/, '');
  if (token && history?.replaceState) history.replaceState(null, '', `${location.pathname ?? '/invite'}${location.search ?? ''}`);
  return token;
}

/** What the invitee is told for each way an accept can fail. */
const ACCEPT_ERRORS = {
  invalid_invite: 'This invite link is not valid on this server (mistyped, cancelled, or for another server). Ask the admin for a new link.',
  invite_used: 'This invite link was already used. Each link works once: ask the admin for a new one.',
  invite_expired: 'This invite link has expired. Ask the admin for a new one.',
  keys_in_use: 'These keys already belong to another member. Try again (new keys are made each time).',
  rate_limited: 'Too many attempts from this address. Wait a minute and try again.',
  bad_invite_link: 'This link is incomplete or damaged: ask for the whole link, including the part after #.',
};

/**
 * Renders the invite page for `{token, origin}`. `join` enables "Join in
 * this browser": `{loadWasm() -> wasm, client, store, kdf(wasm) -> {generate}, enterConsole(keyring,
 * memberId), retryMs?}`. Without it only the extension and CLI instructions are shown.
 */
export function renderInvitePage(root, where, join = null) {
  const { token } = where;
  const link = token ? inviteLink(where.origin, token) : '';
  const field = h('input', { id: 'invite-page-link', type: 'text', readOnly: true, value: link });
  const copy = h('button', { id: 'invite-page-copy', type: 'button' }, 'Copy link');
  copy.addEventListener('click', () => navigator.clipboard?.writeText(field.value));
  root.replaceChildren(
    h(
      'section',
      { id: 'invite-page', className: 'stack' },
      h('h1', {}, 'You are invited to a Tessera team'),
      token
        ? h('div', { className: 'row' }, field, copy)
        : h('p', { id: 'invite-page-missing' }, 'This link is incomplete: ask for the whole link, including the part after #. (If you reloaded this page: the link is removed from the address bar once read; open the link you were sent again.)'),
      token && join ? joinForm(root, token, where.origin, join) : null,
      h('h2', {}, 'With the browser extension'),
      h('ol', {}, h('li', {}, 'Open the Tessera extension’s Options (right-click its toolbar icon → Options).'), h('li', {}, 'Choose "Connect to a team server" and paste this whole link.'), h('li', {}, 'Read the fingerprint it shows to the admin who invited you (phone or in person); they confirm you.')),
      h('h2', {}, 'With the command line'),
      h('p', {}, 'After `tessera init` (once per computer), run:'),
      h('pre', {}, h('code', { id: 'invite-page-command' }, `tessera team join '${link || 'LINK'}'`)),
      h('p', {}, 'It prints your fingerprint: read it to the admin who invited you.'),
      h('p', { className: 'muted' }, 'The link works once and expires. Your keys are made on your device (extension, CLI or this browser); the server only ever receives public keys.'),
    ),
  );
}

function joinForm(root, token, origin, join) {
  const label = h('input', { id: 'join-label', type: 'text', placeholder: 'e.g. Bob', autocomplete: 'name' });
  const { pass, nodes, check } = newPassphraseFields('join', { label: 'Passphrase (seals your keys in this browser)', required: true });
  const submit = h('button', { id: 'join-submit', type: 'submit', className: 'primary' }, 'Join in this browser');
  const status = h('p', { id: 'join-status', role: 'status', 'aria-live': 'polite' });
  const form = h(
    'form',
    { id: 'join-form', className: 'stack' },
    h('h2', {}, 'Join in this browser (web console)'),
    h('p', {}, 'For admins who work in the web console (members use the extension for codes). Your keys are made here and sealed in this browser with your passphrase; the server receives only public keys.'),
    h('label', { for: 'join-label' }, 'Your name (shown to other members)'),
    label,
    ...nodes,
    submit,
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearError();
    const problem = check();
    if (problem) return showError(fail(problem.code, problem.message));
    const held = join.store.load();
    if (held) {
      return showError(fail('keyring_exists', 'This browser already holds a console keyring. Joining here would replace it: open the console (/) to use it, or remove it there (Unlock → Other actions) first, or join from another browser profile.'));
    }
    busy(submit, async () => {
      try {
        await joinHere(root, { token, origin, label: label.value.trim(), passphrase: pass.value, status }, join);
      } catch (error) {
        status.textContent = '';
        throw error;
      }
    });
  });
  return form;
}

/** Keys, seal, accept, store, then the waiting page. Throws a coded Error and stores nothing on failure. */
async function joinHere(root, state, join) {
  const { status } = state;
  // The same check the extension makes: a malformed token is refused before any request.
  try {
    parseInviteLink(inviteLink(state.origin, state.token));
  } catch (error) {
    throw fail(error.code ?? 'bad_invite_link', ACCEPT_ERRORS.bad_invite_link);
  }
  status.textContent = 'Making your keys and sealing them with your passphrase (a second or two)…';
  const wasm = await join.loadWasm();
  // Made and sealed in the Argon2id worker; the keyring comes back as its session secret.
  const { keyring, sealed } = await join.kdf(wasm).generate(state.passphrase);
  let kept = false;
  try {
    const mine = wasm.keyringHeader(sealed).fingerprintHex;
    status.textContent = 'Registering your public keys with the server…';
    let answer;
    try {
      answer = await join.client.acceptInvite(state.token, b64(keyring.publicKeys()), state.label);
    } catch (error) {
      const message = ACCEPT_ERRORS[error?.code];
      throw message ? fail(error.code, message) : error;
    }
    if (!answer || typeof answer.member_id !== 'string') throw fail('bad_response', 'The server’s answer has no member id.');
    if (answer.fingerprint !== mine) {
      throw fail('fingerprint_mismatch', 'The server registered keys with another fingerprint than the ones made here. Do not use this server; tell the admin who invited you.');
    }
    join.store.save({ memberId: answer.member_id, sealed });
    state.passphrase = null;
    kept = true;
    renderPending(root, {
      client: join.client,
      keyring,
      memberId: answer.member_id,
      retryMs: join.retryMs,
      checkFirst: false,
      intro: h('p', {}, `You joined as ${answer.role === 'admin' ? 'an admin' : 'a member'}${state.label ? ` (${state.label})` : ''}. Your keys are sealed in this browser.`),
      onConfirmed: () => join.enterConsole(keyring, answer.member_id),
    });
  } finally {
    if (!kept) keyring.free();
  }
}

