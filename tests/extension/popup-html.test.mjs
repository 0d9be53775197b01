// popup.html preloads the popup's whole module graph (<link rel="modulepreload">), so the browser
// fetches it at once instead of import by import; the list must follow popup.js's imports.
// jsQR (250 KB) is not loaded with the popup: popup.js loads it on the first scan.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const EXTENSION = new URL('../../extension/', import.meta.url);
const read = (url) => readFileSync(url, 'utf8');

/** Every module statically imported from `entry` (URLs under extension/), entry excluded. */
function importGraph(entry) {
  const seen = new Set();
  const visit = (url) => {
    for (const [, spec] of read(url).matchAll(/^import\s[^'"]*['"]([^'"]+)['"];?$/gm)) {
      const next = new URL(spec, url);
      if (!seen.has(next.href)) {
        seen.add(next.href);
        visit(next);
      }
    }
  };
  visit(entry);
  return seen;
}

test('popup.html preloads exactly the modules popup.js imports', () => {
  const html = read(new URL('popup/popup.html', EXTENSION));
  const page = new URL('popup/popup.html', EXTENSION);
  const preloaded = new Set([...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map(([, href]) => new URL(href, page).href));
  const imported = importGraph(new URL('popup/popup.js', EXTENSION));
  assert.ok(imported.size >= 5, `the graph was read: ${[...imported]}`);
  assert.deepEqual([...preloaded].sort(), [...imported].sort());
});

test('the popup does not load jsQR up front; popup.js loads it for a scan', () => {
  const html = read(new URL('popup/popup.html', EXTENSION));
  assert.doesNotMatch(html, /jsQR/);
  assert.match(read(new URL('popup/popup.js', EXTENSION)), /script\.src = '\.\.\/vendor\/jsQR\.js'/);
});
