import type { ScoreRequest, ScoreRow } from '../src/lib/types';
import { apiJson, BAND_TEXT, expect, openLead, rescoreOnPage, test, treatedLeads } from './fixtures';

test('rescore: PENDING, then SUCCESS, and the new score’s badge', async ({ page, request }) => {
  const leads = await treatedLeads(request);
  const lead = leads[Math.floor(leads.length / 2)];
  const before = await apiJson<ScoreRow>(request, `/leads/${lead.lead_id}/score`);

  await openLead(page, lead.lead_id);
  const posted = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/leads/score');
  const scoring = rescoreOnPage(page);
  const body = (await posted).postDataJSON() as ScoreRequest;
  expect(body.lead_id).toBe(lead.lead_id);
  expect(body.context?.id).toBe(lead.lead_id);
  expect(body.overrides).toEqual({ force_refresh: true });
  await scoring;

  const after = await apiJson<ScoreRow>(request, `/leads/${lead.lead_id}/score`);
  expect(after.request_id).not.toBe(before.request_id);
  const card = page.getByTestId('score-card');
  await expect(card.getByTestId('badge')).toHaveText(BAND_TEXT[after.band]);
  await expect(card.getByTestId('score')).toContainText(String(after.score));
  await expect(card.getByTestId('model-version')).toHaveText(after.model_version);
  await expect(card.getByText('just now')).toBeVisible();
});

test('rescore FAILED shows the reason and a retry', async ({ page, request }) => {
  const [lead] = await treatedLeads(request);
  await page.route(/\/leads\/score\/[^/]+\/status$/, (route) =>
    route.fulfill({
      json: { request_id: 'req_x', lead_id: lead.lead_id, status: 'FAILED', attempts: 3, error: 'model_failed: deadline exceeded' },
    }),
  );
  await openLead(page, lead.lead_id);
  await page.getByTestId('rescore').click();
  const status = page.getByTestId('rescore-status');
  await expect(status.getByText('FAILED')).toBeVisible();
  await expect(status).toContainText('model_failed: deadline exceeded');
  await expect(status.getByTestId('rescore-retry')).toBeVisible();
  // The badge stays.
  await expect(page.getByTestId('score-card').getByTestId('badge')).toBeVisible();

  await page.unroute(/\/leads\/score\/[^/]+\/status$/);
  await status.getByTestId('rescore-retry').click();
  await expect(status.getByText('SUCCESS')).toBeVisible({ timeout: 15_000 });
});

test('a rescore with no answer within 10 s offers a retry, never a blank page', async ({ page, request }) => {
  const [lead] = await treatedLeads(request);
  await page.clock.install();
  await page.route(/\/leads\/score\/[^/]+\/status$/, (route) =>
    route.fulfill({ json: { request_id: 'req_x', lead_id: lead.lead_id, status: 'PENDING', attempts: 1 } }),
  );
  await openLead(page, lead.lead_id);
  await page.getByTestId('rescore').click();
  const status = page.getByTestId('rescore-status');
  await expect(status.getByText('PENDING')).toBeVisible();
  await page.clock.runFor(11_000);
  await expect(status).toHaveAttribute('data-phase', 'timeout');
  await expect(status).toContainText('No answer after 10 seconds');
  await expect(status.getByTestId('rescore-retry')).toBeVisible();
  await expect(page.getByTestId('score-card').getByTestId('badge')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
});
