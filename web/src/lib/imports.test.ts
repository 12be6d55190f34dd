import { afterEach, describe, expect, it, vi } from 'vitest';

import { apiError, mockFetch } from '../test/fetchMock';
import {
  anyActive,
  errorsNote,
  errorText,
  etaText,
  formatLabel,
  getJob,
  importProblem,
  isActive,
  listJobs,
  progressFraction,
  progressLabel,
  rateText,
  startImport,
  stateLabel,
  withJob,
} from './imports';
import type { ImportJob } from './types';

afterEach(() => vi.unstubAllGlobals());

const job = (over: Partial<ImportJob>): ImportJob => ({
  job_id: 'job_0123456789abcdef0123456789abcdef',
  kind: 'import',
  format: 'lead',
  state: 'running',
  total: 100_000,
  done: 12_340,
  failed: 3,
  pending: 87_657,
  rate_per_second: 1_234.5,
  eta_seconds: 71,
  created_at: '2026-11-30T12:00:00Z',
  finished_at: null,
  errors: [],
  ...over,
});

describe('progressFraction', () => {
  it('is the share of the lines scored or failed', () => {
    expect(progressFraction(job({}))).toBeCloseTo(0.12343, 10);
    expect(progressFraction(job({ total: 31, done: 30, failed: 1, pending: 0, state: 'done' }))).toBe(1);
    expect(progressFraction(job({ total: 4, done: 1, failed: 0 }))).toBe(0.25);
    expect(progressFraction(job({ total: 4, done: 0, failed: 2 }))).toBe(0.5);
  });

  it('is 0 before any line is received', () => {
    expect(progressFraction(job({ total: 0, done: 0, failed: 0, pending: 0, state: 'receiving' }))).toBe(0);
  });

  it('stays within 0–1 whatever the counts say', () => {
    expect(progressFraction(job({ total: 10, done: 11, failed: 1 }))).toBe(1);
    expect(progressFraction(job({ total: 10, done: -5, failed: 0 }))).toBe(0);
  });

  it('holds with huge numbers', () => {
    expect(progressFraction(job({ total: 9_000_000_000, done: 4_500_000_000, failed: 0 }))).toBe(0.5);
    expect(progressFraction(job({ total: Number.MAX_SAFE_INTEGER, done: Number.MAX_SAFE_INTEGER, failed: 0 }))).toBe(1);
  });
});

describe('progressLabel', () => {
  it('counts what was scored of what was received, then the failures', () => {
    expect(progressLabel(job({}))).toBe('12,340 of 100,000 scored · 3 failed');
    expect(progressLabel(job({ total: 31, done: 30, failed: 1, state: 'done' }))).toBe('30 of 31 scored · 1 failed');
  });

  it('says nothing of failures when there are none', () => {
    expect(progressLabel(job({ total: 31, done: 31, failed: 0, state: 'done' }))).toBe('31 of 31 scored');
    expect(progressLabel(job({ total: 0, done: 0, failed: 0 }))).toBe('0 of 0 scored');
  });

  it('groups the digits of huge numbers', () => {
    expect(progressLabel(job({ total: 2_500_000_000, done: 1_234_567_890, failed: 1_000_000 }))).toBe(
      '1,234,567,890 of 2,500,000,000 scored · 1,000,000 failed',
    );
  });
});

describe('etaText', () => {
  it('is nothing without an estimate (no rate yet, or done)', () => {
    expect(etaText(null)).toBeNull();
    expect(etaText(undefined)).toBeNull();
    expect(etaText(Number.NaN)).toBeNull();
    expect(etaText(Number.POSITIVE_INFINITY)).toBeNull();
    expect(etaText(-3)).toBeNull();
  });

  it('under a minute: less than a minute', () => {
    expect(etaText(0)).toBe('less than a minute left');
    expect(etaText(12.5)).toBe('less than a minute left');
    expect(etaText(59.4)).toBe('less than a minute left');
  });

  it('in whole minutes under an hour', () => {
    expect(etaText(60)).toBe('about 1 min left');
    expect(etaText(89)).toBe('about 1 min left');
    expect(etaText(90)).toBe('about 2 min left');
    expect(etaText(119)).toBe('about 2 min left');
    expect(etaText(45 * 60 + 10)).toBe('about 45 min left');
  });

  it('in hours and minutes, then in hours', () => {
    expect(etaText(3_599)).toBe('about 1 h left'); // 59.98 min round to the hour
    expect(etaText(3_600)).toBe('about 1 h left');
    expect(etaText(80 * 60)).toBe('about 1 h 20 min left');
    expect(etaText(9 * 3_600 + 59 * 60)).toBe('about 9 h 59 min left');
    expect(etaText(10 * 3_600 + 40 * 60)).toBe('about 11 h left');
    expect(etaText(1_000_000)).toBe('about 278 h left');
    expect(etaText(1e9)).toBe('about 277,778 h left');
  });
});

describe('rateText', () => {
  it('is nothing without a rate', () => {
    expect(rateText(null)).toBeNull();
    expect(rateText(undefined)).toBeNull();
    expect(rateText(0)).toBeNull();
    expect(rateText(-1)).toBeNull();
    expect(rateText(Number.NaN)).toBeNull();
  });

  it('per second, whole from 10, else to a tenth', () => {
    expect(rateText(1_234.5)).toBe('1,235 leads/s');
    expect(rateText(12_000_000)).toBe('12,000,000 leads/s');
    expect(rateText(10)).toBe('10 leads/s');
    expect(rateText(9.96)).toBe('10 leads/s');
    expect(rateText(2.54)).toBe('2.5 leads/s');
    expect(rateText(1)).toBe('1 lead/s');
  });

  it('per minute under one a second', () => {
    expect(rateText(0.5)).toBe('30 leads/min');
    expect(rateText(0.99)).toBe('59 leads/min');
    expect(rateText(1 / 60)).toBe('1 lead/min');
    expect(rateText(0.001)).toBe('less than 1 lead/min');
  });
});

describe('a job in words', () => {
  it('names the states and formats, the host’s word for one it does not know', () => {
    expect(['receiving', 'running', 'done', 'cancelled'].map(stateLabel)).toEqual(['Receiving', 'Scoring', 'Done', 'cancelled']);
    expect(['lead', 'crm', 'csv'].map(formatLabel)).toEqual(['Lead JSON', 'CRM objects', 'csv']);
  });

  it('says which line failed, for which lead, and why', () => {
    expect(errorText({ line: 3, lead_id: 'lead-42', message: 'fields.employees: expected a number, got "many"' })).toBe(
      'Line 3 (lead-42): fields.employees: expected a number, got "many"',
    );
    expect(errorText({ line: 17, lead_id: null, message: 'not JSON: expected value at line 1 column 1' })).toBe(
      'Line 17: not JSON: expected value at line 1 column 1',
    );
  });

  it('says when only the first errors are listed', () => {
    const errors = Array.from({ length: 100 }, (_, i) => ({ line: i + 1, lead_id: null, message: 'x' }));
    expect(errorsNote(job({ failed: 1_234, errors }))).toBe('The first 100 of 1,234 failures.');
    expect(errorsNote(job({ failed: 100, errors }))).toBeNull();
    expect(errorsNote(job({ failed: 0, errors: [] }))).toBeNull();
  });

  it('is active while receiving or scoring', () => {
    expect(isActive(job({ state: 'receiving' }))).toBe(true);
    expect(isActive(job({ state: 'running' }))).toBe(true);
    expect(isActive(job({ state: 'done' }))).toBe(false);
    expect(anyActive([job({ state: 'done' }), job({ state: 'running' })])).toBe(true);
    expect(anyActive([job({ state: 'done' })])).toBe(false);
    expect(anyActive([])).toBe(false);
  });
});

describe('withJob', () => {
  it('puts a new job first and replaces one listed', () => {
    const a = job({ job_id: 'job_a', state: 'done' });
    const b = job({ job_id: 'job_b', done: 1 });
    expect(withJob([a], b).map((j) => j.job_id)).toEqual(['job_b', 'job_a']);
    const list = withJob([b, a], { ...b, done: 2 });
    expect(list.map((j) => [j.job_id, j.done])).toEqual([
      ['job_b', 2],
      ['job_a', 12_340],
    ]);
  });
});

describe('importProblem', () => {
  it('asks for a file, and refuses an empty one', () => {
    expect(importProblem(null)).toBe('Choose the file to import: one lead a line (.ndjson or .jsonl).');
    expect(importProblem(new File([], 'leads.ndjson'))).toBe('leads.ndjson is empty: there is nothing to import.');
    expect(importProblem(new File(['{"id":"a","fields":{}}\n'], 'leads.ndjson'))).toBeNull();
  });
});

describe('the calls', () => {
  it('sends the file itself as NDJSON, with the format', async () => {
    const started = job({ state: 'running', total: 2, done: 0, failed: 0, pending: 2 });
    const calls = mockFetch({ 'POST /leads/import': { status: 202, body: started } });
    const file = new File(['{"id":"a","fields":{}}\n{"id":"b","fields":{}}\n'], 'leads.jsonl');
    expect(await startImport(file, 'crm')).toEqual(started);
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /leads/import?format=crm']);
    expect(calls[0].body).toBe(file); // not read into a string first: the browser streams it
    expect(calls[0].headers.get('Content-Type')).toBe('application/x-ndjson');
  });

  it('rejects with the host’s message', async () => {
    mockFetch({ 'POST /leads/import': apiError(413, 'too_many_lines', 'more than 1000000 lines') });
    await expect(startImport(new Blob(['{}\n']), 'lead')).rejects.toMatchObject({ status: 413, message: 'more than 1000000 lines' });
  });

  it('reads the jobs and one job', async () => {
    const one = job({});
    const calls = mockFetch({ 'GET /jobs': { body: { jobs: [one] } }, [`GET /jobs/${one.job_id}`]: { body: one } });
    expect(await listJobs()).toEqual({ jobs: [one] });
    expect(await getJob(one.job_id)).toEqual(one);
    await expect(getJob('job_unknown')).rejects.toMatchObject({ status: 404 });
    expect(calls.map((c) => c.path)).toEqual(['/jobs', `/jobs/${one.job_id}`, '/jobs/job_unknown']);
  });
});
