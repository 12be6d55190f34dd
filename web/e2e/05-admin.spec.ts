import type { Routing, ScoreRow } from '../src/lib/types';
import { apiJson, expect, openLead, rescoreOnPage, test, treatedLeads } from './fixtures';

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
