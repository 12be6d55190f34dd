/**
 * Starts a real host for the end-to-end tests:
 *
 *   $LEADSCORE_BIN serve --dev --addr 127.0.0.1:<free port> --store <fresh temp dir>
 *     --models $LEADSCORE_MODELS --web dist --seed-leads ../models/sample-leads.jsonl
 *
 * waits for /healthz and for every seeded lead to be scored, gives the
 * learning loop something to measure (a few leads for the control group, an
 * outcome and a first touch for every lead), and returns the teardown that
 * stops it. LEADSCORE_BIN defaults to ../target/release/leadscore,
 * LEADSCORE_MODELS to ../target/models (relative to web/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import type { Lead, LeadRow, OutcomeReport, ScoreRequest, TouchReport, WorkQueue } from '../src/lib/types';
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

/**
 * Extra leads for the control group. The host decides a lead's group from a
 * hash of tenant and lead id (10 % by default); none of the 12 seeded leads
 * falls in it for the dev tenant, so the setup adds these three, whose ids
 * the hash puts in the group at the default share. The tests never rely on
 * that: they read each lead's `control_group` from the API.
 */
export const HOLDOUT_LEAD_IDS = ['lead-e2e-holdout-5', 'lead-e2e-holdout-17', 'lead-e2e-holdout-26'];

/** Scored, or scored into the control group (whose score the API hides). */
const settled = (l: LeadRow) => typeof l.score === 'number' || l.control_group;

async function listLeads(url: string): Promise<WorkQueue> {
  const r = await fetch(`${url}leads?limit=200`);
  if (!r.ok) throw new Error(`GET /leads → ${r.status}`);
  return (await r.json()) as WorkQueue;
}

async function post(url: string, path: string, body: ScoreRequest | OutcomeReport | TouchReport): Promise<Response> {
  return fetch(`${url}${path.replace(/^\//, '')}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Copies of the first seeded leads under the holdout ids, sent for scoring. */
async function addHoldoutLeads(url: string, seedLines: string[]): Promise<void> {
  for (const [i, leadId] of HOLDOUT_LEAD_IDS.entries()) {
    const seed = JSON.parse(seedLines[i % seedLines.length]) as Lead;
    const context: Lead = { ...seed, id: leadId, fields: { ...seed.fields, name: `Holdout Example ${i + 1}` } };
    const r = await post(url, '/leads/score', { lead_id: leadId, context });
    if (!r.ok) throw new Error(`POST /leads/score for ${leadId} → ${r.status}: ${await r.text()}`);
  }
}

/**
 * Deterministic outcomes and first touches: among scored leads the hottest
 * half won and the rest lost; in the control group the first (newest) won
 * and the rest lost. Outcomes are dated an hour ago; the n-th lead is first
 * touched n hours after it arrived (its `as_of`). The lift page then has
 * numbers in both groups.
 */
async function reportOutcomes(url: string, arrivals: Map<string, string>): Promise<{ won: number; lost: number }> {
  const { leads } = await listLeads(url);
  const at = new Date(Date.now() - 3_600_000).toISOString();
  const treated = leads.filter((l) => l.control_group !== true); // hottest first, as the API sorts
  const control = leads.filter((l) => l.control_group === true);
  const outcomes = new Map<string, 'won' | 'lost'>();
  treated.forEach((l, i) => outcomes.set(l.lead_id, i < Math.ceil(treated.length / 2) ? 'won' : 'lost'));
  control.forEach((l, i) => outcomes.set(l.lead_id, i === 0 ? 'won' : 'lost'));
  let n = 0;
  for (const [leadId, outcome] of outcomes) {
    const id = encodeURIComponent(leadId);
    const r = await post(url, `/leads/${id}/outcome`, { outcome, at });
    if (!r.ok) throw new Error(`POST /leads/${leadId}/outcome → ${r.status}: ${await r.text()}`);
    const arrived = arrivals.get(leadId);
    if (!arrived) throw new Error(`no as_of for ${leadId}`);
    const touched = new Date(Date.parse(arrived) + ++n * 3_600_000).toISOString();
    const t = await post(url, `/leads/${id}/touch`, { at: touched });
    if (!t.ok) throw new Error(`POST /leads/${leadId}/touch → ${t.status}: ${await t.text()}`);
  }
  const won = [...outcomes.values()].filter((o) => o === 'won').length;
  return { won, lost: outcomes.size - won };
}

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
  const seedLines = readFileSync(seeds, 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  const seeded = seedLines.length;
  const total = seeded + HOLDOUT_LEAD_IDS.length;

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
      const body = await listLeads(url);
      return body.total === seeded && body.leads.every(settled);
    });
    await addHoldoutLeads(url, seedLines);
    await wait(`the ${HOLDOUT_LEAD_IDS.length} holdout leads to be scored`, 60_000, async () => {
      const body = await listLeads(url);
      return body.total === total && body.leads.every(settled);
    });
    const arrivals = new Map<string, string>();
    for (const line of seedLines) {
      const lead = JSON.parse(line) as Lead;
      arrivals.set(lead.id, lead.as_of);
    }
    HOLDOUT_LEAD_IDS.forEach((id, i) => arrivals.set(id, (JSON.parse(seedLines[i % seedLines.length]) as Lead).as_of));
    const reported = await reportOutcomes(url, arrivals);
    const control = (await listLeads(url)).leads.filter((l) => l.control_group === true).length;
    console.log(
      `[e2e] host ready at ${url} in ${((Date.now() - started) / 1000).toFixed(1)} s (store ${store}): ` +
        `${total} leads, ${control} in the control group; outcomes ${reported.won} won, ${reported.lost} lost`,
    );
  } catch (e) {
    await stop();
    throw e;
  }

  const info: HostInfo = { url, store, db: join(store, 'leadscore.db'), log, seeded, leads: total, holdout: HOLDOUT_LEAD_IDS };
  writeFileSync(HOST_INFO_FILE, JSON.stringify(info, null, 2));
  process.env.LEADSCORE_E2E_URL = url;
  return stop;
}
