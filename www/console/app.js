// The console's state and router. One `app` object is handed to every page:
//   {wasm, client, store, kdf, readQr, root, origin, retryMs?}   (given; tests pass fakes)
//   keyring, me {member_id, role, label}, org {recovery_public_key, ...}   (once unlocked)
// Pages are addressed by the URL fragment: #vaults, #vault/<id>, #members, #revocation/<id>,
// #audit, #breakglass. The unlocked keyring is in memory only; Lock frees it.
import { clearError, showError } from './dom.js';
import { renderSetup } from './setup.js';
import { renderNoKeyring, renderUnlock } from './unlock.js';
import { renderVaults } from './vaults.js';
import { renderVault } from './vault.js';
import { renderMembers } from './members.js';
import { renderRevocation } from './revocation.js';
import { renderAudit } from './audit.js';
import { renderBreakGlass } from './breakglass.js';
import { isAdmin, renderAdminsOnly } from './access.js';
import { renderPending } from './pending.js';

/** First screen: setup when the organisation is not set up, else unlock (or "no keyring here"). */
export async function start(app) {
  wire(app);
  const health = await app.client.health();
  if (!health?.setup_complete) {
    renderSetup(app);
    return;
  }
  const stored = app.store.load();
  if (!stored) renderNoKeyring(app);
  else renderUnlock(app, stored);
}

/**
 * Straight into the signed-in console with a keyring already unlocked (the invite page, once the
 * new member is confirmed: its client already holds the session).
 */
export async function startSignedIn(app, keyring, memberId) {
  wire(app);
  await app.signedIn(keyring, memberId, { session: true });
}

function wire(app) {
  if (app.wired) return;
  app.wired = true;
  app.navigate = (hash) => navigate(app, hash);
  app.lock = () => lock(app);
  app.signedIn = (keyring, memberId, options) => signedIn(app, keyring, memberId, options);
  globalThis.addEventListener?.('hashchange', () => {
    if (app.keyring) route(app);
  });
  document.getElementById('lock')?.addEventListener('click', () => app.lock());
}

/**
 * Sessions expire (the server's --session-ttl-secs): while the keyring is unlocked, the client
 * signs in again with it on a 401 and repeats the call once (TeamClient's `renew`, shared with the
 * extension). Locked, the 401 stands.
 */
export function renewSessions(app) {
  app.client.renew = (client) => (app.keyring && app.memberId ? client.signIn(app.keyring, app.memberId) : null);
}

/**
 * After setup, unlock or joining: sign in with the keyring (unless `session`: the client already
 * holds one), load who I am and the org, show the pages. A member no admin has confirmed yet
 * (403 `member_pending`) gets the waiting page, which comes back here once confirmed.
 */
async function signedIn(app, keyring, memberId, { session = false } = {}) {
  if (!session || !app.client.token) {
    try {
      await app.client.signIn(keyring, memberId);
    } catch (error) {
      if (error?.code !== 'member_pending') throw error;
      renderPending(app.root, {
        client: app.client,
        keyring,
        memberId,
        retryMs: app.retryMs,
        checkFirst: false,
        onConfirmed: () => signedIn(app, keyring, memberId, { session: true }),
      });
      return;
    }
  }
  app.keyring = keyring;
  app.memberId = memberId;
  renewSessions(app);
  app.me = await app.client.me();
  app.org = await app.client.org();
  const nav = document.getElementById('nav');
  if (nav) nav.hidden = false;
  const who = document.getElementById('whoami');
  if (who) who.textContent = `${app.me.label || 'me'} (${app.me.role})`;
  const owner = document.getElementById('nav-breakglass');
  if (owner) owner.hidden = app.me.role !== 'owner';
  const audit = document.getElementById('nav-audit');
  if (audit) audit.hidden = !isAdmin(app.me);
  await route(app);
}

async function lock(app) {
  try {
    await app.client.signOut();
  } catch {
    // The session is deleted on the server when it can be; the keyring goes either way.
  }
  app.current?.vault?.free();
  app.current = null;
  app.keyring?.free();
  app.keyring = null;
  app.me = null;
  const nav = document.getElementById('nav');
  if (nav) nav.hidden = true;
  clearError();
  const stored = app.store.load();
  if (stored) renderUnlock(app, stored);
  else renderNoKeyring(app);
}

/** Shows page `hash` and records it in the history (pushState fires no hashchange). */
function navigate(app, hash) {
  if (globalThis.location?.hash !== hash) globalThis.history?.pushState(null, '', hash);
  return route(app, hash);
}

/** Pages whose every request needs an admin (the server answers 403 `admin_required`). */
const ADMIN_PAGES = new Set(['audit', 'revocation']);

/** Renders the page of the current fragment (or `hash`); a member gets "admins only" instead of
 * an admin page. */
export async function route(app, hash = globalThis.location?.hash ?? '') {
  clearError();
  const [page, id] = hash.replace(/^#/, '').split('/');
  try {
    if (ADMIN_PAGES.has(page) && !isAdmin(app.me)) renderAdminsOnly(app, page);
    else if (page === 'vault' && id) await renderVault(app, id);
    else if (page === 'members') await renderMembers(app);
    else if (page === 'revocation' && id) await renderRevocation(app, id);
    else if (page === 'audit') await renderAudit(app);
    else if (page === 'breakglass') await renderBreakGlass(app);
    else await renderVaults(app);
  } catch (error) {
    showError(error);
  }
}
