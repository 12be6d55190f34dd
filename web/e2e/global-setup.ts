/**
 * Starts a real host for the end-to-end tests:
 *
 *   $LEADSCORE_BIN serve --dev --addr 127.0.0.1:<free port> --store <fresh temp dir>
 *     --models $LEADSCORE_MODELS --web dist --seed-leads ../models/sample-leads.jsonl
 *
 * waits for /healthz and for every seeded lead to be scored, and returns the
 * teardown that stops it. LEADSCORE_BIN defaults to ../target/release/leadscore,
 * LEADSCORE_MODELS to ../target/models (relative to web/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import { HOST_INFO_FILE, type HostInfo } from './host';

const WEB = resolve(import.meta.dirname, '..');
const REPO = resolve(WEB, '..');

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const bin = resolve(WEB, process.env.LEADSCORE_BIN ?? '../target/release/leadscore');
  const models = resolve(WEB, process.env.LEADSCORE_MODELS ?? '../target/models');
  const seeds = resolve(REPO, 'models/sample-leads.jsonl');
  const dist = join(WEB, 'dist');

  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(`No leadscore binary at ${bin}: build it (make build) or set LEADSCORE_BIN`);
  }
  if (!existsSync(models) || !readdirSync(models).some((f) => f.endsWith('.manifest.json'))) {
    throw new Error(`No built model components in ${models}: run make build or set LEADSCORE_MODELS`);
  }
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(`No built UI in ${dist}: run \`npm run build\` before \`npm run e2e\``);
  }
  if (newestMtime(join(WEB, 'src')) > statSync(join(dist, 'index.html')).mtimeMs) {
    console.warn('[e2e] warning: web/src changed after the last build; the tests run the old dist/ (npm run build)');
  }
  const seeded = readFileSync(seeds, 'utf8')
    .split('\n')
    .filter((l) => l.trim()).length;

  const store = mkdtempSync(join(tmpdir(), 'leadscore-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const log = join(WEB, 'test-results', 'leadscore-host.log');
  mkdirSync(dirname(log), { recursive: true });
  const logFd = openSync(log, 'w');

  // The embedded backends (in-process queue, SQLite in the store) whatever
  // this shell has configured: the tests read and corrupt that SQLite file.
  const env: NodeJS.ProcessEnv = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' };
  for (const key of Object.keys(env)) {
    if (key.startsWith('LEADSCORE_') || key === 'DATABASE_URL' || key === 'REDIS_URL') delete env[key];
  }
  const args = ['serve', '--dev', '--addr', `127.0.0.1:${port}`, '--store', store, '--models', models, '--web', dist, '--seed-leads', seeds];
  console.log(`[e2e] starting ${bin} ${args.join(' ')}`);
  const child: ChildProcess = spawn(bin, args, { cwd: REPO, env, stdio: ['ignore', logFd, logFd] });
  let exited: string | null = null;
  child.on('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      for (let i = 0; i < 50 && child.exitCode === null && child.signalCode === null; i++) await sleep(100);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    if (!process.env.LEADSCORE_E2E_KEEP_STORE) rmSync(store, { recursive: true, force: true });
    console.log(`[e2e] host stopped; screenshots in ${join(WEB, 'screenshots')}`);
  };

  try {
    const started = Date.now();
    const wait = async (what: string, limitMs: number, ready: () => Promise<boolean>) => {
      for (;;) {
        if (exited) throw new Error(`the host ${exited} while waiting for ${what}:\n${tail(log)}`);
        if (await ready().catch(() => false)) return;
        if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}:\n${tail(log)}`);
        await sleep(200);
      }
    };
    await wait('/healthz', 120_000, async () => (await fetch(`${url}healthz`)).ok);
    await wait(`the ${seeded} seeded leads to be scored`, 150_000, async () => {
      const r = await fetch(`${url}leads?limit=200`);
      if (!r.ok) return false;
      const body = (await r.json()) as { total: number; leads: { score: number | null }[] };
      return body.total === seeded && body.leads.every((l) => l.score !== null);
    });
    console.log(`[e2e] host ready at ${url} in ${((Date.now() - started) / 1000).toFixed(1)} s (store ${store})`);
  } catch (e) {
    await stop();
    throw e;
  }

  const info: HostInfo = { url, store, db: join(store, 'leadscore.db'), log, seeded };
  writeFileSync(HOST_INFO_FILE, JSON.stringify(info, null, 2));
  process.env.LEADSCORE_E2E_URL = url;
  return stop;
}
