import fs from 'node:fs';
const t = await import('../dist/pkg/tessera_wasm.js');
t.initSync({ module: fs.readFileSync(new URL('../dist/pkg/tessera_wasm_bg.wasm', import.meta.url)) });
const v = t.Vault.create('x');
const lines = []; for (let i = 0; i < 10000; i++) { const b = new Uint8Array(20); crypto.getRandomValues(b); lines.push(`otpauth://totp/a${i}?secret=${Buffer.from(b).toString('hex').slice(0,32).toUpperCase().replace(/[0189]/g,'A')}`); }
v.importText(lines.join('\n'));
for (let r = 0; r < 5; r++) {
  let t0 = performance.now(); v.codes(1700000000); const a = performance.now() - t0;
  t0 = performance.now(); v.ids(); const b = performance.now() - t0;
  t0 = performance.now(); v.list(); const c = performance.now() - t0;
  console.log(`codes ${a.toFixed(1)} ids ${b.toFixed(1)} list ${c.toFixed(1)}`);
}
