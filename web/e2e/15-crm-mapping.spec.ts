/**
 * The CRM mapping card on the admin page, against the real host: a preset
 * applied, a path edited and kept over a reload, a broken mapping refused
 * in the host's words; then a HubSpot contact scored through the preset.
 * The mapping is the tenant's and the host is shared: each test puts back
 * what it found.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { APIRequestContext } from '@playwright/test';

import type { Mapping, MappingRequest, MappingView, ScoreResponse } from '../src/lib/types';
import { apiJson, expect, test, seriousProblems } from './fixtures';

const REPO = resolve(import.meta.dirname, '..', '..');
const CRM_FIXTURES = join(REPO, 'host', 'tests', 'fixtures', 'crm');
const SHOTS = join(import.meta.dirname, '..', 'screenshots');

const readJson = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(CRM_FIXTURES, name), 'utf8'));

async function putMapping(request: APIRequestContext, body: MappingRequest): Promise<MappingView> {
  const response = await request.put('/integrations/mapping', { data: body });
  expect(response.ok(), `PUT /integrations/mapping → ${response.status()}: ${await response.text()}`).toBeTruthy();
  return (await response.json()) as MappingView;
}

/**
 * Runs `body`, then sets the mapping back to what it was. No request
 * unsets a mapping: when there was none (a fresh host), the HubSpot preset
 * stays, which is what the other specs would set.
 */
async function restoringMapping(request: APIRequestContext, body: () => Promise<void>): Promise<void> {
  const start = await apiJson<MappingView>(request, '/integrations/mapping');
  try {
    await body();
  } finally {
    const back: MappingRequest = start.preset ? { preset: start.preset } : (start.mapping ?? { preset: 'hubspot' });
    await putMapping(request, back);
  }
}

test('an admin applies the HubSpot preset, edits a path that is kept, and sees a broken mapping refused', async ({
  page,
  request,
}) => {
  await restoringMapping(request, async () => {
    await page.goto('/#/admin');
    const card = page.getByTestId('crm-mapping');
    const status = card.getByTestId('mapping-status');
    const row = (field: string) => card.locator(`[data-testid="mapping-row"][data-field="${field}"]`);
    await expect(card.getByRole('heading', { name: 'CRM mapping' })).toBeVisible();

    // The preset, with one button: every field the models read is mapped.
    await card.getByLabel('Preset').selectOption({ label: 'HubSpot contact' });
    await card.getByRole('button', { name: 'Apply preset' }).click();
    await expect(status).toHaveAttribute('data-preset', 'hubspot');
    await expect(status).toContainText('HubSpot contact preset · set just now');
    await expect(card.getByTestId('mapping-coverage')).toHaveText('Every field the models read is mapped.');
    const preset = await apiJson<MappingView>(request, '/integrations/mapping');
    expect(preset.preset).toBe('hubspot');
    expect(preset.unmapped).toEqual([]);
    const modelFields = Object.keys(preset.model_fields);
    expect(modelFields.length).toBeGreaterThan(0);
    await expect(card.getByTestId('mapping-rows-read').getByTestId('mapping-row')).toHaveCount(modelFields.length);
    for (const field of modelFields) await expect(row(field)).toHaveAttribute('data-mapped', 'true');
    await expect(card.getByTestId('not-mapped')).toHaveCount(0);
    await expect(row('seniority').getByTestId('mapping-notes')).toHaveText('12 values translated');
    await expect(row('annual_revenue_musd').getByTestId('mapping-notes')).toHaveText('÷ 1,000,000');
    await expect(row('name').getByTestId('mapping-notes')).toContainText('joined: properties.firstname + properties.lastname');

    // One path through the form: saved, and still there after a reload, the translations untouched.
    await card.getByLabel('Employees', { exact: true }).fill('properties.employee_count');
    await card.getByRole('button', { name: 'Save mapping' }).click();
    await expect(card.getByTestId('mapping-notice')).toContainText('Mapping saved');
    await expect(status).toHaveAttribute('data-preset', 'custom');
    await page.reload();
    await expect(card.getByLabel('Employees', { exact: true })).toHaveValue('properties.employee_count');
    await expect(status).toContainText('Custom mapping');
    const edited = await apiJson<MappingView>(request, '/integrations/mapping');
    const presetMapping = preset.mapping as Mapping;
    expect(edited.mapping).toEqual({
      ...presetMapping,
      fields: { ...presetMapping.fields, employees: 'properties.employee_count' },
    });

    // As JSON: the whole mapping; invalid JSON stays here, a broken mapping gets the host's words.
    await card.getByRole('button', { name: 'Advanced: edit as JSON' }).click();
    const json = card.getByLabel('Mapping (JSON)');
    expect(JSON.parse(await json.inputValue())).toEqual(edited.mapping);
    await json.fill('{"id": "id",');
    await card.getByRole('button', { name: 'Save mapping' }).click();
    await expect(card.getByTestId('mapping-problem')).toContainText('This is not valid JSON');
    const revenue = { path: 'properties.annualrevenue', divide_by: -1 };
    const broken = JSON.stringify({ ...edited.mapping, fields: { ...edited.mapping?.fields, annual_revenue_musd: revenue } }, null, 2);
    await json.fill(broken);
    await card.getByRole('button', { name: 'Save mapping' }).click();
    const refused = card.getByTestId('mapping-error');
    await expect(refused).toHaveText('The mapping was refused: fields.annual_revenue_musd.divide_by: a positive number');
    await expect(refused).toHaveAttribute('role', 'alert');
    await expect(card.getByTestId('mapping-problem')).toHaveCount(0);
    await expect(json).toHaveValue(broken);
    expect((await apiJson<MappingView>(request, '/integrations/mapping')).mapping).toEqual(edited.mapping);

    // The preset again, from the card: the form shows it, the broken JSON gone.
    await card.getByRole('button', { name: 'Apply preset' }).click();
    await expect(status).toHaveAttribute('data-preset', 'hubspot');
    await expect(json).toHaveCount(0);
    await expect(card.getByLabel('Employees', { exact: true })).toHaveValue('properties.numemployees');
  });
});

test('a HubSpot contact scores through the preset, as its lead JSON does', async ({ request }) => {
  await restoringMapping(request, async () => {
    await putMapping(request, { preset: 'hubspot' });
    const scored = await request.post('/score-lead', { data: { crm_object: readJson('hubspot-contact.json') } });
    expect(scored.status(), await scored.text()).toBe(200);
    const byCrm = (await scored.json()) as ScoreResponse;
    expect(byCrm.lead_id).toBe('51');

    const asLead = await request.post('/score-lead', { data: readJson('hubspot-contact.lead.json') });
    expect(asLead.status(), await asLead.text()).toBe(200);
    const byLead = (await asLead.json()) as ScoreResponse;
    const gist = (s: ScoreResponse) => ({ lead_id: s.lead_id, model_version: s.model_version, score: s.final_score, band: s.band });
    expect(gist(byCrm)).toEqual(gist(byLead));
  });
});


for (const width of [1280, 400]) {
  test(`the CRM mapping card at ${width} px: nothing wider than the screen, no serious accessibility problem`, async ({
    page,
    request,
  }) => {
    await restoringMapping(request, async () => {
      // A mapping with a field left out, so the marker is on screen too.
      const preset = await putMapping(request, { preset: 'hubspot' });
      const { region: _left, ...fields } = (preset.mapping as Mapping).fields;
      await putMapping(request, { ...(preset.mapping as Mapping), fields });

      await page.setViewportSize({ width, height: 800 });
      await page.goto('/#/admin');
      const card = page.getByTestId('crm-mapping');
      await expect(card.getByTestId('not-mapped')).toHaveText('Not mapped — always missing');
      await expect(card.getByTestId('mapping-coverage')).toHaveText('Not mapped, so always missing: Region.');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      expect(await seriousProblems(page, 'crm-mapping')).toEqual([]);
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, `admin-crm-mapping-${width === 400 ? 'narrow' : 'laptop'}.png`), fullPage: true });

      // The JSON editor fits as well.
      await card.getByRole('button', { name: 'Advanced: edit as JSON' }).click();
      await expect(card.getByLabel('Mapping (JSON)')).toBeVisible();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      expect(await seriousProblems(page, 'crm-mapping')).toEqual([]);
    });
  });
}
