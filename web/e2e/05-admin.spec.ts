import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { ModelList, RetrainJobs, RetrainPolicy, Routing, ScoreRow } from '../src/lib/types';
import { apiJson, expect, LEARNING, openLead, rescoreOnPage, seriousProblems, test, treatedLeads, widerThan } from './fixtures';

const WEB = resolve(import.meta.dirname, '..');
const REPO = resolve(WEB, '..');
const SHOTS = join(WEB, 'screenshots');

/**
 * A token of the operator's admins (tenant `leadscore`), who alone install
 * models; without a token the development host takes the browser for the
 * demo tenant. Minted by the binary under test with the development secret.
 */
function operatorToken(): string {
  const bin = resolve(WEB, process.env.LEADSCORE_BIN ?? '../target/release/leadscore');
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('LEADSCORE_')));
  const args = ['token', '--dev', '--org', 'leadscore', '--scopes', 'crm.write.leads,crm.read.leads,crm.admin.models', '--days', '1'];
  return execFileSync(bin, args, { env, encoding: 'utf8' }).trim();
}

test('making v11 active changes the version of the next score; rolling back restores v12', async ({ page, request }) => {
  const leads = await treatedLeads(request);
  const start = await apiJson<Routing>(request, '/models/routing');
  expect(start.active).toBe('v12');

  await page.goto('/#/admin');
  await expect(page.getByTestId('routing-active')).toHaveText('v12');
  const v11 = page.locator('[data-testid="version-row"][data-version="v11"]');
  await expect(v11.getByTestId('version-state')).toHaveText('Fallback');
  await v11.getByRole('button', { name: 'Make v11 active' }).click();
  await expect(page.getByTestId('admin-notice')).toContainText('v11 is now the active version');
  await expect(page.getByTestId('routing-active')).toHaveText('v11');
  await expect(v11.getByTestId('version-state')).toHaveText('Active');
  const switched = await apiJson<Routing>(request, '/models/routing');
  expect(switched).toMatchObject({ active: 'v11', split: [], fallback: (start.fallback ?? []).filter((v) => v !== 'v11') });
  expect(switched.shadow ?? null).toBe(start.shadow ?? null);

  // The next score comes from v11.
  const lead = leads[0];
  await openLead(page, lead.lead_id);
  await rescoreOnPage(page);
  await expect(page.getByTestId('score-card').getByTestId('model-version')).toHaveText('v11');
  expect((await apiJson<ScoreRow>(request, `/leads/${lead.lead_id}/score`)).model_version).toBe('v11');

  // Its traffic shows up per version.
  await page.goto('/#/admin');
  await expect(v11.getByTestId('version-calls')).not.toHaveText('0');
  await expect(v11.getByTestId('version-latency')).toHaveText(/ms$/);

  // Roll back to what was seen before.
  const rollback = page.getByTestId('rollback');
  await expect(rollback).toHaveText('Roll back to v12');
  await rollback.click();
  await expect(page.getByTestId('routing-active')).toHaveText('v12');
  expect(await apiJson<Routing>(request, '/models/routing')).toEqual(start);
  await openLead(page, lead.lead_id);
  await rescoreOnPage(page);
  await expect(page.getByTestId('score-card').getByTestId('model-version')).toHaveText('v12');
});

test('editing the A/B split weights', async ({ page, request }) => {
  const start = await apiJson<Routing>(request, '/models/routing');
  await page.goto('/#/admin');
  await page.getByTestId('edit-routing').click();
  const editor = page.getByTestId('routing-editor');
  await editor.getByRole('button', { name: 'Add a version to the split' }).click();
  await editor.getByRole('button', { name: 'Add a version to the split' }).click();
  // v12 (the active one) first with 90, then the next installed version with 10.
  await editor.getByLabel('Weight of v12').fill('75');
  const second = editor.getByLabel('Split version 2');
  await second.selectOption('v11');
  await editor.getByLabel('Weight of v11').fill('25');
  await expect(editor.getByText('75 %')).toBeVisible();

  // Refused before sending: weights that add up to zero.
  await editor.getByLabel('Weight of v12').fill('0');
  await editor.getByLabel('Weight of v11').fill('0');
  await editor.getByTestId('save-routing').click();
  await expect(editor.getByRole('alert')).toContainText('add up to 0');

  await editor.getByLabel('Weight of v12').fill('75');
  await editor.getByLabel('Weight of v11').fill('25');
  await editor.getByTestId('save-routing').click();
  await expect(page.getByTestId('admin-notice')).toContainText('Routing saved');
  await expect(page.getByTestId('routing-split')).toContainText('75 %');
  const saved = await apiJson<Routing>(request, '/models/routing');
  expect(saved.split).toEqual([
    { version: 'v12', weight: 75 },
    { version: 'v11', weight: 25 },
  ]);
  await expect(page.locator('[data-testid="version-row"][data-version="v11"]').getByTestId('version-state')).toHaveText('In split');

  await page.getByTestId('rollback').click();
  await expect(page.getByTestId('routing-split')).toContainText('None');
  expect(await apiJson<Routing>(request, '/models/routing')).toEqual(start);
});

test('uploading a model source builds and installs a new version, listed on the page', async ({ page, request }) => {
  await page.addInitScript((token) => localStorage.setItem('leadscore.token', token), operatorToken());
  const v12 = resolve(REPO, 'models', 'v12');
  const features = readFileSync(resolve(v12, 'features.toml'), 'utf8').replace('version = "v12"', 'version = "v77"');
  const toml = (text: string) => ({ name: 'features.toml', mimeType: 'application/toml', buffer: Buffer.from(text) });

  await page.goto('/#/admin');
  await expect(page.getByTestId('version-row').first()).toBeVisible();
  const card = page.getByTestId('model-upload');
  await expect(card.getByRole('heading', { name: 'Upload a model' })).toBeVisible();

  // A features.toml that does not parse: the host's message names it.
  await card.getByLabel('Model file', { exact: true }).setInputFiles(resolve(v12, 'model.json'));
  await card.getByLabel('Features', { exact: true }).setInputFiles(toml(features.replace('[model]', '[model')));
  await card.getByRole('button', { name: 'Upload and install' }).click();
  await expect(card.getByRole('alert')).toContainText('The model was refused: features.toml:');
  expect((await apiJson<ModelList>(request, '/models')).models.map((m) => m.version)).not.toContain('v77');

  // The files as XGBoost and the training wrote them, as version v77.
  await card.getByLabel('Features', { exact: true }).setInputFiles(toml(features));
  await card.getByLabel('Calibration (optional)').setInputFiles(resolve(v12, 'calibration.json'));
  await card.getByLabel('Reference distributions (optional)').setInputFiles(resolve(v12, 'reference.json'));
  await card.getByRole('button', { name: 'Upload and install' }).click();
  await expect(card.getByTestId('upload-result')).toContainText('Installed v77 (lead-scorer, ', { timeout: 30_000 });
  await expect(card.getByRole('alert')).toHaveCount(0);

  const row = page.locator('[data-testid="version-row"][data-version="v77"]');
  await expect(row.getByTestId('version-state')).toHaveText('Installed');
  const v77 = (await apiJson<ModelList>(request, '/models')).models.find((m) => m.version === 'v77');
  expect(v77).toMatchObject({ name: 'lead-scorer', state: 'installed', loaded: true, features: 23 });
  await expect(card.getByTestId('upload-result')).toContainText(`sha256 ${v77?.sha256.slice(0, 8)}`);
});

test.describe('retraining', LEARNING, () => {
  let start: RetrainPolicy;

  test.beforeEach(async ({ request }) => {
    start = await apiJson<RetrainPolicy>(request, '/learning/retrain');
  });

  test.afterEach(async ({ request }) => {
    // Whatever happened, the next test finds the policy this one found.
    const restored = await request.put('/learning/retrain', { data: start });
    expect(restored.ok(), `PUT /learning/retrain → ${restored.status()}`).toBeTruthy();
  });

  test('the dev tenant stays on the global model; a changed policy persists, a refused one names its field', async ({ page, request }) => {
    // The global setup reports an outcome for each of its few leads (the API says how many): far below the
    // default policy's 1,000 labelled leads and 120 wins, so the tenant stays on the global model.
    expect(start).toMatchObject({ min_leads: 1_000, min_wins: 120 });
    const { jobs, labelled, shortfall } = await apiJson<RetrainJobs>(request, '/learning/retrain/jobs');
    expect(shortfall, 'GET /learning/retrain/jobs shortfall').toBeTruthy();
    expect(jobs).toEqual([]);

    await page.goto('/#/admin');
    const card = page.getByTestId('retraining');
    await expect(card.getByRole('heading', { name: /^Retraining/ })).toBeVisible();
    const count = (n: number) => n.toLocaleString('en-US');
    await expect(card.getByTestId('retrain-readiness')).toHaveText(
      `Staying on the global model: ${count(labelled.leads)} of 1,000 leads, ${count(labelled.wins)} of 120 wins`,
    );
    await expect(card.getByTestId('retrain-jobs-empty')).toHaveText('No retrain job yet.');

    // Retrain now: the host's 422, in its words.
    await card.getByRole('button', { name: 'Retrain now' }).click();
    await expect(card.getByTestId('retrain-run-error')).toHaveText(
      `The retrain was not started: too few to train: ${shortfall}`,
    );

    mkdirSync(SHOTS, { recursive: true });
    await card.screenshot({ path: join(SHOTS, 'admin-retraining-laptop.png') });

    // Every 15 days instead of 10: the whole policy goes out, and stays after a reload.
    await expect(card.getByTestId('retrain-setting-every_days')).toHaveText(`${start.every_days} days`);
    await card.getByRole('button', { name: 'Edit policy' }).click();
    await card.getByLabel('Retrain every (days)').fill('15');
    const put = page.waitForRequest((r) => r.method() === 'PUT' && new URL(r.url()).pathname === '/learning/retrain');
    await card.getByRole('button', { name: 'Save policy' }).click();
    expect((await put).postDataJSON()).toEqual({ ...start, every_days: 15 });
    await expect(card.getByTestId('retrain-notice')).toHaveText('Retrain policy saved.');
    await expect(card.getByTestId('retrain-setting-every_days')).toHaveText('15 days');
    expect(await apiJson<RetrainPolicy>(request, '/learning/retrain')).toEqual({ ...start, every_days: 15 });
    await page.reload();
    await expect(card.getByTestId('retrain-setting-every_days')).toHaveText('15 days');

    // A window the host refuses: its message, naming the field, beside the form, and the field marked.
    await card.getByRole('button', { name: 'Edit policy' }).click();
    const window = card.getByLabel('Training window (months)');
    await window.fill('5');
    await card.getByRole('button', { name: 'Save policy' }).click();
    await expect(card.getByTestId('retrain-policy-error')).toHaveText(/^The policy was refused: window_months 5: expected \d+ – \d+$/);
    await expect(window).toHaveAttribute('aria-invalid', 'true');
    expect((await apiJson<RetrainPolicy>(request, '/learning/retrain')).window_months).toBe(start.window_months);

    expect(await seriousProblems(page, 'retraining')).toEqual([]);
    await page.setViewportSize({ width: 400, height: 800 });
    expect(await widerThan(page, 'retraining', 400)).toEqual([]);
    await card.screenshot({ path: join(SHOTS, 'admin-retraining-narrow.png') });
  });
});
