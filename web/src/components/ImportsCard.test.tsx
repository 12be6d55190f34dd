// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { ImportJob } from '../lib/types';
import { timeOf } from '../lib/webhooks';
import { AdminPage } from '../pages/AdminPage';
import { apiError, mockFetch, type FetchCall } from '../test/fetchMock';
import { ONE_MODEL } from '../test/models';
import { ImportsCard } from './ImportsCard';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const STARTED = new Date(Date.now() - 5 * 60_000).toISOString();
const RUNNING: ImportJob = {
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
  created_at: STARTED,
  finished_at: null,
  errors: [
    { line: 3, lead_id: 'lead-42', message: 'fields.employees: expected a number, got "many"' },
    { line: 9, lead_id: null, message: 'not JSON: expected value at line 1 column 1' },
  ],
};
const DONE: ImportJob = {
  job_id: 'job_fedcba9876543210fedcba9876543210',
  kind: 'import',
  format: 'crm',
  state: 'done',
  total: 31,
  done: 31,
  failed: 0,
  pending: 0,
  rate_per_second: 40,
  eta_seconds: null,
  created_at: new Date(Date.now() - 3 * 3_600_000 - 2_000).toISOString(),
  finished_at: new Date(Date.now() - 3 * 3_600_000).toISOString(),
  errors: [],
};
/** The running job, finished. */
const FINISHED: ImportJob = {
  ...RUNNING,
  state: 'done',
  done: 99_997,
  pending: 0,
  eta_seconds: null,
  finished_at: new Date().toISOString(),
};

const item = (job: ImportJob) =>
  document.querySelector(`[data-testid="import-job"][data-job="${job.job_id}"]`) as HTMLElement;
/** The job's item once it is listed. */
const listed = (job: ImportJob) =>
  waitFor(() => {
    const el = item(job);
    if (!el) throw new Error(`${job.job_id} is not listed`);
    return el;
  });
const reads = (calls: FetchCall[]) => calls.filter((c) => c.method === 'GET' && c.path === '/jobs').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function choose(file: File) {
  fireEvent.change(screen.getByLabelText('NDJSON file'), { target: { files: [file] } });
}

describe('ImportsCard', () => {
  it('shows each job: a labelled progress bar, the counts, speed and time left, its state and errors', async () => {
    mockFetch({ 'GET /jobs': { body: { jobs: [RUNNING, DONE] } } });
    render(<ImportsCard pollMs={60_000} />);
    const running = await listed(RUNNING);
    expect(screen.getByRole('heading', { name: /Latest imports/ }).textContent).toBe('Latest imports 2');

    const bar = within(running).getByRole('progressbar', {
      name: `Lead JSON import started ${timeOf(Date.parse(STARTED), Date.now())}`,
    }) as HTMLProgressElement;
    expect(bar.tagName).toBe('PROGRESS');
    expect([bar.value, bar.max]).toEqual([12_343, 100_000]);
    expect(bar.textContent).toBe('12 %');
    expect(within(running).getByTestId('import-label').textContent).toBe('12,340 of 100,000 scored · 3 failed');
    expect(document.getElementById(bar.getAttribute('aria-describedby') ?? '')?.textContent).toBe(
      '12,340 of 100,000 scored · 3 failed',
    );
    expect(within(running).getByTestId('import-timing').textContent).toBe('1,235 leads/s · about 1 min left');
    expect(within(running).getByTestId('import-state').textContent).toBe('Scoring');

    // The errors, behind a disclosure.
    const errors = within(running).getByTestId('import-errors') as HTMLDetailsElement;
    expect(errors.tagName).toBe('DETAILS');
    expect(errors.open).toBe(false);
    expect(errors.querySelector('summary')?.textContent).toBe('Errors 2');
    expect(within(errors).getAllByTestId('import-error-line').map((l) => l.textContent)).toEqual([
      'Line 3 (lead-42): fields.employees: expected a number, got "many"',
      'Line 9: not JSON: expected value at line 1 column 1',
    ]);

    const done = item(DONE);
    const doneBar = within(done).getByRole('progressbar', { name: /^CRM objects import started / }) as HTMLProgressElement;
    expect([doneBar.value, doneBar.max, doneBar.position]).toEqual([31, 31, 1]);
    expect(doneBar.textContent).toBe('100 %');
    expect(within(done).getByTestId('import-label').textContent).toBe('31 of 31 scored');
    expect(within(done).getByTestId('import-state').textContent).toBe('Done');
    expect(within(done).getByTestId('import-timing').textContent).toBe('Finished 3 h ago');
    expect(within(done).queryByTestId('import-errors')).toBeNull();
  });

  it('shows a job still receiving its file without a share of it', async () => {
    const receiving: ImportJob = { ...RUNNING, state: 'receiving', total: 5_000, done: 1_200, failed: 0, errors: [], eta_seconds: null, rate_per_second: null };
    mockFetch({ 'GET /jobs': { body: { jobs: [receiving] } } });
    render(<ImportsCard pollMs={60_000} />);
    const el = await listed(receiving);
    const bar = within(el).getByRole('progressbar') as HTMLProgressElement;
    expect(bar.hasAttribute('value')).toBe(false); // indeterminate: the total is not known yet
    expect(within(el).getByTestId('import-state').textContent).toBe('Receiving');
    expect(within(el).getByTestId('import-label').textContent).toBe('1,200 of 5,000 scored');
    expect(within(el).getByTestId('import-timing').textContent).toBe('Receiving the file');
  });

  it('says when there is no import', async () => {
    mockFetch({ 'GET /jobs': { body: { jobs: [] } } });
    render(<ImportsCard />);
    expect((await screen.findByTestId('imports-empty')).textContent).toBe('No import yet.');
  });

  it('reads the jobs again while one runs, and stops once none does', async () => {
    const calls = mockFetch({
      'GET /jobs': [
        { body: { jobs: [RUNNING, DONE] } },
        { body: { jobs: [{ ...RUNNING, done: 50_000 }, DONE] } },
        { body: { jobs: [FINISHED, DONE] } },
      ],
    });
    render(<ImportsCard pollMs={10} />);
    const running = await listed(RUNNING);
    await waitFor(() => expect(within(running).getByTestId('import-state').textContent).toBe('Done'));
    expect(within(running).getByTestId('import-label').textContent).toBe('99,997 of 100,000 scored · 3 failed');
    expect((within(running).getByRole('progressbar') as HTMLProgressElement).position).toBe(1);
    expect(reads(calls)).toBe(3);
    await sleep(100);
    expect(reads(calls)).toBe(3);
  });

  it('does not poll when every job is done', async () => {
    const calls = mockFetch({ 'GET /jobs': { body: { jobs: [DONE] } } });
    render(<ImportsCard pollMs={10} />);
    await listed(DONE);
    await sleep(100);
    expect(reads(calls)).toBe(1);
  });

  it('stops polling when it goes away', async () => {
    const calls = mockFetch({ 'GET /jobs': { body: { jobs: [RUNNING] } } });
    const { unmount } = render(<ImportsCard pollMs={10} />);
    await waitFor(() => expect(reads(calls)).toBeGreaterThanOrEqual(3));
    unmount();
    const after = reads(calls);
    await sleep(100);
    expect(reads(calls)).toBe(after);
  });

  it('keeps polling through a failed read, saying the list may be behind', async () => {
    mockFetch({
      'GET /jobs': [
        { body: { jobs: [RUNNING] } },
        apiError(503, 'unavailable', 'the database stayed unavailable'),
        { body: { jobs: [FINISHED] } },
      ],
    });
    render(<ImportsCard pollMs={10} />);
    const running = await listed(RUNNING);
    expect((await screen.findByTestId('imports-stale')).textContent).toContain('the database stayed unavailable');
    await waitFor(() => expect(within(running).getByTestId('import-state').textContent).toBe('Done'));
    expect(screen.queryByTestId('imports-stale')).toBeNull();
  });

  it('uploads the chosen file as NDJSON in the chosen format, lists its job and follows it', async () => {
    const started: ImportJob = { ...RUNNING, format: 'crm', done: 0, failed: 0, pending: 100_000, errors: [], rate_per_second: null, eta_seconds: null };
    const calls = mockFetch({
      'GET /jobs': [{ body: { jobs: [DONE] } }, { body: { jobs: [started, DONE] } }, { body: { jobs: [{ ...FINISHED, format: 'crm' }, DONE] } }],
      'POST /leads/import': { status: 202, body: started },
    });
    render(<ImportsCard pollMs={10} />);
    await listed(DONE);
    expect(screen.getAllByRole('radio').map((r) => [r.closest('label')?.textContent, (r as HTMLInputElement).checked])).toEqual([
      ['Lead JSONA lead a line, as the API takes it ({"id", "fields", "activities"}), or {"crm_object"}.', true],
      ['CRM objectsAn object a line as your CRM exports it, read through the CRM mapping above.', false],
    ]);
    const file = new File(['{"properties":{"numemployees":"120"}}\n'], 'contacts.ndjson');
    choose(file);
    fireEvent.click(screen.getByRole('radio', { name: /^CRM objects/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));

    expect((await screen.findByTestId('import-notice')).textContent).toBe('Received 100,000 lines from contacts.ndjson. Its progress is below.');
    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts.map((c) => c.path)).toEqual(['/leads/import?format=crm']);
    expect(posts[0].body).toBe(file);
    expect(posts[0].headers.get('Content-Type')).toBe('application/x-ndjson');
    const job = await listed(started);
    await waitFor(() => expect(within(job).getByTestId('import-state').textContent).toBe('Done'));
    // The form is ready for the next file.
    expect((screen.getByRole('radio', { name: /^Lead JSON/ }) as HTMLInputElement).checked).toBe(true);
  });

  it('disables the form while the file goes up, and polls meanwhile', async () => {
    let answer: (r: Response) => void = () => {};
    const calls = mockFetch({ 'GET /jobs': { body: { jobs: [] } } });
    const get = globalThis.fetch;
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string, init?: RequestInit) =>
        init?.method === 'POST' ? new Promise<Response>((resolve) => (answer = resolve)) : get(url, init),
      ),
    );
    render(<ImportsCard pollMs={10} />);
    await screen.findByTestId('imports-empty');
    choose(new File(['{"id":"a","fields":{}}\n'], 'leads.jsonl'));
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    const button = screen.getByTestId('start-import') as HTMLButtonElement;
    await waitFor(() => expect(button.disabled).toBe(true));
    expect(button.textContent).toContain('Uploading…');
    expect((screen.getByLabelText('NDJSON file') as HTMLInputElement).disabled).toBe(true);
    expect(screen.getAllByRole('radio').every((r) => (r as HTMLInputElement).disabled)).toBe(true);
    // The job shows while its file is received: the list is read during the upload.
    await waitFor(() => expect(reads(calls)).toBeGreaterThanOrEqual(3));
    const started: ImportJob = { ...DONE, job_id: 'job_new', total: 1, done: 1 };
    answer(new Response(JSON.stringify(started), { status: 202, headers: { 'Content-Type': 'application/json' } }));
    await waitFor(() => expect(button.disabled).toBe(false));
    const polled = reads(calls);
    await sleep(100);
    expect(reads(calls)).toBeLessThanOrEqual(polled + 1); // the read after the answer, then no more
  });

  it('shows the host’s refusal as it is, and keeps the file chosen', async () => {
    const message = 'line 1: expected a JSON object';
    mockFetch({ 'GET /jobs': { body: { jobs: [] } }, 'POST /leads/import': apiError(400, 'invalid_import', message) });
    render(<ImportsCard />);
    await screen.findByTestId('imports-empty');
    choose(new File(['nope\n'], 'leads.ndjson'));
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    const error = await screen.findByTestId('import-error');
    expect(error.textContent).toBe(`The import was refused: ${message}`);
    expect(error.getAttribute('role')).toBe('alert');
    expect((screen.getByLabelText('NDJSON file') as HTMLInputElement).files?.[0]?.name).toBe('leads.ndjson');
    expect(screen.queryByTestId('import-notice')).toBeNull();
  });

  it('says when the file has more lines than the host takes, or the scope is missing', async () => {
    mockFetch({
      'GET /jobs': { body: { jobs: [] } },
      'POST /leads/import': [
        apiError(413, 'too_many_lines', 'the upload has more than 1000000 lines'),
        apiError(403, 'forbidden', 'the token lacks the scope crm.write.leads'),
      ],
    });
    render(<ImportsCard />);
    await screen.findByTestId('imports-empty');
    choose(new File(['{}\n'], 'big.ndjson'));
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    expect((await screen.findByTestId('import-error')).textContent).toBe(
      'The import was refused: the upload has more than 1000000 lines',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    await waitFor(() =>
      expect(screen.getByTestId('import-error').textContent).toBe(
        'You need the “crm.write.leads” scope to import leads. the token lacks the scope crm.write.leads',
      ),
    );
  });

  it('asks for a file, and a non-empty one, before sending', async () => {
    const calls = mockFetch({ 'GET /jobs': { body: { jobs: [] } } });
    render(<ImportsCard />);
    await screen.findByTestId('imports-empty');
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    expect((await screen.findByTestId('import-problem')).textContent).toBe(
      'Choose the file to import: one lead a line (.ndjson or .jsonl).',
    );
    choose(new File([], 'empty.ndjson'));
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    await waitFor(() =>
      expect(screen.getByTestId('import-problem').textContent).toBe('empty.ndjson is empty: there is nothing to import.'),
    );
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('has a labelled file input for NDJSON and a labelled group of formats', async () => {
    mockFetch({ 'GET /jobs': { body: { jobs: [] } } });
    render(<ImportsCard />);
    await screen.findByTestId('imports-empty');
    const input = screen.getByLabelText('NDJSON file') as HTMLInputElement;
    expect(input.type).toBe('file');
    expect(input.accept).toBe('.ndjson,.jsonl,application/x-ndjson');
    expect(input.getAttribute('aria-describedby')).toBeTruthy();
    expect(screen.getByRole('group', { name: 'Each line is' })).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Imports' })).toBeTruthy();
  });

  it('is not shown without the scope to read the jobs, nor by a host without them', async () => {
    for (const reply of [
      apiError(403, 'forbidden', 'the token lacks the scope crm.read.leads'),
      apiError(404, 'not_found', 'no route GET /jobs'),
    ]) {
      const calls = mockFetch({ 'GET /jobs': reply });
      const { container, unmount } = render(<ImportsCard pollMs={10} />);
      await waitFor(() => expect(calls).toHaveLength(1));
      await waitFor(() => expect(container.innerHTML).toBe(''));
      await sleep(50);
      expect(calls).toHaveLength(1);
      unmount();
    }
  });

  it('offers a retry when the jobs cannot be loaded', async () => {
    mockFetch({ 'GET /jobs': [apiError(503, 'unavailable', 'the database stayed unavailable'), { body: { jobs: [DONE] } }] });
    render(<ImportsCard />);
    fireEvent.click(await screen.findByRole('button', { name: 'Try again' }));
    await listed(DONE);
  });
});

describe('the imports on the model admin page', () => {
  it('come after the webhooks', async () => {
    mockFetch({
      'GET /models': { body: ONE_MODEL },
      'GET /integrations/webhooks': { body: { endpoints: [] } },
      'GET /jobs': { body: { jobs: [DONE] } },
    });
    render(<AdminPage />);
    const card = await screen.findByTestId('imports');
    expect(within(card).getByRole('heading', { name: 'Imports' })).toBeTruthy();
    await listed(DONE);
    const webhooks = await screen.findByTestId('webhooks');
    expect(webhooks.compareDocumentPosition(card) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });
});
