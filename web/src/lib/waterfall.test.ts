import { describe, expect, it } from 'vitest';

import type { Contribution } from './types';
import { buildWaterfall, contributionLabel, formatLogOdds, type Waterfall } from './waterfall';

/** base_value + Σ shap = margin, as the host keeps it. */
function explained(contributions: Contribution[], base = -2.35) {
  return { contributions, base, margin: contributions.reduce((s, c) => s + c.shap, base) };
}

const c = (feature: string, shap: number, extra: Partial<Contribution> = {}): Contribution => ({
  feature,
  value: 1,
  shap,
  ...extra,
});

/** What the picture says: start + Σ bars. */
const drawnTotal = (w: Waterfall) =>
  w.rows.filter((r) => r.kind === 'feature' || r.kind === 'other').reduce((s, r) => s + r.amount, w.rows[0].amount);

describe('buildWaterfall', () => {
  const many = explained(Array.from({ length: 14 }, (_, i) => c(`f${i}`, (i % 2 ? -1 : 1) * (i + 1) * 0.07)));

  it('starts at the average lead, shows the largest |shap| first, folds the rest, ends at this lead', () => {
    const w = buildWaterfall(many.contributions, many.base, many.margin)!;
    expect(w.rows.map((r) => r.kind)).toEqual(['start', ...Array(8).fill('feature'), 'other', 'end']);
    expect(w.rows[0]).toMatchObject({ label: 'Average lead', amount: -2.35, from: 0, to: -2.35 });
    expect(w.rows.at(-1)).toMatchObject({ label: 'This lead', amount: many.margin, from: 0, to: many.margin });
    const shown = w.rows.filter((r) => r.kind === 'feature');
    expect(shown.map((r) => r.label.split(':')[0])).toEqual(['F13', 'F12', 'F11', 'F10', 'F9', 'F8', 'F7', 'F6']);
    expect(w.rows.find((r) => r.kind === 'other')?.label).toBe('All other features (6)');
  });

  it('adds up exactly: start + Σ bars = end, and each bar starts where the last ended', () => {
    const w = buildWaterfall(many.contributions, many.base, many.margin)!;
    expect(drawnTotal(w)).toBeCloseTo(many.margin, 12);
    const steps = w.rows.slice(1, -1);
    expect(steps[0].from).toBe(w.rows[0].to);
    for (let i = 1; i < steps.length; i++) expect(steps[i].from).toBe(steps[i - 1].to);
    expect(steps.at(-1)!.to).toBe(many.margin);
    const other = w.rows.find((r) => r.kind === 'other')!;
    const rest = [0, 1, 2, 3, 4, 5].reduce((s, i) => s + many.contributions[i].shap, 0);
    expect(other.amount).toBeCloseTo(rest, 12);
  });

  it('closes the picture on the margin even when the contributions do not quite sum to it', () => {
    const cs = [c('a', 0.5), c('b', -0.2), c('c', 0.1)];
    const w = buildWaterfall(cs, 0, 1.0, 2)!;
    const other = w.rows.find((r) => r.kind === 'other')!;
    expect(other.amount).toBeCloseTo(0.7, 12); // margin − base − (0.5 − 0.2), not c's 0.1
    expect(drawnTotal(w)).toBeCloseTo(1.0, 12);
  });

  it('leaves "All other features" out only when there are none', () => {
    const few = explained([c('a', 0.5), c('b', -0.2)]);
    expect(buildWaterfall(few.contributions, few.base, few.margin)!.rows.map((r) => r.kind)).toEqual([
      'start',
      'feature',
      'feature',
      'end',
    ]);
    // Remaining features that moved nothing are still "all other features".
    const zeros = explained([c('a', 0.5), c('b', 0), c('c', 0)]);
    const w = buildWaterfall(zeros.contributions, zeros.base, zeros.margin, 1)!;
    expect(w.rows.find((r) => r.kind === 'other')).toMatchObject({ label: 'All other features (2)', amount: 0 });
  });

  it('says so when nothing is left to fold but the numbers do not close', () => {
    const w = buildWaterfall([c('a', 0.5)], 0, 0.8)!;
    expect(w.rows.map((r) => [r.kind, r.label])).toContainEqual(['other', 'Not attributed to a feature']);
    expect(drawnTotal(w)).toBeCloseTo(0.8, 12);
  });

  it('labels each bar with the feature and the lead’s value, falling back to the name and raw value', () => {
    const cs = [
      c('pricing_views_7d', 0.9, { label: 'Pricing page views, last 7 days', display: '5 views', value: 5 }),
      c('region', 0.3, { value: 'north_america' }),
      c('employees', -0.4, { label: 'Employees', display: null, value: null }),
      c('docs_views_30d', -0.2, { label: null, display: '12 views', value: 12 }),
      c('annual_revenue_musd', 0.1, { value: 3.14159 }),
    ];
    const w = buildWaterfall(cs, 0, 0.7)!;
    expect(w.rows.filter((r) => r.kind === 'feature').map((r) => r.label)).toEqual([
      'Pricing page views, last 7 days: 5 views',
      'Employees: missing',
      'Region: north_america',
      'Docs views 30d: 12 views',
      'Annual revenue musd: 3.14',
    ]);
  });

  it('finds a missing base value or margin from the other, and gives up without both', () => {
    const cs = [c('a', 0.5), c('b', -0.2)];
    expect(buildWaterfall(cs, null, 1.3)!.rows[0].amount).toBeCloseTo(1.0, 12);
    expect(buildWaterfall(cs, 1.0, null)!.rows.at(-1)!.amount).toBeCloseTo(1.3, 12);
    expect(buildWaterfall(cs, null, null)).toBeNull();
  });

  it('puts zero and every bar on the axis', () => {
    const w = buildWaterfall(many.contributions, many.base, many.margin)!;
    expect(w.lo).toBeLessThanOrEqual(0);
    expect(w.hi).toBeGreaterThanOrEqual(0);
    for (const r of w.rows) {
      expect(Math.min(r.from, r.to)).toBeGreaterThanOrEqual(w.lo);
      expect(Math.max(r.from, r.to)).toBeLessThanOrEqual(w.hi);
    }
    // Nothing but zeros still has an axis to draw on.
    const flat = buildWaterfall([], 0, 0)!;
    expect(flat.rows.map((r) => r.kind)).toEqual(['start', 'end']);
    expect(flat.hi).toBeGreaterThan(flat.lo);
  });

  it('does not reorder its input', () => {
    const copy = many.contributions.slice();
    buildWaterfall(many.contributions, many.base, many.margin, 3);
    expect(many.contributions).toEqual(copy);
  });
});

describe('formatLogOdds', () => {
  it.each([
    [0.853, '+0.85'],
    [-0.3, '−0.30'],
    [0, '0.00'],
    [-0.001, '0.00'],
    [2.346, '+2.35'],
  ])('%d → %s', (v, text) => {
    expect(formatLogOdds(v)).toBe(text);
  });
});

describe('contributionLabel', () => {
  it('prefers the host’s words', () => {
    expect(contributionLabel(c('uses_competitor', 0.2, { label: 'Uses a competitor', display: 'Yes', value: 'true' }))).toBe(
      'Uses a competitor: Yes',
    );
  });
  it('treats empty words as absent', () => {
    expect(contributionLabel(c('uses_competitor', 0.2, { label: '', display: '', value: 'true' }))).toBe('Uses competitor: true');
  });
});
