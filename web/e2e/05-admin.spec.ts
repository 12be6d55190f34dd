import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { ModelList, Routing, ScoreRow } from '../src/lib/types';
import { apiJson, expect, openLead, rescoreOnPage, test, treatedLeads } from './fixtures';

const WEB = resolve(import.meta.dirname, '..');
const REPO = resolve(WEB, '..');

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
