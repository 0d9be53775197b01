// "Waiting for confirmation": a member whose invite was accepted but whose fingerprint no admin
// has confirmed yet. The server answers sign-in with 403 `member_pending` until then, so this
// page shows the fingerprint to read to the admin and retries sign-in (one challenge request per
// try: the sign-in endpoints are rate-limited per address) until it succeeds. Used right after
// joining in this browser (invite.js) and when a stored keyring is unlocked before confirmation.
import { describe, h, showError } from './dom.js';

/** Seconds between sign-in tries while waiting. */
export const RETRY_MS = 10_000;
/** After a 429 the server asks for up to a minute. */
const RATE_LIMITED_MS = 60_000;

/**
 * Renders the waiting page into `root` and retries `client.signIn(keyring, memberId)`.
 * `onConfirmed()` runs once sign-in succeeds (the client then holds the session); a revoked
 * member stops the retries with a clear status. `checkFirst: false` waits one interval before
 * the first try. Returns `{stop()}`.
 */
export function renderPending(root, { client, keyring, memberId, onConfirmed, retryMs = RETRY_MS, checkFirst = true, intro = null }) {
  const status = h('p', { id: 'join-status', role: 'status', 'aria-live': 'polite' }, 'Waiting for an admin to confirm your fingerprint…');
  const check = h('button', { id: 'join-check', type: 'button' }, 'Check now');
  const section = h(
    'section',
    { id: 'join-pending', className: 'stack' },
    h('h1', {}, 'Waiting for confirmation'),
    intro,
    h('p', {}, 'Read this fingerprint to the admin who invited you (by phone or in person, not by e-mail or chat). They compare it with the one the server shows them and confirm you.'),
    h('p', { className: 'fingerprint' }, h('code', { id: 'join-fingerprint' }, keyring.fingerprint)),
    status,
    h('div', { className: 'row' }, check),
    h('p', { className: 'muted' }, 'This page checks by itself every few seconds and opens the console once you are confirmed. You can also close it: your keys are sealed in this browser, and unlocking the console later with your passphrase brings you back here until you are confirmed.'),
  );
  root.replaceChildren(section);

  let timer = null;
  let stopped = false;
  let trying = false;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
  };
  const schedule = (ms) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(attempt, ms);
  };
  async function attempt() {
    if (stopped || trying) return;
    // The page was replaced (navigation, lock): nothing to wait for any more.
    if (!section.isConnected) return stop();
    trying = true;
    check.disabled = true;
    try {
      await client.signIn(keyring, memberId);
    } catch (error) {
      trying = false;
      check.disabled = false;
      return waitMore(error);
    }
    stop();
    status.textContent = 'Confirmed. Opening the console…';
    status.dataset.state = 'confirmed';
    try {
      await onConfirmed();
    } catch (error) {
      status.textContent = `Confirmed, but opening the console failed: ${describe(error)}`;
      status.dataset.state = 'failed';
      showError(error);
    }
  }
  function waitMore(error) {
    status.dataset.state = 'pending';
    if (error?.code === 'member_pending') {
      status.textContent = `Not confirmed yet (last checked ${new Date().toLocaleTimeString()}). Waiting…`;
      schedule(retryMs);
    } else if (error?.code === 'rate_limited') {
      status.textContent = 'The server asks to slow down; checking again in a minute.';
      schedule(Math.max(retryMs, RATE_LIMITED_MS));
    } else if (error?.code === 'member_revoked' || error?.code === 'unknown_member') {
      stop();
      check.disabled = true;
      status.dataset.state = 'failed';
      status.textContent = error.code === 'member_revoked'
        ? `An admin refused or removed this membership: ask them for a new invite. ${describe(error)}`
        : `The server no longer knows this member: ask for a new invite. ${describe(error)}`;
    } else {
      status.textContent = `Cannot check right now: ${describe(error)}. Trying again…`;
      schedule(retryMs);
    }
  }
  check.addEventListener('click', () => attempt());
  // Right after joining nobody can have confirmed yet: the first try waits one interval.
  if (checkFirst) attempt();
  else schedule(retryMs);
  return { stop };
}
