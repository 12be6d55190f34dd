/**
 * The admin page's "Model quality" (the numbers of the serving version's
 * manifest, the tenant's score distribution) and "Hot / Cold thresholds": a
 * tenant's own thresholds move a seeded lead's badge on the queue, its page
 * and its history, and "Use the model's" moves it back. The routing is put
 * back as it was whatever happens: the other specs share this host.
 */
import type { APIRequestContext, Page } from '@playwright/test';

import { formatDecimal, formatPercent } from '../src/lib/lift';
import type { History, ModelList, QueueLead, Routing } from '../src/lib/types';
import { apiJson, BAND_TEXT, expect, openLead, test, treatedLeads } from './fixtures';

const queueRow = (leadId: string) => `[data-testid="queue-row"][data-lead-id="${leadId}"]`;

test('the serving version’s held-out quality, its top features and the tenant’s score distribution', async ({ page, request }) => {
  const list = await apiJson<ModelList>(request, '/models');
  const serving = list.models.find((m) => m.version === list.routing.active)!;
  expect(serving.quality, `${serving.version} ships with held-out metrics`).toBeTruthy();
  const quality = serving.quality!;

  await page.goto('/#/admin');
  const card = page.getByTestId('model-quality');
  await expect(card).toHaveAttribute('data-version', serving.version);
  await expect(card.getByTestId('quality-auc')).toHaveText(formatDecimal(quality.roc_auc, 2));
  await expect(card.getByTestId('quality-base-rate')).toHaveText(formatPercent(quality.base_rate));
  await expect(card.getByTestId('quality-leads')).toContainText(quality.leads.toLocaleString('en-US'));
  await expect(card.getByTestId('quality-leads')).toContainText(`(${quality.won.toLocaleString('en-US')} won)`);
  await expect(card.getByTestId('quality-window')).not.toHaveText('Not recorded');
  await expect(card.getByTestId('calibration-row')).toHaveCount(quality.calibration.length);
  expect(serving.top_features.length).toBeGreaterThan(0);
  const features = card.getByTestId('top-feature');
  await expect(features.locator('.share-bars__label')).toHaveText(serving.top_features.map((f) => f.label));
  await expect(features.getByTestId('top-feature-share')).toHaveText(serving.top_features.map((f) => formatPercent(f.share)));
  const bins = card.getByTestId('distribution-bin');
  await expect(bins).toHaveCount(10);
  expect(await bins.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))))).toEqual(list.score_distribution);
  console.log(
    `${serving.version}: ROC-AUC ${quality.roc_auc} shown as ${formatDecimal(quality.roc_auc, 2)}; top features ${serving.top_features
      .map((f) => `${f.label} ${formatPercent(f.share)}`)
      .join(', ')}; distribution ${list.score_distribution.join(' ')}`,
  );

  // A version without held-out metrics says so.
  const bare = list.models.find((m) => !m.quality);
  if (bare) {
    await card.getByTestId('quality-version').selectOption(bare.version);
    await expect(card.getByTestId('quality-missing')).toHaveText('This model shipped without held-out metrics.');
  }
});

test('a tenant’s own thresholds move a seeded lead’s badge everywhere; the model’s move it back', async ({ page, request }) => {
  const start = await apiJson<Routing>(request, '/models/routing');
  const list = await apiJson<ModelList>(request, '/models');
  const model = list.models.find((m) => m.version === start.active)!.bands;
  expect(start.bands ?? null, 'the tenant starts with the model’s thresholds').toBeNull();
  // A Warm lead (by the model's thresholds) with a score above 0, made Hot by a Hot threshold just under it.
  const leads = (await treatedLeads(request)) as QueueLead[];
  const lead = leads.find((l) => l.band === 'warm' && (l.score ?? 0) > 0)!;
  expect(lead, 'a seeded Warm lead').toBeTruthy();
  const score = lead.score!;
  const bands = { hot: score - 1, cold: Math.min(model.cold, score - 1) };

  try {
    await page.goto('/#/admin');
    const card = page.getByTestId('thresholds');
    await expect(card.getByTestId('thresholds-in-force')).toHaveText(
      `Hot above ${model.hot}, Cold below ${model.cold} — the model’s own (${start.active}).`,
    );

    // Refused by the host: its words, naming the thresholds.
    await card.getByLabel('Hot above').fill('30');
    await card.getByLabel('Cold below').fill('50');
    await card.getByTestId('save-thresholds').click();
    await expect(card.getByTestId('thresholds-error')).toContainText('The thresholds were refused: bands');
    expect((await apiJson<Routing>(request, '/models/routing')).bands ?? null).toBeNull();

    await card.getByLabel('Hot above').fill(String(bands.hot));
    await card.getByLabel('Cold below').fill(String(bands.cold));
    await card.getByTestId('save-thresholds').click();
    await expect(page.getByTestId('admin-notice')).toContainText(`Thresholds saved: Hot above ${bands.hot}, Cold below ${bands.cold}.`);
    await expect(card.getByTestId('thresholds-in-force')).toHaveAttribute('data-source', 'tenant');
    await expect(card.getByTestId('thresholds-error')).toHaveCount(0);
    expect((await apiJson<Routing>(request, '/models/routing')).bands).toEqual(bands);
    // Thresholds are no change of version: nothing to roll back.
    await expect(page.getByTestId('rollback')).toHaveCount(0);

    await expectBand(page, request, lead.lead_id, 'hot');

    await page.goto('/#/admin');
    await page.getByTestId('use-model-thresholds').click();
    await expect(page.getByTestId('thresholds-in-force')).toHaveAttribute('data-source', 'model');
    expect(await apiJson<Routing>(request, '/models/routing')).toEqual(start);

    await expectBand(page, request, lead.lead_id, 'warm');
  } finally {
    await request.put('/models/routing', { data: start });
  }
});

/** The lead's band, by the API, on the queue row, on its page and in its history. */
async function expectBand(
  page: Page,
  request: APIRequestContext,
  leadId: string,
  band: 'hot' | 'warm' | 'cold',
): Promise<void> {
  const listed = ((await treatedLeads(request)) as QueueLead[]).find((l) => l.lead_id === leadId)!;
  expect(listed.band).toBe(band);
  await page.goto('/#/');
  await expect(page.locator(queueRow(leadId)).getByTestId('badge')).toHaveText(BAND_TEXT[band]);
  await openLead(page, leadId);
  await expect(page.getByTestId('score-card').getByTestId('badge')).toHaveText(BAND_TEXT[band]);
  const history = await apiJson<History>(request, `/leads/${leadId}/history`);
  expect(history.points.at(-1)?.band).toBe(band);
  await expect(page.getByTestId('history-points').getByRole('listitem').first()).toContainText(BAND_TEXT[band]);
}
