import type { ScoreRow } from '../src/lib/types';
import { allLeads, apiJson, BAND_TEXT, CONTROL_PILL_TEXT, expect, leadUrl, test } from './fixtures';

test('every lead: the badge on the queue and on the detail page equals the stored band (the control group: the pill)', async ({
  page,
  request,
  host,
}) => {
  const all = await allLeads(request);
  expect(all).toHaveLength(host.leads);
  // Leads in the control group show no score anywhere: the pill instead (see 09-control-group).
  const leads = all.filter((l) => l.control_group !== true);
  const control = all.filter((l) => l.control_group === true);

  await page.goto('/#/');
  const rows = page.getByTestId('queue-row');
  await expect(rows).toHaveCount(host.leads);

  // Scored leads hottest first, then the control group, as the API sorts.
  const shown = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-lead-id')));
  expect(shown).toEqual(all.map((l) => l.lead_id));
  expect(all.slice(leads.length).every((l) => l.control_group === true)).toBe(true);
  const scores = leads.map((l) => l.score ?? -1);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));

  for (const lead of control) {
    const row = page.locator(`[data-testid="queue-row"][data-lead-id="${lead.lead_id}"]`);
    await expect(row.getByTestId('control-pill')).toHaveText(CONTROL_PILL_TEXT);
    await expect(row.getByTestId('badge')).toHaveCount(0);
  }

  let matches = 0;
  const stored = new Map<string, ScoreRow>();
  for (const lead of leads) {
    const score = await apiJson<ScoreRow>(request, `/leads/${encodeURIComponent(lead.lead_id)}/score`);
    stored.set(lead.lead_id, score);
    const row = page.locator(`[data-testid="queue-row"][data-lead-id="${lead.lead_id}"]`);
    await expect(row.getByTestId('badge')).toHaveText(BAND_TEXT[score.band]);
    await expect(row.getByTestId('queue-score')).toContainText(String(score.score));
    matches++;
  }

  for (const lead of leads) {
    const score = stored.get(lead.lead_id)!;
    await page.goto(leadUrl(lead.lead_id));
    const card = page.getByTestId('score-card');
    await expect(card.getByTestId('badge')).toHaveText(BAND_TEXT[score.band]);
    await expect(card.getByTestId('score')).toContainText(String(score.score));
    // data_completeness is new; an older host sends only confidence, which means the same.
    await expect(card.getByTestId('data-completeness')).toHaveText(
      `${Math.round((score.data_completeness ?? score.confidence) * 100)} % of the signals this model uses`,
    );
    await expect(card.getByTestId('model-version')).toHaveText(score.model_version);
    matches++;
  }
  for (const lead of control) {
    await page.goto(leadUrl(lead.lead_id));
    const card = page.getByTestId('score-card');
    await expect(card.getByTestId('control-pill')).toHaveText(CONTROL_PILL_TEXT);
    await expect(card.getByTestId('badge')).toHaveCount(0);
  }
  console.log(`badge = stored band: ${matches}/${2 * leads.length} (100 %); control-group pill: ${control.length} leads`);
});

test('filter by band, search, paging summary and keyboard navigation', async ({ page, request }) => {
  const leads = await allLeads(request);
  const hot = leads.filter((l) => l.band === 'hot');

  await page.goto('/#/');
  await expect(page.getByTestId('queue-row')).toHaveCount(leads.length);

  await page.getByTestId('filter-hot').click();
  await expect(page).toHaveURL(/band=hot/);
  await expect(page.getByTestId('queue-row')).toHaveCount(hot.length);
  for (const badge of await page.getByTestId('queue-row').getByTestId('badge').all()) {
    await expect(badge).toHaveText('Hot');
  }

  await page.getByTestId('filter-all').click();
  await expect(page.getByTestId('queue-row')).toHaveCount(leads.length);

  // Debounced search on name or company.
  const target = leads[leads.length - 1];
  const term = (target.company ?? target.name ?? '').split(' ')[0];
  const expected = leads.filter((l) =>
    [l.name, l.company].some((v) => v?.toLowerCase().includes(term.toLowerCase())),
  );
  await page.getByTestId('search').fill(term);
  await expect(page).toHaveURL(new RegExp(`q=${encodeURIComponent(term)}`));
  await expect(page.getByTestId('queue-row')).toHaveCount(expected.length);
  await expect(page.getByTestId('queue-total')).toContainText(`${expected.length}`);

  await page.getByTestId('search').fill('no such lead anywhere');
  await expect(page.getByTestId('empty')).toContainText('No leads match');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(page.getByTestId('queue-row')).toHaveCount(leads.length);

  // Rows are links: Tab reaches them, ↓ moves, Enter opens.
  const first = page.getByTestId('queue-row').first();
  await first.focus();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByTestId('queue-row').nth(1)).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`#/leads/${leads[1].lead_id}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(leads[1].name ?? leads[1].lead_id);

  // Back to the queue keeps working from the page's own link.
  await page.getByRole('link', { name: 'Work queue' }).first().click();
  await expect(page.getByTestId('queue-row')).toHaveCount(leads.length);
});

test('paging: limit and offset follow the pages', async ({ page }) => {
  const total = 30;
  await page.route((url) => url.pathname === '/leads', async (route) => {
    const url = new URL(route.request().url());
    const limit = Number(url.searchParams.get('limit'));
    const offset = Number(url.searchParams.get('offset'));
    const leads = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => ({
      lead_id: `lead-p${offset + i}`,
      name: `Person ${offset + i}`,
      company: 'Paging Inc',
      score: 99 - offset - i,
      band: 'hot',
      scored_at: Date.now() - 60_000,
    }));
    await route.fulfill({ json: { leads, total, limit, offset } });
  });
  await page.goto('/#/');
  await expect(page.getByTestId('queue-row')).toHaveCount(25);
  await expect(page.getByText('1–25 of 30')).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByTestId('queue-row')).toHaveCount(5);
  await expect(page.getByText('26–30 of 30')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Next' })).toBeDisabled();
});
