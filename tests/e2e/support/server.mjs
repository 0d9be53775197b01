// A real `tessera-server` for the browser end-to-end tests: the already-built binary, on a free
// loopback port, with a fresh temp data dir (SQLite) and the web console from dist/www. The tests
// never build it: scripts/test.sh runs `cargo build -p tessera-server` before the e2e step. A test
// can take the server offline (`halt()`) and bring it back on the same port and data dir
// (`restart()`): the same origin and organisation, as after a real outage.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The server binary: $TESSERA_SERVER_BIN, else the newer of target/debug/tessera-server and
 * target/release/tessera-server; null when none is built.
 */
export function serverBinary() {
  if (process.env.TESSERA_SERVER_BIN) return process.env.TESSERA_SERVER_BIN;
  const built = ['debug', 'release']
    .map((profile) => join(ROOT, 'target', profile, 'tessera-server'))
    .filter((p) => existsSync(p))
    .map((p) => ({ p, mtime: statSync(p).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  return built.length ? built[0].p : null;
}

async function freePort() {
  const srv = createServer();
  await new Promise((ok, fail) => {
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', ok);
  });
  const { port } = srv.address();
  await new Promise((ok) => srv.close(ok));
  return port;
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Starts a server and waits until GET /api/v1/health answers.
 * @param {{wwwDir?: string|null, extraArgs?: string[]}} options wwwDir relative to the repository
 *   root (or absolute); null serves the API only.
 * @returns {Promise<{origin: string, port: number, dataDir: string, setupToken: () => string,
 *   log: () => string, halt: () => Promise<void>, restart: () => Promise<void>,
 *   stop: () => Promise<void>}>}
 */
export async function startServer({ wwwDir = 'dist/www', extraArgs = [] } = {}) {
  const bin = serverBinary();
  if (!bin) throw new Error('no tessera-server binary: run `cargo build -p tessera-server`');
  const args = [];
  if (wwwDir != null) {
    const dir = resolve(ROOT, wwwDir);
    if (!existsSync(join(dir, 'index.html'))) {
      throw new Error(`${dir}/index.html is missing: run \`cargo xtask dist\``);
    }
    args.push('--www-dir', dir);
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-e2e-server-'));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  // The developer's own TESSERA_* settings (a database URL, above all) must not leak in.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TESSERA_')),
  );
  let output = '';
  /** The running process: {child, exited(): state|null, gone: Promise}, or null once halted. */
  let running = null;

  function spawnServer() {
    const child = spawn(
      bin,
      [
        '--listen', `127.0.0.1:${port}`,
        '--data-dir', dataDir,
        '--log-level', 'info',
        ...args,
        ...extraArgs,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => { output += chunk; });
    }
    let exited = null;
    const gone = new Promise((ok) => {
      child.on('exit', (code, signal) => {
        exited = { code, signal };
        ok();
      });
      child.on('error', (error) => {
        exited = { error };
        ok();
      });
    });
    return { child, exited: () => exited, gone };
  }

  /** SIGTERM to the running process (SIGKILL after 10 s); its data dir stays. */
  const halt = async () => {
    const proc = running;
    running = null;
    if (!proc || proc.exited()) return;
    proc.child.kill('SIGTERM');
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
    await proc.gone;
    clearTimeout(timer);
  };

  const stop = async () => {
    await halt();
    await rm(dataDir, { recursive: true, force: true });
  };

  /** Spawns the server on `port` and `dataDir` and waits for its health answer. */
  const launch = async (what) => {
    const proc = spawnServer();
    running = proc;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exited()) {
        running = null;
        throw new Error(`tessera-server exited (${JSON.stringify(proc.exited())}) before it was ready (${what}):\n${output}`);
      }
      try {
        const res = await fetch(`${origin}/api/v1/health`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await halt();
        throw new Error(`tessera-server not ready after 30 s (${what}):\n${output}`);
      }
      await sleep(50);
    }
  };

  try {
    await launch('first start');
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }

  return {
    origin,
    port,
    dataDir,
    /** The one-time setup token the server wrote at first start (until the owner registers). */
    setupToken: () => readFileSync(join(dataDir, 'setup-token'), 'utf8').trim(),
    /** Everything the server logged so far, over every start (tracing goes to stderr). */
    log: () => output,
    /** Stops the process (the server is offline), keeping its data dir for `restart()`. */
    halt,
    /**
     * Starts the server again on the same port and data dir (halting it first if it runs), and
     * waits until it answers: the same origin and organisation as before.
     */
    restart: async () => {
      await halt();
      await launch('restart');
    },
    /** SIGTERM (SIGKILL after 10 s), then the data dir is removed. */
    stop,
  };
}
