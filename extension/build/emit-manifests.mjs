#!/usr/bin/env node
// Emits the per-browser manifests from the one source, /manifest.json. Dependency-free, so
// `cargo xtask dist` can run it with plain `node`:
//
//   node extension/build/emit-manifests.mjs [--source manifest.json] --out dist
//     -> dist/chrome/manifest.json, dist/firefox/manifest.json
//
// The only differences, pinned by tests/extension/manifest.test.mjs:
//   Chrome:  background.service_worker + type "module" (as in the source).
//   Firefox: background.scripts + type "module" (Firefox MV3 runs an event page, not a service
//            worker), and browser_specific_settings.gecko: id, strict_min_version 140.0 (the
//            first with data_collection_permissions), data_collection_permissions required none;
//            browser_specific_settings.gecko_android.strict_min_version 142.0 (Firefox for Android
//            has data_collection_permissions from 142; without it web-ext lint warns
//            KEY_FIREFOX_ANDROID_UNSUPPORTED_BY_MIN_VERSION).
//            The `offscreen` permission is Chrome's only (Firefox warns on it): Chrome's service
//            worker clears the clipboard through an offscreen document, Firefox's event page
//            does it itself.
// A single manifest with both background keys loads in both browsers, but Chrome then reports a
// manifest error (../shared/TOOLCHAIN.md), hence two files.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GECKO = Object.freeze({
  id: 'tessera@tessera.invalid',
  strict_min_version: '140.0',
  data_collection_permissions: { required: ['none'] },
});

/** Firefox for Android: the first version with data_collection_permissions. */
export const GECKO_ANDROID = Object.freeze({ strict_min_version: '142.0' });

/** Permissions Firefox does not know (it warns on them): Chrome's offscreen documents. */
export const CHROME_ONLY_PERMISSIONS = Object.freeze(['offscreen']);

function backgroundScript(source) {
  const script = source.background?.service_worker;
  if (typeof script !== 'string' || script === '') {
    throw new Error('manifest.json: background.service_worker must name the background script');
  }
  if (source.background.type !== 'module') {
    throw new Error('manifest.json: background.type must be "module"');
  }
  return script;
}

/** The Chrome manifest: the source as is, checked. */
export function chromeManifest(source) {
  const script = backgroundScript(source);
  return { ...structuredClone(source), background: { service_worker: script, type: 'module' } };
}

/** The Firefox manifest: background scripts instead of a service worker, plus gecko settings. */
export function firefoxManifest(source) {
  const script = backgroundScript(source);
  const manifest = structuredClone(source);
  manifest.background = { scripts: [script], type: 'module' };
  manifest.browser_specific_settings = {
    gecko: structuredClone(GECKO),
    gecko_android: structuredClone(GECKO_ANDROID),
  };
  manifest.permissions = manifest.permissions.filter((p) => !CHROME_ONLY_PERMISSIONS.includes(p));
  return manifest;
}

/** Writes <out>/chrome/manifest.json and <out>/firefox/manifest.json; returns their paths. */
export function emitManifests(sourcePath, outDir) {
  const source = JSON.parse(readFileSync(sourcePath, 'utf8'));
  const written = [];
  for (const [browser, manifest] of [
    ['chrome', chromeManifest(source)],
    ['firefox', firefoxManifest(source)],
  ]) {
    const path = join(outDir, browser, 'manifest.json');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
    written.push(path);
  }
  return written;
}

function parseArgs(argv) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const args = { source: join(root, 'manifest.json'), out: null };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === '--source' || flag === '--out') && value !== undefined) {
      args[flag.slice(2)] = value;
      i += 1;
    } else {
      throw new Error(`unknown argument ${flag}`);
    }
  }
  if (args.out === null) throw new Error('usage: emit-manifests.mjs [--source FILE] --out DIR');
  return args;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { source, out } = parseArgs(process.argv.slice(2));
    for (const path of emitManifests(source, out)) console.log(path);
  } catch (error) {
    console.error(`emit-manifests: ${error.message}`);
    process.exit(2);
  }
}
