// The web console's entry point: loads the wasm package, then shows first-run setup, the unlock
// form, or the signed-in pages. `/invite#token` is the invite page and loads nothing else.
import init, * as wasm from './pkg/tessera_wasm.js';
import { TeamClient } from './shared/team-client.js';
import { workerKdf } from './console/kdf.js';
import { keyringStore } from './console/keyring-store.js';
import { readQr } from './pages/qr.js';
import { start } from './console/app.js';
import { renderInvitePage } from './console/invite.js';
import { showError } from './console/dom.js';

async function main() {
  const root = document.getElementById('main');
  if (location.pathname.replace(/\/+$/, '') === '/invite') {
    renderInvitePage(root, location);
    return;
  }
  await init({ module_or_path: new URL('./pkg/tessera_wasm_bg.wasm', import.meta.url) });
  await start({
    wasm,
    client: new TeamClient(location.origin),
    store: keyringStore(localStorage),
    kdf: workerKdf(wasm),
    readQr,
    root,
    origin: location.origin,
  });
}

main().catch(showError);
