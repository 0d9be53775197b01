// Pins the one manifest source and the difference between the emitted Chrome and Firefox manifests.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  GECKO,
  chromeManifest,
  emitManifests,
  firefoxManifest,
} from '../../extension/build/emit-manifests.mjs';

const ROOT = new URL('../../', import.meta.url);
const sourcePath = new URL('manifest.json', ROOT);
const source = JSON.parse(readFileSync(sourcePath, 'utf8'));

// The AWS sign-in hosts of every partition (issue 3, section 1), and nothing else.
const SIGN_IN_PATTERNS = [
  'https://signin.aws.amazon.com/*',
  'https://*.signin.aws.amazon.com/*',
  'https://signin.amazonaws-us-gov.com/*',
  'https://*.signin.amazonaws-us-gov.com/*',
  'https://signin.amazonaws.cn/*',
  'https://*.signin.amazonaws.cn/*',
  'https://*.signin.amazonaws-eusc.eu/*',
];

const sorted = (list) => [...list].sort();

test('the source is MV3 with the fewest permissions and the wasm CSP', () => {
  assert.equal(source.manifest_version, 3);
  // clipboardRead: a copied code is cleared only if the clipboard still holds it; offscreen:
  // where Chrome's service worker reaches the clipboard (Chrome only, see below).
  assert.deepEqual(
    sorted(source.permissions),
    sorted(['storage', 'alarms', 'clipboardWrite', 'clipboardRead', 'activeTab', 'offscreen']),
  );
  assert.equal(source.optional_permissions, undefined);
  assert.deepEqual(source.content_security_policy, {
    extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'",
  });
  assert.ok(source.commands['fill-mfa-code'].suggested_key.default);
  assert.ok(source.action, 'toolbar button fills the active AWS tab');
  assert.equal(source.web_accessible_resources, undefined, 'nothing is exposed to pages');
});

test('host permissions are exactly the AWS sign-in hosts, https only', () => {
  assert.deepEqual(sorted(source.host_permissions), sorted(SIGN_IN_PATTERNS));
  for (const pattern of source.host_permissions) {
    assert.match(pattern, /^https:\/\/(\*\.)?signin\.[a-z.-]+\/\*$/);
  }
});

test('team servers: optional host permissions only, https or loopback http, asked at connect time', () => {
  // Granted by the options page (permissions.request) for the one server an invite names.
  assert.deepEqual(sorted(source.optional_host_permissions), sorted([
    'https://*/*',
    'http://127.0.0.1/*',
    'http://localhost/*',
    'http://[::1]/*',
  ]));
  for (const pattern of source.optional_host_permissions) {
    assert.ok(!source.host_permissions.includes(pattern), 'never granted at install');
    assert.match(pattern, /^(https:\/\/\*|http:\/\/(127\.0\.0\.1|localhost|\[::1\]))\/\*$/);
  }
});

test('the content script runs on exactly the host permissions, top frame only', () => {
  assert.equal(source.content_scripts.length, 1);
  const [script] = source.content_scripts;
  assert.deepEqual(sorted(script.matches), sorted(source.host_permissions));
  assert.equal(script.all_frames, false);
  assert.equal(script.match_about_blank, undefined);
  assert.deepEqual(script.js, ['content/aws-mfa.js']);
});

test('Chrome gets a module service worker', () => {
  const chrome = chromeManifest(source);
  assert.deepEqual(chrome.background, { service_worker: 'background.js', type: 'module' });
  assert.equal(chrome.browser_specific_settings, undefined);
});

test('Firefox gets background scripts and gecko settings', () => {
  const firefox = firefoxManifest(source);
  assert.deepEqual(firefox.background, { scripts: ['background.js'], type: 'module' });
  assert.deepEqual(firefox.browser_specific_settings, {
    gecko: {
      id: 'tessera@tessera.invalid',
      strict_min_version: '140.0',
      data_collection_permissions: { required: ['none'] },
    },
    // Firefox for Android reads data_collection_permissions from 142 (web-ext lint warns
    // KEY_FIREFOX_ANDROID_UNSUPPORTED_BY_MIN_VERSION with an older or absent Android minimum).
    gecko_android: { strict_min_version: '142.0' },
  });
  assert.deepEqual(GECKO, firefox.browser_specific_settings.gecko);
  assert.deepEqual(
    firefox.permissions,
    source.permissions.filter((p) => p !== 'offscreen'),
    'Firefox has no offscreen documents and warns on the permission',
  );
});

test('the two manifests differ in background, gecko settings and offscreen only', () => {
  const strip = ({ background, browser_specific_settings, permissions, ...rest }) => rest;
  assert.deepEqual(strip(chromeManifest(source)), strip(firefoxManifest(source)));
  assert.deepEqual(strip(chromeManifest(source)), strip(source));
  assert.deepEqual(chromeManifest(source).permissions, source.permissions);
});

test('the transforms do not modify the source', () => {
  const before = structuredClone(source);
  chromeManifest(source);
  firefoxManifest(source);
  assert.deepEqual(source, before);
});

test('a source without a module service worker is refused', () => {
  assert.throws(() => chromeManifest({ ...source, background: {} }), /service_worker/);
  assert.throws(
    () => firefoxManifest({ ...source, background: { service_worker: 'b.js' } }),
    /module/,
  );
});

test('emitManifests writes both files', () => {
  const out = mkdtempSync(join(tmpdir(), 'tessera-manifests-'));
  try {
    const paths = emitManifests(sourcePath, out);
    assert.deepEqual(paths, [join(out, 'chrome', 'manifest.json'), join(out, 'firefox', 'manifest.json')]);
    const chrome = JSON.parse(readFileSync(paths[0], 'utf8'));
    const firefox = JSON.parse(readFileSync(paths[1], 'utf8'));
    assert.deepEqual(chrome, chromeManifest(source));
    assert.deepEqual(firefox, firefoxManifest(source));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the command line used by cargo xtask dist', () => {
  const out = mkdtempSync(join(tmpdir(), 'tessera-manifests-cli-'));
  const script = new URL('extension/build/emit-manifests.mjs', ROOT).pathname;
  try {
    const printed = execFileSync(process.execPath, [script, '--out', out], { encoding: 'utf8' });
    assert.equal(printed, `${join(out, 'chrome', 'manifest.json')}\n${join(out, 'firefox', 'manifest.json')}\n`);
    const firefox = JSON.parse(readFileSync(join(out, 'firefox', 'manifest.json'), 'utf8'));
    assert.deepEqual(firefox, firefoxManifest(source));
    assert.throws(
      () => execFileSync(process.execPath, [script], { encoding: 'utf8', stdio: 'pipe' }),
      (error) => error.status === 2 && /usage/.test(error.stderr),
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
