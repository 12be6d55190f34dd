/**
 * The imports card on the admin page, against the real host: an NDJSON
 * file this spec writes (30 leads shaped like the seeded sample leads,
 * under new ids, and one line the model refuses) uploaded through the
 * card, followed to the end (the bar at 100 %, Done, "1 failed", the line
 * and field that failed), the numbers checked against `GET /jobs/{id}`,
 * the polling stopped once done, a refusal in the host's words, and the
 * card at 400 px and axe. It adds leads to the shared host, so it runs
 * after the specs that count them (the files run in name order).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { progressLabel } from '../src/lib/imports';
import type { ImportJob, ImportJobs, Lead, LeadDetail } from '../src/lib/types';
import { apiJson, expect, test, seriousProblems, widerThan } from './fixtures';

const WEB = resolve(import.meta.dirname, '..');
const SHOTS = join(WEB, 'screenshots');
const SEEDS = resolve(WEB, '..', 'models', 'sample-leads.jsonl');

const IMPORTED = 30;
/** Where the refused line goes: in the middle, so that its line number means something. */
const BAD_LINE = 17;
/** A whole lead whose employees the model cannot read: refused when it is scored, naming the field. */
const BAD = { id: 'bad', as_of: '2026-11-30T00:00:00Z', fields: { employees: 'many' } };

/** The import's lines: copies of the seeded leads under `lead-e2e-import-<n>`, and the bad one at BAD_LINE. */
function importLines(): { lines: string[]; ids: string[] } {
  const seeds = readFileSync(SEEDS, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Lead);
  const leads = Array.from({ length: IMPORTED }, (_, i): Lead => {
    const seed = seeds[i % seeds.length];
    return { ...seed, id: `lead-e2e-import-${i + 1}`, fields: { ...seed.fields, name: `Import Example ${i + 1}` } };
  });
  const lines = leads.map((l) => JSON.stringify(l));
  lines.splice(BAD_LINE - 1, 0, JSON.stringify(BAD));
  return { lines, ids: leads.map((l) => l.id) };
}



test('an admin imports an NDJSON file of leads and follows it to the end, one line refused', async ({ page, request }, testInfo) => {
  test.setTimeout(120_000);
  const { lines, ids } = importLines();
  const file = testInfo.outputPath('backfill.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);

  // Every GET /jobs the page makes, to see the polling start and stop.
  const reads: number[] = [];
  page.on('request', (r) => {
    if (r.method() === 'GET' && new URL(r.url()).pathname === '/jobs') reads.push(Date.now());
  });

  await page.goto('/#/admin');
  const card = page.getByTestId('imports');
  await expect(card.getByRole('heading', { name: 'Imports', exact: true })).toBeVisible();
  await expect(card.getByRole('radio', { name: /^Lead JSON/ })).toBeChecked();

  // A file the host refuses as a whole (no lead in it): its words.
  const blank = testInfo.outputPath('blank.ndjson');
  writeFileSync(blank, '\n\n');
  await card.getByLabel('NDJSON file').setInputFiles(blank);
  await card.getByRole('button', { name: 'Import' }).click();
  await expect(card.getByTestId('import-error')).toHaveText(/^The import was refused: \S/);

  // The file, sent as it is: NDJSON, the format in the query.
  await card.getByLabel('NDJSON file').setInputFiles(file);
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/leads/import');
  await card.getByRole('button', { name: 'Import' }).click();
  const answer = await answered;
  const post = answer.request();
  expect(new URL(post.url()).search).toBe('?format=lead');
  expect(await post.headerValue('content-type')).toBe('application/x-ndjson');
  expect(answer.status(), 'POST /leads/import').toBe(202);
  // (Chromium does not keep the body of an answer to an uploaded file for the inspector: the job is read by its Location.)
  const location = (await answer.headerValue('location')) ?? '';
  expect(location).toMatch(/^\/jobs\/job_[0-9a-f]{32}$/);
  const started = await apiJson<ImportJob>(request, location);
  expect(started).toMatchObject({ kind: 'import', format: 'lead', total: lines.length });
  await expect(card.getByTestId('import-notice')).toHaveText(`Received ${lines.length} lines from backfill.ndjson. Its progress is below.`);
  await expect(card.getByTestId('import-error')).toHaveCount(0);

  // Followed to the end: Done, the bar full, one line failed.
  const item = card.locator(`[data-testid="import-job"][data-job="${started.job_id}"]`);
  await expect(item.getByTestId('import-state')).toHaveText('Done', { timeout: 60_000 });
  const bar = item.getByRole('progressbar', { name: /^Lead JSON import started / });
  await expect(bar).toHaveJSProperty('position', 1);
  await expect(bar).toHaveAttribute('value', String(lines.length));
  await expect(bar).toHaveAttribute('max', String(lines.length));
  await expect(item.getByTestId('import-label')).toHaveText(`${IMPORTED} of ${lines.length} scored · 1 failed`);
  await expect(item.getByTestId('import-timing')).toHaveText(/^Finished /);

  // The line that failed, behind its disclosure: the line, the lead, the field.
  const errors = item.getByTestId('import-errors');
  await expect(errors.getByTestId('import-error-line')).toBeHidden();
  await errors.locator('summary').click();
  const error = errors.getByTestId('import-error-line');
  await expect(error).toHaveCount(1);
  await expect(error).toHaveText(new RegExp(`^Line ${BAD_LINE} \\(bad\\): .*employees`));

  // The API says the same as the card.
  const job = await apiJson<ImportJob>(request, `/jobs/${started.job_id}`);
  expect(job).toMatchObject({
    job_id: started.job_id,
    kind: 'import',
    format: 'lead',
    state: 'done',
    total: lines.length,
    done: IMPORTED,
    failed: 1,
    pending: 0,
    eta_seconds: null,
  });
  expect(Date.parse(job.created_at)).not.toBeNaN();
  expect(Date.parse(job.finished_at ?? '')).toBeGreaterThanOrEqual(Date.parse(job.created_at));
  expect(job.errors).toHaveLength(1);
  expect(job.errors[0]).toMatchObject({ line: BAD_LINE, lead_id: 'bad' });
  expect(job.errors[0].message).toContain('employees');
  await expect(item.getByTestId('import-label')).toHaveText(progressLabel(job));
  await expect(error).toHaveText(`Line ${BAD_LINE} (bad): ${job.errors[0].message}`);
  const { jobs } = await apiJson<ImportJobs>(request, '/jobs');
  expect(jobs[0]?.job_id, 'the newest job first').toBe(started.job_id);

  // The imported leads are the host's now.
  for (const id of [ids[0], ids[IMPORTED - 1]]) {
    const lead = await apiJson<LeadDetail>(request, `/leads/${encodeURIComponent(id)}`);
    expect(lead.context.id).toBe(id);
  }

  // Nothing moves any more: the card has stopped reading the jobs.
  expect(reads.length, 'the card read the jobs more than once').toBeGreaterThanOrEqual(2);
  const settled = reads.length;
  await page.waitForTimeout(2_500);
  expect(reads.length, 'GET /jobs after the job was done').toBe(settled);

  expect(await seriousProblems(page, 'imports')).toEqual([]);
  mkdirSync(SHOTS, { recursive: true });
  await card.screenshot({ path: join(SHOTS, 'admin-imports-laptop.png') });

  // Narrow, the errors open: nothing in the card wider than the screen.
  await page.setViewportSize({ width: 400, height: 800 });
  await expect(error).toBeVisible();
  expect(await widerThan(page, 'imports', 400)).toEqual([]);
  expect(await seriousProblems(page, 'imports')).toEqual([]);
  await card.screenshot({ path: join(SHOTS, 'admin-imports-narrow.png') });

  // After a reload the job is listed as the host has it, and nothing is polled.
  await page.reload();
  await expect(item.getByTestId('import-state')).toHaveText('Done');
  await expect(item.getByTestId('import-label')).toHaveText(progressLabel(job));
});
