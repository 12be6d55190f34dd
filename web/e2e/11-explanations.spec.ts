/**
 * The reasons popover on a laptop (1280×800) and a phone-sized window
 * (400×800): the waterfall from "Average lead" to "This lead" is on screen
 * with every bar's label whole, and the chance of closing is beside the
 * badge. Once with what the host sends (a host that does not send the new
 * fields yet gets the fallbacks: feature names, raw values, no ratio), on
 * the lead with the longest labels; once with the host's words set by the
 * test (labels, values as a rep reads them, base rate, data notes): the
 * longest labels the models have, which wrap in a narrow window rather than
 * being cut.
 */
import type { Locator, Page } from '@playwright/test';

import { parseExplanation, readScoreFacts } from '../src/lib/explanation';
import { likelihoodSentence } from '../src/lib/probability';
import type { LeadDetail, Score, ScoreRow } from '../src/lib/types';
import { buildWaterfall } from '../src/lib/waterfall';
import { apiJson, expect, openLead, test, treatedLeads } from './fixtures';

const SIZES = [
  { name: 'laptop', width: 1280, height: 800 },
  { name: 'narrow', width: 400, height: 800 },
];

/**
 * Why an element is not wholly on screen, or null when it is: its box
 * inside the window and inside every ancestor that clips it (the popover's
 * scroll area), and its text not cut short (no overflow, no ellipsis).
 */
function notWhollyShown(locator: Locator): Promise<string | null> {
  return locator.evaluate((el) => {
    const box = el.getBoundingClientRect();
    const inside = (outer: { top: number; left: number; bottom: number; right: number }) =>
      box.top >= outer.top - 0.5 && box.left >= outer.left - 0.5 && box.bottom <= outer.bottom + 0.5 && box.right <= outer.right + 0.5;
    if (box.width === 0 || box.height === 0) return 'has no box';
    if (!inside({ top: 0, left: 0, bottom: window.innerHeight, right: window.innerWidth })) {
      return `is outside the window: ${JSON.stringify(box)}`;
    }
    for (let a = el.parentElement; a; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX !== 'visible' || style.overflowY !== 'visible') {
        if (!inside(a.getBoundingClientRect())) return `is clipped by ${a.className || a.tagName}`;
      }
    }
    const style = getComputedStyle(el);
    if (style.textOverflow === 'ellipsis') return 'may end in an ellipsis';
    if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) return 'has text cut off';
    return null;
  });
}

async function expectWhollyShown(locator: Locator, what: string): Promise<void> {
  expect(await notWhollyShown(locator), `${what} ${await locator.textContent()}`).toBeNull();
}

/** The labels the waterfall should show for a stored score, in order. */
function expectedLabels(score: ScoreRow): string[] {
  const explanation = parseExplanation(score.explanation);
  if (!explanation.available) throw new Error(`${score.lead_id}: no explanation`);
  const waterfall = buildWaterfall(explanation.contributions, explanation.baseValue, explanation.margin);
  if (!waterfall) throw new Error(`${score.lead_id}: no base value or margin`);
  return waterfall.rows.map((r) => r.label);
}

/** Opens the popover (pinned) and checks everything in it, from the start bar to the end bar, can be seen whole. */
async function checkPopover(page: Page, score: ScoreRow, size: (typeof SIZES)[number]): Promise<void> {
  const card = page.getByTestId('score-card');
  const likelihood = likelihoodSentence(readScoreFacts(score));
  expect(likelihood).not.toBeNull();

  // The chance of closing, beside the badge, before anything is opened.
  const sentence = card.getByTestId('likelihood');
  await expect(sentence).toHaveText(likelihood!);
  await expectWhollyShown(sentence, 'the probability sentence');
  const badge = await card.getByTestId('badge').boundingBox();
  const line = await sentence.boundingBox();
  expect(line!.y - (badge!.y + badge!.height), 'the sentence sits right under the badge').toBeLessThan(24);

  await page.getByTestId('why-button').click();
  const popover = page.getByTestId('reasons-popover');
  await expect(popover).toBeVisible();
  await expect(popover.getByTestId('popover-likelihood')).toHaveText(likelihood!);
  await expect(popover.getByTestId('chart-units')).toContainText('log-odds');
  await expectWhollyShown(popover, 'the popover');

  const rows = popover.getByTestId('waterfall-row');
  const labels = popover.getByTestId('waterfall-label');
  const expected = expectedLabels(score);
  await expect(labels).toHaveText(expected);
  await expect(rows.first()).toHaveAttribute('data-kind', 'start');
  await expect(labels.first()).toHaveText('Average lead');
  await expect(rows.last()).toHaveAttribute('data-kind', 'end');
  await expect(labels.last()).toHaveText('This lead');

  if (size.width >= 1280) {
    // On a laptop it all fits: "This lead" is on screen without scrolling anything.
    await expectWhollyShown(rows.last(), 'the end bar');
    const body = popover.locator('.popover__body');
    expect(await body.evaluate((b) => b.scrollHeight - b.clientHeight), 'the popover has nothing to scroll').toBeLessThanOrEqual(1);
  }
  for (let i = 0; i < expected.length; i++) {
    await labels.nth(i).scrollIntoViewIfNeeded();
    await expectWhollyShown(labels.nth(i), `bar ${i}:`);
  }
  // Only the popover's own area scrolled, not the page.
  expect(await page.evaluate(() => window.scrollY)).toBe(0);

  // Screen readers get the same steps, in the same order.
  const table = popover.getByTestId('waterfall-table');
  await expect(table.locator('tbody th')).toHaveText(expected);
}

for (const size of SIZES) {
  test(`the waterfall and the chance of closing fit at ${size.width}×${size.height}`, async ({ page, request }) => {
    const scores = await Promise.all(
      (await treatedLeads(request)).map((l) => apiJson<ScoreRow>(request, `/leads/${encodeURIComponent(l.lead_id)}/score`)),
    );
    const longest = (s: ScoreRow) => Math.max(...expectedLabels(s).map((l) => l.length));
    const score = scores.reduce((a, b) => (longest(b) > longest(a) ? b : a));
    await page.setViewportSize({ width: size.width, height: size.height });
    await openLead(page, score.lead_id);
    await checkPopover(page, score, size);
  });

  test(`with the host's words (labels, values, base rate, notes) it still fits at ${size.width}×${size.height}`, async ({
    page,
    request,
  }) => {
    const [lead] = await treatedLeads(request);
    const path = `/leads/${encodeURIComponent(lead.lead_id)}`;
    const detail = await apiJson<LeadDetail>(request, path);
    const score = withWords(detail.score!);
    await page.route(
      (url) => url.pathname === path,
      (route) => route.fulfill({ json: { ...detail, score } }),
    );
    await page.setViewportSize({ width: size.width, height: size.height });
    await openLead(page, lead.lead_id);
    await expect(page.getByTestId('data-notes').getByRole('listitem')).toHaveText([NOTE]);
    await expect(page.getByTestId('data-completeness')).toHaveText('80 % of the signals this model uses');
    await checkPopover(page, score, size);
  });
}

const NOTE = 'Industry “aerospace” is new to this model: read as unknown';

/** The longest labels and values of models/v12, as a rep reads them. */
const WORDS: [string, string][] = [
  ['Marketing emails clicked, last 30 days', '12 clicks'],
  ['Documentation views, last 30 days', '27 views'],
  ['Job openings viewed, last 90 days', '3 views'],
  ['Pricing page views, last 30 days', '14 views'],
  ['Marketing emails opened, last 30 days', '1 email'],
  ['Webinar minutes, last 90 days', '125 minutes'],
  ['Case studies read, last 30 days', 'None'],
  ['Last email click', '3 days ago'],
  ['Region', 'North America'],
];

/** A stored score as a newer host writes it: every contribution with a long label and its value in words. */
function withWords(row: ScoreRow): ScoreRow {
  const explanation = row.explanation as Score;
  return {
    ...row,
    data_completeness: 0.8,
    explanation: {
      ...explanation,
      base_rate: 0.044,
      vs_base_rate: row.probability / 0.044,
      data_completeness: 0.8,
      notes: [{ kind: 'unseen_category', feature: 'industry', field: 'industry', value: 'aerospace', text: NOTE }],
      contributions: (explanation.contributions ?? []).map((c, i) => ({
        ...c,
        label: WORDS[i % WORDS.length][0],
        display: WORDS[i % WORDS.length][1],
      })),
    },
  };
}
