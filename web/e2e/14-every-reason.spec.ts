/**
 * Every reason on every seeded lead reads right, both ways, as the host
 * stores it (`GET /leads/{id}/score`) and as the popover lists it under
 * "Raising the score" and "Holding it back": a capital letter first, no
 * template braces, no feature names (`_`), no "true"/"false", no bare "0",
 * no "1" with a plural, no fractional days, and no "job seeker" among the
 * reasons that raise the score. Each contribution's `display` (the value as
 * a rep reads it, in the waterfall) is held to the same rules where they
 * apply to a value; a value may be 0: it is the lead's value, not a cause.
 */
import type { Page } from '@playwright/test';

import type { Contribution, Reason, Score, ScoreRow } from '../src/lib/types';
import { allLeads, apiJson, expect, openLead, test } from './fixtures';

/** Plurals a "1" must not be counted with ("1 times", "1 recent visits"). */
const PLURALS = new Set([
  'times',
  'visits',
  'views',
  'requests',
  'employees',
  'minutes',
  'days',
  'emails',
  'webinars',
  'clicks',
  'opens',
  'calls',
  'forms',
  'pages',
]);

/** The words of a text, without the punctuation around them. */
function words(text: string): string[] {
  return text
    .split(/\s+/)
    .map((w) => w.replace(/^[("“'‘]+|[)"”'’.,;:!?]+$/g, ''))
    .filter(Boolean);
}

/** What reads wrong in a reason's sentence (empty when it reads right). */
function sentenceProblems(text: string, direction: Reason['direction']): string[] {
  const problems = valueProblems(text);
  if (!/^[A-Z]/.test(text)) problems.push('does not start with a capital letter');
  if (words(text).some((w) => w === '0' || w === '0.0')) problems.push('says "0"');
  if (direction === 'up' && /job seeker/i.test(text)) problems.push('calls a lead that raises the score a job seeker');
  return problems;
}

/**
 * What reads wrong in a value as a rep reads it ("4,492 employees", "Yes",
 * "North America", "24 days ago", "$547.5M"). A value may start with a
 * number or a currency sign; one that starts with a letter starts with a
 * capital.
 */
function valueProblems(text: string): string[] {
  const problems: string[] = [];
  if (/^[a-z]/.test(text)) problems.push('starts with a small letter');
  if (/[{}]/.test(text)) problems.push('has a template brace');
  if (text.includes('_')) problems.push('has an underscore (a feature or category name)');
  if (/\b(true|false)\b/i.test(text)) problems.push('says true/false');
  const w = words(text);
  w.forEach((word, i) => {
    if (word === '1' && w.slice(i + 1, i + 4).some((next) => PLURALS.has(next.toLowerCase()))) {
      problems.push(`counts 1 with a plural ("${w.slice(i, i + 4).join(' ')}")`);
    }
  });
  if (/\d+\.\d+\s+days?\b/.test(text)) problems.push('has fractional days');
  return problems;
}

interface Stored {
  leadId: string;
  modelVersion: string;
  reasons: Reason[];
  contributions: Contribution[];
}

/** Every seeded lead's stored score, read as the popover reads it. */
async function seededScores(request: Parameters<typeof apiJson>[0], holdout: string[], seeded: number): Promise<Stored[]> {
  const leads = (await allLeads(request)).filter((l) => !holdout.includes(l.lead_id));
  expect(leads, 'every seeded lead is listed').toHaveLength(seeded);
  const stored: Stored[] = [];
  for (const lead of leads) {
    const row = await apiJson<ScoreRow>(request, `/leads/${encodeURIComponent(lead.lead_id)}/score`);
    expect(typeof row.explanation, `${lead.lead_id}: a readable explanation`).toBe('object');
    const score = row.explanation as Score;
    stored.push({
      leadId: lead.lead_id,
      modelVersion: row.model_version,
      reasons: score.reasons ?? [],
      contributions: score.contributions ?? [],
    });
  }
  return stored;
}

test('every reason and every value on every seeded lead reads right, both ways', async ({ request, host }) => {
  const scores = await seededScores(request, host.holdout, host.seeded);
  const failures: string[] = [];
  let reasons = 0;
  let values = 0;
  const directions = { up: 0, down: 0 };
  let bothWays = 0;
  for (const s of scores) {
    for (const r of s.reasons) {
      reasons++;
      directions[r.direction]++;
      for (const p of sentenceProblems(r.text, r.direction)) failures.push(`${s.leadId} (${s.modelVersion}) ${r.direction} "${r.text}": ${p}`);
    }
    if (s.reasons.some((r) => r.direction === 'up') && s.reasons.some((r) => r.direction === 'down')) bothWays++;
    for (const c of s.contributions) {
      if (c.display == null) continue;
      values++;
      for (const p of valueProblems(c.display)) failures.push(`${s.leadId} (${s.modelVersion}) ${c.feature} = "${c.display}": ${p}`);
    }
  }
  console.log(
    `${scores.length} seeded leads: ${reasons} reasons (${directions.up} up, ${directions.down} down; both ways on ${bothWays} leads), ${values} values; ${failures.length} read wrong`,
  );
  expect(failures).toEqual([]);
  expect(directions.up).toBeGreaterThan(0);
  expect(directions.down).toBeGreaterThan(0);
  expect(bothWays, 'leads with reasons both ways').toBeGreaterThan(0);
  expect(values, 'the host writes the values as a rep reads them').toBeGreaterThan(0);
});

test('the popover lists the stored reasons under their headings, both ways', async ({ page, request, host }) => {
  const scores = await seededScores(request, host.holdout, host.seeded);
  // The first, a middle and the last lead of the queue, and one with reasons both ways.
  const picks = [scores[0], scores[Math.floor(scores.length / 2)], scores[scores.length - 1]];
  const both = scores.find((s) => s.reasons.some((r) => r.direction === 'up') && s.reasons.some((r) => r.direction === 'down'));
  if (both && !picks.includes(both)) picks.push(both);
  for (const s of picks) await checkPopover(page, s);
});

async function checkPopover(page: Page, stored: Stored): Promise<void> {
  await openLead(page, stored.leadId);
  await page.getByTestId('why-button').click();
  const popover = page.getByTestId('reasons-popover');
  await expect(popover).toBeVisible();
  for (const direction of ['up', 'down'] as const) {
    const expected = stored.reasons.filter((r) => r.direction === direction).map((r) => r.text);
    const list = popover.getByTestId(`reasons-${direction}`);
    if (expected.length === 0) {
      await expect(list).toHaveCount(0);
      continue;
    }
    await expect(list.locator('.reason__text'), `${stored.leadId} ${direction}`).toHaveText(expected);
    await expect(list.locator('.reason__arrow')).toHaveText(expected.map(() => (direction === 'up' ? '↑' : '↓')));
  }
  await page.keyboard.press('Escape');
}

test('the lead details name the fields the model reads as the reasons do', async ({ page, request, host }) => {
  const scores = await seededScores(request, host.holdout, host.seeded);
  const read = scores[0].contributions.filter((c) => c.field && c.value !== null && c.label && c.display);
  expect(read.length, 'the model reads some lead fields').toBeGreaterThan(0);
  await openLead(page, scores[0].leadId);
  const fields = page.getByTestId('fields');
  for (const c of read) {
    const row = fields.locator('.fields__row', { has: page.locator('dt', { hasText: c.label! }) });
    await expect(row.locator('dd'), `${c.feature} (${c.field})`).toHaveText(c.display!);
  }
});
