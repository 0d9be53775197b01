// A/B of two builds of the wasm package in ONE Node process: the hot paths of each, alternated
// (a, b, a, b, ... with a GC between runs when --expose-gc is given), medians and their ratio.
// For checking that a size change does not slow the hot paths (docs/PERFORMANCE.md): load from
// other processes hits both builds alike. Not a test: it asserts nothing.
// Usage: node --expose-gc bench/wasm-ab.mjs DIR_A DIR_B
//   where each DIR holds a `cargo xtask dist` output package (tessera_wasm.js + _bg.wasm),
//   e.g. a copy of dist/pkg before the change and dist/pkg after it.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const [dirA, dirB] = process.argv.slice(2);
if (!dirA || !dirB) {
  console.error('usage: node --expose-gc bench/wasm-ab.mjs DIR_A DIR_B');
  process.exit(1);
}
async function load(dir) {
  const m = await import(pathToFileURL(path.resolve(dir, 'tessera_wasm.js')).href);
  m.initSync({ module: fs.readFileSync(path.resolve(dir, 'tessera_wasm_bg.wasm')) });
  return m;
}
const A = await load(dirA);
const B = await load(dirB);

// Deterministic inputs (xorshift32): 10,000 TOTP entries with 20-byte seeds, as wasm-bench.mjs.
let state = 0x2545f491;
function random32() {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return state >>> 0;
}
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const uris = Array.from({ length: 10_000 }, (_, i) => {
  let s = '';
  for (let j = 0; j < 32; j++) s += B32[random32() & 31];
  return `otpauth://totp/Service%20${i}:user${i}@example.com?secret=${s}&issuer=Service%20${i}`;
});
function setup(t) {
  const vault = t.Vault.create('bench');
  vault.importText(uris.join('\n'));
  const keyring = t.Keyring.generate();
  return { t, vault, keyring, sealed: vault.seal([keyring.publicKeys()]) };
}
const a = setup(A);
const b = setup(B);

const collect = globalThis.gc ?? (() => {});
const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const tasks = [
  ['codes', 61, (s) => s.vault.codes(1_700_000_000)],
  ['open', 15, (s) => {
    const v = s.t.Vault.open(s.sealed, s.keyring);
    const n = v.size;
    v.free();
    return n;
  }],
  ['list', 21, (s) => s.vault.list().length],
];
for (const [name, rounds, f] of tasks) {
  const ta = [];
  const tb = [];
  for (let i = 0; i < 2; i++) {
    f(a);
    f(b);
  }
  for (let i = 0; i < rounds; i++) {
    collect();
    let t0 = performance.now();
    f(a);
    ta.push(performance.now() - t0);
    collect();
    t0 = performance.now();
    f(b);
    tb.push(performance.now() - t0);
  }
  const ma = median(ta);
  const mb = median(tb);
  console.log(`${name.padEnd(6)} A ${ma.toFixed(2)} ms  B ${mb.toFixed(2)} ms  B/A ${(mb / ma).toFixed(3)}`);
}
