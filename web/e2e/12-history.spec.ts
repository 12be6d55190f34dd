/**
 * Where a lead's score is going, and why it moved: the trend on every queue
 * row, a lead rescored with more activity getting a trend and a sparkline on
 * the queue and its page, and "What changed since …" after a rescore with
 * three more views of the pricing page — its parts adding up exactly.
 * The global setup scores each seeded lead once, so most leads start with
 * "not enough history".
 */
import type { Changes, History, LeadRow, QueueLead } from '../src/lib/types';
import { formatDelta, isRoundingPart } from '../src/lib/history';
import {
  allLeads,
  apiJson,
  contextWith,
  expect,
  openLead,
  pricingViews,
  rescoreOnPage,
  scoreViaApi,
  test,
  treatedLeads,
} from './fixtures';

const queueRow = (leadId: string) => `[data-testid="queue-row"][data-lead-id="${leadId}"]`;

async function history(request: Parameters<typeof apiJson>[0], leadId: string): Promise<History> {
  return apiJson<History>(request, `/leads/${encodeURIComponent(leadId)}/history`);
}

/**
 * Treated leads with a single scoring and room to rise (below 90), hottest
 * first: rescoring them with more activity starts their history. Leads other
 * specs rescore or corrupt are fine too, just less telling.
 */
async function freshLeads(request: Parameters<typeof apiJson>[0]): Promise<QueueLead[]> {
  const leads = (await treatedLeads(request)) as QueueLead[];
  const fresh = leads.filter((l) => l.trend === 'not_enough_history' && (l.score ?? 100) < 90);
  return fresh.length >= 2 ? fresh : leads.filter((l) => (l.score ?? 100) < 90);
}

test('every queue row shows its trend; a lead rescored with more activity gets one, with a sparkline, on the queue and its page', async ({
  page,
  request,
}) => {
  const leads = (await allLeads(request)) as QueueLead[];
  await page.goto('/#/');
  await expect(page.getByTestId('queue-row')).toHaveCount(leads.length);
  for (const lead of leads) {
    const row = page.locator(queueRow(lead.lead_id));
    if (lead.control_group === true) {
      await expect(row.getByTestId('trend')).toHaveCount(0);
      continue;
    }
    await expect(row.getByTestId('trend')).toHaveAttribute('data-trend', lead.trend ?? '');
    // Sparklines start at two scores.
    await expect(row.getByTestId('sparkline')).toHaveCount(lead.recent_scores.length > 1 ? 1 : 0);
    if (lead.top_reason) {
      await expect(row.getByTestId('top-reason')).toHaveAttribute('title', lead.top_reason);
      await expect(row.getByTestId('top-reason')).toContainText(lead.top_reason);
    }
  }
  const counts = leads.reduce<Record<string, number>>((c, l) => ({ ...c, [l.trend ?? 'none']: (c[l.trend ?? 'none'] ?? 0) + 1 }), {});
  console.log(`trends on the queue: ${JSON.stringify(counts)}`);

  // Three more views of the pricing page just before its as-of time: the score moves.
  const [lead] = await freshLeads(request);
  const before = await history(request, lead.lead_id);
  await scoreViaApi(request, lead.lead_id, await contextWith(request, lead.lead_id, (c) => pricingViews(c.as_of)));

  const after = (await allLeads(request)).find((l) => l.lead_id === lead.lead_id) as QueueLead;
  expect(after.trend).not.toBe('not_enough_history');
  expect(after.recent_scores.length).toBeGreaterThanOrEqual(2);
  console.log(`${lead.lead_id}: ${lead.score} → ${after.score}, trend ${after.trend}, recent scores ${after.recent_scores.join(', ')}`);

  await page.reload(); // the same hash: a goto would not load the queue again
  const row = page.locator(queueRow(lead.lead_id));
  await expect(row.getByTestId('trend')).toHaveAttribute('data-trend', after.trend!);
  await expect(row.getByTestId('sparkline')).toHaveAttribute('data-points', String(after.recent_scores.length));
  await expect(row.getByTestId('sparkline')).toBeVisible();

  const now = await history(request, lead.lead_id);
  expect(now.points.length).toBe(before.points.length + 1);
  await openLead(page, lead.lead_id);
  const card = page.getByTestId('score-history');
  await expect(card.getByTestId('lead-trend')).toHaveAttribute('data-trend', now.trend);
  await expect(card.getByTestId('history-sparkline')).toHaveAttribute('data-points', String(now.points.length));
  await expect(card.getByTestId('history-points').getByRole('listitem')).toHaveCount(Math.min(5, now.points.length));
  // Newest first: the score the card above shows.
  await expect(card.getByTestId('history-points').getByRole('listitem').first()).toContainText(String(after.score));
});

test('a lead scored once: no earlier score to compare with yet', async ({ page, request }) => {
  const leads = await treatedLeads(request);
  let once: LeadRow | null = null;
  for (const l of leads) {
    if ((await history(request, l.lead_id)).points.length === 1) {
      once = l;
      break;
    }
  }
  test.skip(once === null, 'every lead has been rescored by now');
  const response = await request.get(`/leads/${once!.lead_id}/changes`);
  expect(response.status()).toBe(404);
  await openLead(page, once!.lead_id);
  await expect(page.getByTestId('changes').getByTestId('changes-empty')).toHaveText('No earlier score to compare with yet');
  await expect(page.getByTestId('score-history').getByTestId('lead-trend')).toHaveAttribute('data-trend', 'not_enough_history');
});

test('what changed after three more pricing page views: the parts, their signed deltas, and a sum that closes exactly', async ({
  page,
  request,
}) => {
  const [, lead] = await freshLeads(request);
  await openLead(page, lead.lead_id);

  const context = await contextWith(request, lead.lead_id, (c) => pricingViews(c.as_of, 3));
  const scored = await scoreViaApi(request, lead.lead_id, context);

  const changes = await apiJson<Changes>(request, `/leads/${lead.lead_id}/changes`);
  expect(changes.to.request_id).toBe(scored.request_id);
  const sum = changes.parts.reduce((s, p) => s + p.delta, 0);
  const move = changes.to.margin - changes.from.margin;
  console.log(
    `${lead.lead_id}: score ${changes.from.score} → ${changes.to.score}; Σ ${changes.parts.length} deltas ${sum} = ${move} (off by ${Math.abs(sum - move)})`,
  );
  expect(Math.abs(sum - move)).toBeLessThanOrEqual(1e-9);
  const pricing = changes.parts.filter((p) => /pricing/i.test(p.text) && p.text.includes('(+3)'));
  expect(pricing.length, JSON.stringify(changes.parts.map((p) => p.text))).toBeGreaterThan(0);

  await page.reload();
  const panel = page.getByTestId('changes');
  await expect(panel.getByTestId('changes-title')).toHaveText(/^What changed since /);
  await expect(panel.getByTestId('changes-score')).toContainText(`Score ${changes.from.score} → ${changes.to.score}`);
  // Every part, the largest first (the rest behind "Show all").
  const showAll = panel.getByTestId('changes-show-all');
  if (await showAll.isVisible()) await showAll.click();
  const rows = changes.parts.filter((p) => !isRoundingPart(p));
  const models = rows.filter((p) => p.kind === 'model');
  const expected = [...models, ...rows.filter((p) => p.kind !== 'model')];
  const shown = panel.getByTestId('change-part');
  await expect(shown).toHaveCount(expected.length);
  await expect(shown.locator('.change-list__text')).toHaveText(expected.map((p) => p.text));
  await expect(shown.getByTestId('change-delta')).toHaveText(expected.map((p) => formatDelta(p.delta)));
  for (const text of await shown.getByTestId('change-delta').allTextContents()) expect(text).toMatch(/^[+−]\d/);
  const part = shown.filter({ hasText: pricing[0].text });
  await expect(part.getByTestId('change-delta')).toHaveText(formatDelta(pricing[0].delta));
  await expect(part.getByTestId('change-delta')).toHaveClass(pricing[0].delta > 0 ? /change-delta--up/ : /change-delta--down/);
  await expect(panel.getByTestId('changes-units')).toContainText('In log-odds; the parts add up exactly to the change.');
  const rounding = changes.parts.find(isRoundingPart);
  if (rounding) await expect(panel.getByTestId('changes-rounding')).toContainText(rounding.text);

  // A rescore from the page: the panel moves on to the newest change, the history to one more point.
  const points = (await history(request, lead.lead_id)).points.length;
  await rescoreOnPage(page);
  const next = await apiJson<Changes>(request, `/leads/${lead.lead_id}/changes`);
  expect(next.from.request_id).toBe(changes.to.request_id);
  await expect(panel.getByTestId('changes-score')).toContainText(`Score ${next.from.score} → ${next.to.score}`);
  await expect(page.getByTestId('score-history').getByTestId('history-sparkline')).toHaveAttribute('data-points', String(points + 1));
});
