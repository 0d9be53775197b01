// Break-glass (owner only): the export of every vault, opened offline with the recovery kit.
import { busy, download, h } from './dom.js';

export async function renderBreakGlass(app) {
  const owner = app.me.role === 'owner';
  const button = h('button', { id: 'export-download', type: 'button', className: 'primary', disabled: !owner }, 'Download break-glass export');
  button.addEventListener('click', () =>
    busy(button, async () => {
      const data = await app.client.exportAll();
      const day = new Date().toISOString().slice(0, 10);
      download(`tessera-export-${day}.json`, `${JSON.stringify(data, null, 1)}\n`, 'application/json');
    }),
  );
  app.root.replaceChildren(
    h(
      'section',
      { id: 'breakglass', className: 'stack' },
      h('h1', {}, 'Break-glass recovery'),
      h('p', {}, 'If every member loses their keys, or the server is gone, the owner opens every vault with the organisation recovery kit printed at setup:'),
      h(
        'ol',
        {},
        h('li', {}, 'Download the export below (every vault, still sealed; it holds no key). Without a running server: ', h('code', {}, 'tessera-server export --data-dir DATA_DIR --out export.json'), ' reads the database or a backup of it.'),
        h('li', {}, 'Type the kit into a file, e.g. kit.txt (case, spaces and 0/O, 1/I, 8/B misreadings are forgiven).'),
        h('li', {}, 'On an offline computer: ', h('code', { id: 'recover-command' }, 'tessera recover --kit kit.txt export.json')),
      ),
      h('p', { className: 'muted' }, 'The download is recorded in the audit log (recovery.export). Keep the export and the kit apart.'),
      owner ? button : h('p', { className: 'muted' }, 'Only the owner can download the export.'),
    ),
  );
}
