// The web console's entry point: loads the wasm package, then shows first-run setup, the unlock
// form, or the signed-in pages. `/invite#token` is the invite page: it reads the token, removes
// it from the address bar, and loads the wasm only if the invitee joins in this browser.
import init, * as wasm from './pkg/tessera_wasm.js';
import { TeamClient } from './shared/team-client.js';
import { workerKdf } from './console/kdf.js';
import { keyringStore } from './console/keyring-store.js';
import { readQr } from './pages/qr.js';
import { start, startSignedIn } from './console/app.js';
import { renderInvitePage, takeInviteToken } from './console/invite.js';
import { showError } from './console/dom.js';

let loaded = null;
function loadWasm() {
  loaded ??= init({ module_or_path: new URL('./pkg/tessera_wasm_bg.wasm', import.meta.url) }).then(() => wasm);
  return loaded;
}

function consoleApp(root, client) {
  return {
    wasm,
    client,
    store: keyringStore(localStorage),
    kdf: workerKdf(wasm),
    readQr,
    root,
    origin: location.origin,
  };
}

async function main() {
  const root = document.getElementById('main');
  if (location.pathname.replace(/\/+$/, '') === '/invite') {
    const token = takeInviteToken(location, history);
    const client = new TeamClient(location.origin);
    renderInvitePage(root, { token, origin: location.origin }, {
      loadWasm,
      client,
      store: keyringStore(localStorage),
      kdf: (w) => workerKdf(w),
      // Confirmed: the console proper, at its own address, with the keyring still unlocked.
      enterConsole: async (keyring, memberId) => {
        history.replaceState(null, '', '/#vaults');
        await startSignedIn(consoleApp(root, client), keyring, memberId);
      },
    });
    return;
  }
  await loadWasm();
  await start(consoleApp(root, new TeamClient(location.origin)));
}

main().catch(showError);
