// Where the e2e tests find their browsers and the built extension, and whether they can run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** dist/<target>/ (from `cargo xtask dist`), with a trailing slash. */
export function distDir(target) {
  return fileURLToPath(new URL(`../../../dist/${target}/`, import.meta.url));
}

/**
 * The reason a suite cannot run (for `describe(..., { skip })`), or false. scripts/test.sh (and
 * so CI) sets TESSERA_E2E_REQUIRED: there a missing browser or build is a failure, never a silent
 * skip.
 */
export function skipReason(browserName, executable, target) {
  const skip = !existsSync(executable)
    ? `no ${browserName} at ${executable}`
    : !existsSync(join(distDir(target), 'manifest.json'))
      ? `dist/${target} is missing: run \`cargo xtask dist\``
      : false;
  if (skip && process.env.TESSERA_E2E_REQUIRED) throw new Error(`browser tests cannot run: ${skip}`);
  return skip;
}
