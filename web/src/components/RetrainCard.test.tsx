// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { formatDateTime } from '../lib/time';
import type { RetrainHistory, RetrainJob, RetrainJobs, RetrainStep } from '../lib/types';
import { AdminPage } from '../pages/AdminPage';
import { apiError, mockFetch, type FetchCall } from '../test/fetchMock';
import { ONE_MODEL } from '../test/models';
import { DEFAULT_POLICY } from '../test/retrain';
import { RetrainCard } from './RetrainCard';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

const COLD: RetrainJobs = {
  jobs: [],
  labelled: { leads: 312, wins: 41 },
  shortfall: '312 of 1,000 leads, 41 of 120 wins (labelled leads in the last 24 months)',
};
const GATE = {
  auc: 0.80712,
  active_auc: 0.62688,
  held_out_leads: 1_234,
  held_out_wins: 56,
  labelled_leads: 8_000,
  labelled_wins: 378,
  psi_alarms: [],
  failures: [],
};
const SHADOWING: RetrainJob = {
  job_id: '6f1c2a9e-0000-4000-8000-000000000003',
  state: 'shadowing',
  reason: 'schedule',
  candidate_version: 'acme-v3',
  active_version: 'v12',
  metrics: GATE,
  message: 'passed the gate: shadowing beside v12',
  log: '[0] validation-auc:0.79\n[42] validation-auc:0.81',
  attempts: 1,
  created_at: ago(90),
  started_at: ago(89),
  shadow_from: ago(80),
  finished_at: null,
};
const GATED_OUT: RetrainJob = {
  ...SHADOWING,
  job_id: '6f1c2a9e-0000-4000-8000-000000000002',
  state: 'gated_out',
  reason: 'manual',
  candidate_version: 'acme-v2',
  metrics: {
    ...GATE,
    auc: 0.55,
    failures: ['ROC-AUC 0.550 is 0.077 below v12’s 0.627 (at most 0.02)', 'calibration: 112 predicted wins against 56'],
    psi_alarms: [['employees', 0.4321]],
  },
  message: 'gated out: ROC-AUC 0.550 is 0.077 below v12’s 0.627 (at most 0.02)',
  attempts: 2,
  shadow_from: null,
  finished_at: ago(3 * 60 * 24),
};
const FAILED: RetrainJob = {
  ...GATED_OUT,
  job_id: '6f1c2a9e-0000-4000-8000-000000000001',
  state: 'failed',
  candidate_version: 'acme-v1',
  metrics: {},
  message: 'the trainer failed: exit status 1',
  log: 'Traceback (most recent call last):\nValueError: only one class',
  attempts: 1,
};
const READY = (jobs: RetrainJob[]): RetrainJobs => ({ jobs, labelled: { leads: 8_000, wins: 378 }, shortfall: null });
const HISTORY = (steps: RetrainStep[]): RetrainHistory => ({ steps });
const step = (job: RetrainJob, name: string, minutes: number, message: string, figures: Record<string, unknown> = {}): RetrainStep => ({
  job_id: job.job_id,
  at: ago(minutes),
  step: name,
  message,
  figures,
});

const item = (job: RetrainJob) => document.querySelector(`[data-testid="retrain-job"][data-job="${job.job_id}"]`) as HTMLElement;
const listed = (job: RetrainJob) =>
  waitFor(() => {
    const el = item(job);
    if (!el) throw new Error(`${job.job_id} is not listed`);
    return el;
  });
const reads = (calls: FetchCall[]) => calls.filter((c) => c.method === 'GET' && c.path === '/learning/retrain/jobs').length;
const historyReads = (calls: FetchCall[]) => calls.filter((c) => c.method === 'GET' && c.path === '/learning/retrain/history').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RetrainCard', () => {
  it('says a tenant without enough labelled leads stays on the global model, and how far it is', async () => {
    mockFetch({ 'GET /learning/retrain': { body: DEFAULT_POLICY }, 'GET /learning/retrain/jobs': { body: COLD } });
    render(<RetrainCard />);
    const line = await screen.findByTestId('retrain-readiness');
    await waitFor(() => expect(line.textContent).toBe('Staying on the global model: 312 of 1,000 leads, 41 of 120 wins'));
    expect(line.getAttribute('data-ready')).toBe('false');
    expect(screen.getByText('Labelled leads: scored, with an outcome, that qualified in the last 24 months.')).toBeTruthy();
    expect(screen.getByTestId('retrain-jobs-empty').textContent).toBe('No retrain job yet.');
    expect(screen.getByRole('heading', { name: /^Retraining/ })).toBeTruthy();
  });

  it('counts the shortfall against the policy as saved, with thousands separators', async () => {
    const policy = { ...DEFAULT_POLICY, min_leads: 25_000, min_wins: 1_500 };
    mockFetch({
      'GET /learning/retrain': { body: policy },
      'GET /learning/retrain/jobs': { body: { ...COLD, labelled: { leads: 12_345, wins: 1_001 } } },
    });
    render(<RetrainCard />);
    await waitFor(() =>
      expect(screen.getByTestId('retrain-readiness').textContent).toBe(
        'Staying on the global model: 12,345 of 25,000 leads, 1,001 of 1,500 wins',
      ),
    );
  });

  it('says when there is enough data to retrain', async () => {
    mockFetch({ 'GET /learning/retrain': { body: DEFAULT_POLICY }, 'GET /learning/retrain/jobs': { body: READY([]) } });
    render(<RetrainCard />);
    const line = await screen.findByTestId('retrain-readiness');
    expect(line.textContent).toBe('Enough data to retrain: 8,000 labelled leads, 378 wins');
    expect(line.getAttribute('data-ready')).toBe('true');
  });

  it('shows a shadowing job: versions, held-out ROC-AUC of each, message, when, its log, and Promote / Retire', async () => {
    mockFetch({ 'GET /learning/retrain': { body: DEFAULT_POLICY }, 'GET /learning/retrain/jobs': { body: READY([SHADOWING]) } });
    render(<RetrainCard pollMs={60_000} />);
    const job = await listed(SHADOWING);
    expect(within(job).getByTestId('retrain-state').textContent).toBe('Shadowing');
    expect(within(job).getByTestId('retrain-versions').textContent).toBe('acme-v3 against v12');
    expect(within(job).getByTestId('retrain-auc').textContent).toBe(
      'Held-out ROC-AUC: 0.807 vs 0.627 (v12) on 1,234 held-out leads, 56 won, from 8,000 labelled leads, 378 won',
    );
    expect(within(job).getByTestId('retrain-message').textContent).toBe('passed the gate: shadowing beside v12');
    expect(within(job).getByTestId('retrain-timing').textContent).toBe(
      'Scheduled · queued 1 h ago · started 1 h ago · in shadow since 1 h ago',
    );
    expect(within(job).queryByTestId('retrain-attempts')).toBeNull();
    expect(within(job).queryByTestId('retrain-failures')).toBeNull();
    const log = within(job).getByTestId('retrain-log') as HTMLDetailsElement;
    expect(log.tagName).toBe('DETAILS');
    expect(log.open).toBe(false);
    expect(log.querySelector('pre')?.textContent).toBe(SHADOWING.log);
    expect(within(job).getByRole('button', { name: 'Promote acme-v3' })).toBeTruthy();
    expect(within(job).getByRole('button', { name: 'Retire acme-v3' })).toBeTruthy();
  });

  it('promotes a shadowing candidate after a confirmation, posting to its job', async () => {
    const promoted: RetrainJob = { ...SHADOWING, state: 'promoted', message: 'promoted by hand (an admin of acme)', finished_at: ago(0) };
    const calls = mockFetch({
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': [{ body: READY([SHADOWING]) }, { body: READY([promoted]) }],
      [`POST /learning/retrain/jobs/${SHADOWING.job_id}/promote`]: { body: promoted },
    });
    const onRoutingChanged = vi.fn();
    render(<RetrainCard pollMs={60_000} onRoutingChanged={onRoutingChanged} />);
    const job = await listed(SHADOWING);
    fireEvent.click(within(job).getByRole('button', { name: 'Promote acme-v3' }));
    const confirm = within(job).getByTestId('retrain-promote-confirm');
    expect(confirm.textContent).toContain('v12 goes first in the fallback chain');
    expect(document.activeElement).toBe(within(confirm).getByRole('button', { name: 'Yes, promote acme-v3' }));
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    fireEvent.click(within(confirm).getByRole('button', { name: 'Yes, promote acme-v3' }));

    expect((await screen.findByTestId('retrain-notice')).textContent).toBe('acme-v3 is now this tenant’s active version for new scores.');
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual([
      '/learning/retrain/jobs/6f1c2a9e-0000-4000-8000-000000000003/promote',
    ]);
    await waitFor(() => expect(within(item(SHADOWING)).getByTestId('retrain-state').textContent).toBe('Promoted'));
    expect(within(item(SHADOWING)).queryByRole('button', { name: /Promote/ })).toBeNull();
    expect(onRoutingChanged).toHaveBeenCalledTimes(1);
  });

  it('retires a shadowing candidate', async () => {
    const retired: RetrainJob = { ...SHADOWING, state: 'retired', message: 'retired by hand (an admin of acme)' };
    const calls = mockFetch({
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': [{ body: READY([SHADOWING]) }, { body: READY([retired]) }],
      [`POST /learning/retrain/jobs/${SHADOWING.job_id}/retire`]: { body: retired },
    });
    render(<RetrainCard pollMs={60_000} />);
    fireEvent.click(within(await listed(SHADOWING)).getByRole('button', { name: 'Retire acme-v3' }));
    expect((await screen.findByTestId('retrain-notice')).textContent).toContain('acme-v3 is retired');
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual([`/learning/retrain/jobs/${SHADOWING.job_id}/retire`]);
    expect(within(item(SHADOWING)).getByTestId('retrain-state').textContent).toBe('Retired');
  });

  it('shows a 409 not_shadowing on the job, reads the jobs again, and keeps the message in view', async () => {
    const message = `job ${SHADOWING.job_id} is promoted: only a shadowing candidate can be promoted or retired`;
    const calls = mockFetch({
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': [{ body: READY([SHADOWING]) }, { body: READY([{ ...SHADOWING, state: 'promoted' }]) }],
      [`POST /learning/retrain/jobs/${SHADOWING.job_id}/retire`]: apiError(409, 'not_shadowing', message),
    });
    const onRoutingChanged = vi.fn();
    render(<RetrainCard pollMs={60_000} onRoutingChanged={onRoutingChanged} />);
    fireEvent.click(within(await listed(SHADOWING)).getByRole('button', { name: 'Retire acme-v3' }));
    await waitFor(() => expect(reads(calls)).toBe(2));
    await waitFor(() => expect(within(item(SHADOWING)).getByTestId('retrain-state').textContent).toBe('Promoted'));
    const error = within(item(SHADOWING)).getByTestId('retrain-decide-error');
    expect(error.textContent).toBe(`${message}. The jobs have been refreshed.`);
    expect(error.getAttribute('role')).toBe('alert');
    expect(within(item(SHADOWING)).queryByRole('button', { name: /Retire/ })).toBeNull();
    expect(onRoutingChanged).not.toHaveBeenCalled();
    expect(screen.queryByTestId('retrain-notice')).toBeNull();
  });

  it('shows any other failure with the host’s message, the confirmation kept for another try', async () => {
    mockFetch({
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': { body: READY([SHADOWING]) },
      [`POST /learning/retrain/jobs/${SHADOWING.job_id}/promote`]: apiError(503, 'unavailable', 'the database stayed unavailable'),
    });
    render(<RetrainCard pollMs={60_000} />);
    const job = await listed(SHADOWING);
    fireEvent.click(within(job).getByTestId('retrain-promote'));
    fireEvent.click(within(job).getByTestId('retrain-promote-confirm-button'));
    expect((await within(job).findByTestId('retrain-decide-error')).textContent).toBe(
      'The promotion failed: the database stayed unavailable',
    );
    expect(within(job).getByTestId('retrain-promote-confirm')).toBeTruthy();
  });

  it('lists a gated-out job’s failures and drift, its attempts, and a failed job with its message and log', async () => {
    mockFetch({
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': { body: READY([GATED_OUT, FAILED]) },
    });
    render(<RetrainCard pollMs={10} />);
    const gated = await listed(GATED_OUT);
    expect(within(gated).getByTestId('retrain-state').textContent).toBe('Gated out');
    expect(within(gated).getByTestId('retrain-auc').textContent).toMatch(/^Held-out ROC-AUC: 0\.550 vs 0\.627 \(v12\) /);
    expect(within(gated).getAllByTestId('retrain-failure').map((f) => f.textContent)).toEqual([
      'ROC-AUC 0.550 is 0.077 below v12’s 0.627 (at most 0.02)',
      'calibration: 112 predicted wins against 56',
    ]);
    expect(within(gated).getByTestId('retrain-psi').textContent).toBe('Drift between training and recent leads: employees (PSI 0.43)');
    expect(within(gated).getByTestId('retrain-attempts').textContent).toBe('2 attempts (a host stopped mid-job)');
    expect(within(gated).getByTestId('retrain-timing').textContent).toMatch(/^Started by hand · queued .* · finished 3 days ago · 2 attempts/);
    expect(within(gated).queryByRole('button', { name: /Promote|Retire/ })).toBeNull();

    const failed = item(FAILED);
    expect(within(failed).getByTestId('retrain-state').textContent).toBe('Failed');
    expect(within(failed).getByTestId('retrain-message').textContent).toBe('the trainer failed: exit status 1');
    expect(within(failed).queryByTestId('retrain-auc')).toBeNull(); // metrics {}: no figures made up
    expect(within(failed).getByTestId('retrain-log').querySelector('pre')?.textContent).toBe(FAILED.log);
  });

  it('shows the shadow verdict’s comparison when the job has one', async () => {
    const retired: RetrainJob = {
      ...SHADOWING,
      state: 'retired',
      metrics: { ...GATE, shadow: { auc_a: 0.8123, auc_b: 0.7614, se_difference: 0.0151, positives: 61, negatives: 243 }, days: 7.25 },
      message: 'retired: AUC 0.761 against v12’s 0.812 on 304 compared outcomes',
      finished_at: ago(1),
    };
    mockFetch({ 'GET /learning/retrain': { body: DEFAULT_POLICY }, 'GET /learning/retrain/jobs': { body: READY([retired]) } });
    render(<RetrainCard />);
    const job = await listed(retired);
    expect(within(job).getByTestId('retrain-shadow').textContent).toBe(
      'In shadow, ROC-AUC: 0.761 vs 0.812 (v12) on 304 compared outcomes (61 won, 243 lost), standard error of the difference 0.015, after 7.3 days in shadow',
    );
  });

  it('lists each job’s steps, oldest first, with the host’s message, behind a collapsible', async () => {
    const promoted: RetrainJob = {
      ...SHADOWING,
      state: 'promoted',
      message: 'promoted: AUC 0.811 against v12’s 0.680 on 2500 compared outcomes (lower bound of the difference +0.111 at 80 %)',
      finished_at: ago(1),
    };
    const shadow = { auc_a: 0.68, auc_b: 0.811, se_difference: 0.0152, positives: 500, negatives: 2000 };
    // Newest first, the jobs' steps interleaved, as the host answers.
    const history = HISTORY([
      step(promoted, 'promoted', 1, promoted.message, { ...GATE, shadow, days: 7 }),
      step(promoted, 'shadowing', 80, 'passed the gate: shadowing beside v12', GATE),
      step(FAILED, 'failed', 85, 'the trainer failed: exit status 1'),
      step(promoted, 'started', 89, 'started (attempt 1)'),
      step(FAILED, 'requeued', 88, 'taken again after a host stopped'),
      step(promoted, 'queued', 90, 'queued by schedule'),
      step(FAILED, 'queued', 4 * 60 * 24, 'queued by hand'),
    ]);
    const calls = mockFetch({
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': { body: READY([promoted, FAILED]) },
      'GET /learning/retrain/history': { body: history },
    });
    render(<RetrainCard pollMs={60_000} />);
    const job = await listed(promoted);
    const steps = await within(job).findByTestId('retrain-steps');
    expect(steps.tagName).toBe('DETAILS');
    expect((steps as HTMLDetailsElement).open).toBe(false);
    expect(steps.querySelector('summary')?.textContent).toBe('Steps 4');
    const rows = within(steps).getAllByTestId('retrain-step');
    expect(rows.map((r) => r.getAttribute('data-step'))).toEqual(['queued', 'started', 'shadowing', 'promoted']);
    expect(within(steps).getAllByTestId('retrain-step-label').map((l) => l.textContent)).toEqual([
      'Queued',
      'Started',
      'Shadowing',
      'Promoted',
    ]);
    expect(within(steps).getAllByTestId('retrain-step-message').map((m) => m.textContent)).toEqual([
      ' queued by schedule',
      ' started (attempt 1)',
      ' passed the gate: shadowing beside v12',
      ` ${promoted.message}`,
    ]);
    // When, as the host sent it (a <time> for assistive technology), shown in the reader's locale.
    const at = rows[3].querySelector('time');
    expect(at?.getAttribute('datetime')).toBe(history.steps[0].at);
    expect(at?.textContent).toBe(formatDateTime(Date.parse(history.steps[0].at)));
    expect(within(steps).queryByTestId('retrain-steps-cut')).toBeNull();

    // A step this UI does not know is shown as the host wrote it.
    const failed = within(item(FAILED)).getByTestId('retrain-steps');
    expect(within(failed).getAllByTestId('retrain-step-label').map((l) => l.textContent)).toEqual(['Queued', 'requeued', 'Failed']);
    expect(within(failed).getAllByTestId('retrain-step-message').map((m) => m.textContent?.trim())).toEqual([
      'queued by hand',
      'taken again after a host stopped',
      'the trainer failed: exit status 1',
    ]);
    expect(historyReads(calls)).toBe(1);
  });

  it('keeps the jobs when their steps cannot be read, with a note in place of the steps', async () => {
    mockFetch({
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': { body: READY([SHADOWING, FAILED]) },
      'GET /learning/retrain/history': apiError(503, 'unavailable', 'the database stayed unavailable'),
    });
    render(<RetrainCard pollMs={60_000} />);
    const job = await listed(SHADOWING);
    expect(within(job).getByTestId('retrain-state').textContent).toBe('Shadowing');
    expect(within(job).getByTestId('retrain-message').textContent).toBe('passed the gate: shadowing beside v12');
    expect(within(job).getByRole('button', { name: 'Promote acme-v3' })).toBeTruthy();
    expect(within(job).getByTestId('retrain-log')).toBeTruthy();
    expect(within(job).queryByTestId('retrain-steps')).toBeNull();
    expect(within(job).getByTestId('retrain-steps-error').textContent).toBe(
      'Its steps could not be loaded (the database stayed unavailable).',
    );
    expect(within(item(FAILED)).getByTestId('retrain-steps-error')).toBeTruthy();
    expect(screen.getAllByTestId('retrain-job')).toHaveLength(2);
    expect(screen.queryByTestId('error')).toBeNull();
    expect(screen.queryByTestId('retrain-stale')).toBeNull();
  });

  it('says when a job has no step recorded, and when its earlier steps are past the latest 200', async () => {
    const older = Array.from({ length: 199 }, (_, i) =>
      step({ ...FAILED, job_id: `job-${i}` }, 'queued', 60 * 24 * 30 + i, 'queued by hand'),
    );
    mockFetch({
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': { body: READY([SHADOWING, FAILED]) },
      'GET /learning/retrain/history': [
        { body: HISTORY([step(SHADOWING, 'queued', 90, 'queued by schedule')]) },
        { body: HISTORY([step(SHADOWING, 'shadowing', 80, 'passed the gate: shadowing beside v12'), ...older]) },
      ],
    });
    const { unmount } = render(<RetrainCard pollMs={60_000} />);
    await listed(FAILED);
    const none = await within(item(FAILED)).findByTestId('retrain-steps');
    expect(none.querySelector('summary')?.textContent).toBe('Steps 0');
    expect(none.textContent).toContain('No step recorded.');
    unmount();

    render(<RetrainCard pollMs={60_000} />);
    const job = await listed(SHADOWING);
    const steps = await within(job).findByTestId('retrain-steps');
    expect(within(steps).getAllByTestId('retrain-step').map((s) => s.getAttribute('data-step'))).toEqual(['shadowing']);
    expect(within(steps).getByTestId('retrain-steps-cut').textContent).toBe(
      'Its earlier steps are older than the latest 200 steps the host lists.',
    );
    expect(within(item(FAILED)).getByTestId('retrain-steps-cut').textContent).toBe(
      'Its steps are older than the latest 200 steps the host lists.',
    );
  });

  it('lists the latest five jobs, and every one on asking', async () => {
    const jobs = Array.from({ length: 7 }, (_, i): RetrainJob => ({ ...FAILED, job_id: `job-${i}`, candidate_version: `acme-v${7 - i}` }));
    mockFetch({ 'GET /learning/retrain': { body: DEFAULT_POLICY }, 'GET /learning/retrain/jobs': { body: READY(jobs) } });
    render(<RetrainCard />);
    await listed(jobs[0]);
    expect(screen.getAllByTestId('retrain-job')).toHaveLength(5);
    fireEvent.click(screen.getByRole('button', { name: 'Show all 7 jobs' }));
    expect(screen.getAllByTestId('retrain-job').map((j) => j.getAttribute('data-job'))).toEqual(jobs.map((j) => j.job_id));
  });

  it('reads the jobs again while one is queued, running or shadowing, and stops once none is', async () => {
    const queued: RetrainJob = { ...SHADOWING, state: 'queued', metrics: {}, log: '', started_at: null, shadow_from: null };
    const queuedStep = step(queued, 'queued', 90, 'queued by schedule');
    const startedStep = step(queued, 'started', 89, 'started (attempt 1)');
    const calls = mockFetch({
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': [
        { body: READY([queued]) },
        { body: READY([{ ...queued, state: 'running' }]) },
        { body: READY([SHADOWING]) },
        { body: READY([{ ...GATED_OUT, job_id: SHADOWING.job_id }]) },
      ],
      'GET /learning/retrain/history': [
        apiError(503, 'unavailable', 'the database stayed unavailable'),
        { body: HISTORY([queuedStep]) },
        { body: HISTORY([startedStep, queuedStep]) },
        { body: HISTORY([step(queued, 'gated_out', 1, GATED_OUT.message), startedStep, queuedStep]) },
      ],
    });
    render(<RetrainCard pollMs={10} />);
    const job = await listed(queued);
    await waitFor(() => expect(within(job).getByTestId('retrain-state').textContent).toBe('Gated out'));
    // The steps are read with the jobs, once a read, and follow them.
    const stepNames = () => within(job).getAllByTestId('retrain-step').map((s) => s.getAttribute('data-step'));
    await waitFor(() => expect(stepNames()).toEqual(['queued', 'started', 'gated_out']));
    expect(within(job).queryByTestId('retrain-steps-error')).toBeNull();
    expect(reads(calls)).toBe(4);
    expect(historyReads(calls)).toBe(4);
    await sleep(100);
    expect(reads(calls)).toBe(4);
    expect(historyReads(calls)).toBe(4);
  });

  it('starts a job with Retrain now, and follows it', async () => {
    const queued: RetrainJob = { ...SHADOWING, state: 'queued', reason: 'manual', metrics: {}, log: '', started_at: null, shadow_from: null };
    const calls = mockFetch({
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': [{ body: READY([]) }, { body: READY([queued]) }],
      'POST /learning/retrain/run': { status: 202, body: { job_id: queued.job_id } },
    });
    render(<RetrainCard pollMs={60_000} />);
    await screen.findByTestId('retrain-jobs-empty');
    fireEvent.click(screen.getByRole('button', { name: 'Retrain now' }));
    expect((await screen.findByTestId('retrain-notice')).textContent).toBe(`Retrain job ${queued.job_id} queued. Its progress is below.`);
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/learning/retrain/run']);
    expect(within(await listed(queued)).getByTestId('retrain-state').textContent).toBe('Queued');
  });

  it('shows the host’s 422 when there is too little data to train, and a 409 while a job is open', async () => {
    const tooFew = 'too few to train: 312 of 1,000 leads, 41 of 120 wins (labelled leads in the last 24 months)';
    const open = 'retrain job 6f1c is still queued, running or shadowing: one job per tenant at a time';
    mockFetch({
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': { body: COLD },
      'POST /learning/retrain/run': [apiError(422, 'not_enough_data', tooFew), apiError(409, 'job_open', open)],
    });
    render(<RetrainCard />);
    await screen.findByTestId('retrain-readiness');
    fireEvent.click(screen.getByRole('button', { name: 'Retrain now' }));
    const error = await screen.findByTestId('retrain-run-error');
    expect(error.textContent).toBe(`The retrain was not started: ${tooFew}`);
    expect(error.getAttribute('role')).toBe('alert');
    expect(screen.queryByTestId('retrain-notice')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Retrain now' }));
    await waitFor(() => expect(screen.getByTestId('retrain-run-error').textContent).toBe(`The retrain was not started: ${open}`));
  });

  it('shows the policy, and saves the whole of it', async () => {
    const calls = mockFetch({
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': { body: COLD },
      'PUT /learning/retrain': (init) => ({ body: JSON.parse(String(init?.body)) }),
    });
    render(<RetrainCard />);
    expect((await screen.findByTestId('retrain-setting-every_days')).textContent).toBe('10 days');
    expect(screen.getByTestId('retrain-setting-min_leads').textContent).toBe('1,000');
    expect(screen.getByTestId('retrain-setting-window_months').textContent).toBe('24 months');
    expect(screen.getByTestId('retrain-setting-max_auc_drop').textContent).toBe('0.02');
    expect(screen.getByTestId('retrain-setting-confidence').textContent).toBe('0.9');
    expect(screen.getByTestId('retrain-setting-enabled').textContent).toBe('Retrain on schedule');
    expect(screen.getByTestId('retrain-setting-auto_promote').textContent).toBe('Promote or retire automatically');

    fireEvent.click(screen.getByRole('button', { name: 'Edit policy' }));
    expect(document.activeElement).toBe(screen.getByLabelText('Retrain every (days)'));
    fireEvent.change(screen.getByLabelText('Retrain every (days)'), { target: { value: '15' } });
    fireEvent.change(screen.getByLabelText('Wins needed'), { target: { value: '80' } });
    fireEvent.click(screen.getByTestId('retrain-input-auto_promote'));
    fireEvent.click(screen.getByRole('button', { name: 'Save policy' }));

    expect((await screen.findByTestId('retrain-notice')).textContent).toBe('Retrain policy saved.');
    const put = calls.find((c) => c.method === 'PUT');
    expect(put?.path).toBe('/learning/retrain');
    expect(put?.body).toEqual({ ...DEFAULT_POLICY, every_days: 15, min_wins: 80, auto_promote: false });
    expect(screen.getByTestId('retrain-setting-every_days').textContent).toBe('15 days');
    expect(screen.getByTestId('retrain-setting-auto_promote').textContent).toBe('An admin decides');
    // The shortfall is counted against the policy: the jobs are read again.
    await waitFor(() => expect(reads(calls)).toBe(2));
  });

  it('refuses a value that is not a number before sending', async () => {
    const calls = mockFetch({ 'GET /learning/retrain': { body: DEFAULT_POLICY }, 'GET /learning/retrain/jobs': { body: COLD } });
    render(<RetrainCard />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit policy' }));
    fireEvent.change(screen.getByLabelText('Labelled leads needed'), { target: { value: '1,000' } });
    fireEvent.change(screen.getByLabelText('Training window (months)'), { target: { value: '6.5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save policy' }));
    expect(screen.getByTestId('retrain-problem-min_leads').textContent).toBe('Enter a number.');
    expect(screen.getByTestId('retrain-problem-window_months').textContent).toBe('Enter a whole number.');
    expect(document.activeElement).toBe(screen.getByLabelText('Labelled leads needed'));
    expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(0);
  });

  it('shows the host’s 400 next to the form, naming the field, and marks that field', async () => {
    const message = 'window_months 5: expected 7 – 120';
    mockFetch({
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': { body: COLD },
      'PUT /learning/retrain': apiError(400, 'invalid_policy', message),
    });
    render(<RetrainCard />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit policy' }));
    const window = screen.getByLabelText('Training window (months)');
    fireEvent.change(window, { target: { value: '5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save policy' }));

    const error = await screen.findByTestId('retrain-policy-error');
    expect(error.textContent).toBe(`The policy was refused: ${message}`);
    expect(error.getAttribute('role')).toBe('alert');
    expect(window.getAttribute('aria-invalid')).toBe('true');
    expect(window.getAttribute('aria-describedby')?.split(' ')).toContain(error.id);
    expect(screen.getByLabelText('Retrain every (days)').getAttribute('aria-invalid')).toBeNull();
    // The form stays, with what was typed.
    expect(within(screen.getByTestId('retrain-policy-form')).getByDisplayValue('5')).toBe(window);
    expect(screen.queryByTestId('retrain-notice')).toBeNull();
  });

  it('is not shown without the admin scope, nor by a host without the closed loop', async () => {
    for (const reply of [
      apiError(403, 'forbidden', 'the token lacks the scope crm.admin.models'),
      apiError(404, 'not_found', 'no route GET /learning/retrain/jobs'),
    ]) {
      const calls = mockFetch({ 'GET /learning/retrain': reply, 'GET /learning/retrain/jobs': reply, 'GET /learning/retrain/history': reply });
      const { container, unmount } = render(<RetrainCard pollMs={10} />);
      await waitFor(() => expect(calls).toHaveLength(3));
      await waitFor(() => expect(container.innerHTML).toBe(''));
      await sleep(50);
      expect(calls).toHaveLength(3);
      unmount();
    }
  });

  it('offers a retry when the jobs cannot be loaded', async () => {
    mockFetch({
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': [apiError(503, 'unavailable', 'the database stayed unavailable'), { body: READY([FAILED]) }],
    });
    render(<RetrainCard />);
    const error = await screen.findByTestId('error');
    expect(error.textContent).toContain('The retrain jobs could not be loaded');
    expect(error.textContent).toContain('the database stayed unavailable');
    fireEvent.click(within(error).getByRole('button', { name: 'Try again' }));
    await listed(FAILED);
  });
});

describe('retraining on the model admin page', () => {
  it('comes after the model quality, and a promotion there loads the routing again', async () => {
    const promoted: RetrainJob = { ...SHADOWING, state: 'promoted' };
    const calls = mockFetch({
      'GET /models': { body: ONE_MODEL },
      'GET /learning/retrain': { body: DEFAULT_POLICY },
      'GET /learning/retrain/jobs': [{ body: READY([SHADOWING]) }, { body: READY([promoted]) }],
      [`POST /learning/retrain/jobs/${SHADOWING.job_id}/promote`]: { body: promoted },
    });
    render(<AdminPage />);
    const card = await screen.findByTestId('retraining');
    const quality = await screen.findByTestId('model-quality');
    expect(quality.compareDocumentPosition(card) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    const job = await listed(SHADOWING);
    fireEvent.click(within(job).getByTestId('retrain-promote'));
    fireEvent.click(within(job).getByTestId('retrain-promote-confirm-button'));
    await waitFor(() => expect(calls.filter((c) => c.method === 'GET' && c.path === '/models')).toHaveLength(2));
  });
});
