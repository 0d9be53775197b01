// The console's state and router. One `app` object is handed to every page:
//   {wasm, client, store, kdf, readQr, root, origin}   (given; tests pass fakes)
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

/** First screen: setup when the organisation is not set up, else unlock (or "no keyring here"). */
export async function start(app) {
  app.navigate = (hash) => navigate(app, hash);
  app.lock = () => lock(app);
  app.signedIn = (keyring, memberId) => signedIn(app, keyring, memberId);
  globalThis.addEventListener?.('hashchange', () => {
    if (app.keyring) route(app);
  });
  document.getElementById('lock')?.addEventListener('click', () => app.lock());
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
 * Sessions expire (the server's --session-ttl-secs): while the keyring is unlocked, a 401 on any
 * API call signs in again with it and repeats the call once.
 */
export function renewSessions(app) {
  const client = app.client;
  if (client.renewing) return;
  const call = client.call.bind(client);
  client.renewing = true;
  client.call = async (method, path, body, options) => {
    try {
      return await call(method, path, body, options);
    } catch (error) {
      if (error.status !== 401 || !app.keyring || !app.memberId || path.startsWith('/api/v1/auth/')) throw error;
      await client.signIn(app.keyring, app.memberId);
      return call(method, path, body, options);
    }
  };
}

/** After setup or unlock: sign in with the keyring, load who I am and the org, show the pages. */
async function signedIn(app, keyring, memberId) {
  app.keyring = keyring;
  app.memberId = memberId;
  renewSessions(app);
  await app.client.signIn(keyring, memberId);
  app.me = await app.client.me();
  app.org = await app.client.org();
  const nav = document.getElementById('nav');
  if (nav) nav.hidden = false;
  const who = document.getElementById('whoami');
  if (who) who.textContent = `${app.me.label || 'me'} (${app.me.role})`;
  const owner = document.getElementById('nav-breakglass');
  if (owner) owner.hidden = app.me.role !== 'owner';
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

/** Renders the page of the current fragment (or `hash`). */
export async function route(app, hash = globalThis.location?.hash ?? '') {
  clearError();
  const [page, id] = hash.replace(/^#/, '').split('/');
  try {
    if (page === 'vault' && id) await renderVault(app, id);
    else if (page === 'members') await renderMembers(app);
    else if (page === 'revocation' && id) await renderRevocation(app, id);
    else if (page === 'audit') await renderAudit(app);
    else if (page === 'breakglass') await renderBreakGlass(app);
    else await renderVaults(app);
  } catch (error) {
    showError(error);
  }
}
