import { describe, expect, it } from 'vitest';

import type { Arm, Comparison, DriftReport } from './types';
import { driftRows, formatHours, formatInterval, formatPercent, liftHeadline, weekLabel, weeklyPoints } from './lift';

const arm = (won: number, decided: number, leads = decided, ci: [number, number] | null = null): Arm => ({
  leads,
  decided,
  won,
  win_rate: decided > 0 ? won / decided : null,
  ci,
});

const comparison = (over: Partial<Comparison>): Comparison => ({
  treated: arm(60, 400, 900, [0.12, 0.19]),
  control: arm(10, 80, 100, [0.07, 0.2]),
  lift: null,
  lift_ci: null,
  ...over,
});

describe('formatPercent', () => {
  it('reads shares as percents, with one decimal under 10 %', () => {
    expect(formatPercent(0.21)).toBe('21 %');
    expect(formatPercent(0.375)).toBe('38 %');
    expect(formatPercent(0.045)).toBe('4.5 %');
    expect(formatPercent(0.05)).toBe('5 %');
    expect(formatPercent(1)).toBe('100 %');
    expect(formatPercent(0)).toBe('0 %');
  });

  it('signs losses with a minus, gains with a plus only when asked', () => {
    expect(formatPercent(-0.12)).toBe('−12 %');
    expect(formatPercent(0.12, { signed: true })).toBe('+12 %');
    expect(formatPercent(-0.0001, { signed: true })).toBe('0 %');
  });

  it('says "—" for no number', () => {
    expect(formatPercent(null)).toBe('—');
    expect(formatPercent(undefined)).toBe('—');
    expect(formatPercent(Number.NaN)).toBe('—');
  });
});

describe('formatInterval', () => {
  it('joins the two ends with an en dash', () => {
    expect(formatInterval([0.05, 0.4])).toBe('5 % – 40 %');
    expect(formatInterval([-0.1, 0.35])).toBe('−10 % – 35 %');
    expect(formatInterval(null)).toBe('—');
  });
});

describe('liftHeadline', () => {
  it('says how much more often scored leads win, with the interval', () => {
    const h = liftHeadline(comparison({ lift: 0.21, lift_ci: [0.05, 0.4] }));
    expect(h).toEqual({ kind: 'more', text: 'Scored leads win 21 % more often (95 % CI 5 % – 40 %)', clear: true });
  });

  it('says "less often" for a negative lift, and whether the interval includes zero', () => {
    const h = liftHeadline(comparison({ lift: -0.12, lift_ci: [-0.3, 0.08] }));
    expect(h).toEqual({ kind: 'less', text: 'Scored leads win 12 % less often (95 % CI −30 % – 8 %)', clear: false });
  });

  it('leaves the interval out when there is none', () => {
    expect(liftHeadline(comparison({ lift: 0.3 })).text).toBe('Scored leads win 30 % more often');
  });

  it('says "about as often" for a lift that rounds to zero', () => {
    expect(liftHeadline(comparison({ lift: 0.0004, lift_ci: [-0.2, 0.2] })).kind).toBe('same');
  });

  it('says clearly when there is not enough data, and why', () => {
    const none = comparison({ treated: arm(0, 0, 10), control: arm(0, 0, 1) });
    expect(liftHeadline(none)).toEqual({
      kind: 'insufficient',
      text: 'Not enough data to measure lift yet: no lead has a reported outcome yet.',
    });
    expect(liftHeadline(comparison({ control: arm(0, 0, 0) })).text).toContain('the control group has no leads yet');
    expect(liftHeadline(comparison({ control: arm(0, 0, 5) })).text).toContain('no lead in the control group has an outcome');
    expect(liftHeadline(comparison({ treated: arm(0, 0, 5) })).text).toContain('no scored lead has an outcome');
    expect(liftHeadline(comparison({ control: arm(0, 12, 20) })).text).toContain('no lead in the control group has been won');
  });
});

describe('formatHours', () => {
  it('picks minutes, hours or days', () => {
    expect(formatHours(0.25)).toBe('15 min');
    expect(formatHours(0.001)).toBe('1 min');
    expect(formatHours(1.1)).toBe('1.1 h');
    expect(formatHours(5.0)).toBe('5 h');
    expect(formatHours(30.4)).toBe('30 h');
    expect(formatHours(84)).toBe('3.5 days');
    expect(formatHours(24 * 400)).toBe(`${(400).toLocaleString()} days`);
    expect(formatHours(null)).toBe('—');
  });
});

describe('weekly chart points', () => {
  const weeks = [
    { week_start: '2026-11-09', ...comparison({}) },
    { week_start: '2026-11-16', treated: arm(3, 10, 10, [0.1, 0.6]), control: arm(0, 0, 2), lift: null, lift_ci: null },
  ];

  it('has one point per week with a win rate, as percents, nudged to its side', () => {
    const treated = weeklyPoints(weeks, 'treated', -0.12);
    expect(treated.map((p) => p.x)).toEqual([-0.12, 0.88]);
    expect(treated[1]).toMatchObject({ week: '2026-11-16', rate: 30, low: 10, high: 60, won: 3, decided: 10 });
    expect(treated[1].error[0]).toBeCloseTo(20);
    expect(treated[1].error[1]).toBeCloseTo(30);
    // The control group had no outcome in the second week: no point.
    expect(weeklyPoints(weeks, 'control', 0.12).map((p) => p.week)).toEqual(['2026-11-09']);
  });

  it('labels weeks by their Monday', () => {
    expect(weekLabel('2026-11-23')).toMatch(/23/);
    expect(weekLabel('2026-11-23', { year: true })).toMatch(/2026/);
    expect(weekLabel('not a date')).toBe('not a date');
  });
});

describe('driftRows', () => {
  const drift: DriftReport = {
    version: 'v12',
    window_days: 7,
    min_leads: 100,
    score_alert: false,
    leads: 340,
    threshold: 0.2,
    alert: true,
    score_psi: 0.03,
    features: [
      { feature: 'employees', psi: 0.05, alert: false },
      { feature: 'pricing_page_visits_7d', psi: 0.41, alert: true },
      { feature: 'industry', psi: 0.01, alert: false },
      { feature: 'email_opens_30d', psi: 0.21, alert: true },
      { feature: 'annual_revenue', psi: 0.05, alert: false },
    ],
  };

  it('puts the score first, then features by PSI, largest first', () => {
    const rows = driftRows(drift);
    expect(rows.map((r) => r.key)).toEqual([
      '(score)',
      'pricing_page_visits_7d',
      'email_opens_30d',
      'annual_revenue',
      'employees',
      'industry',
    ]);
    expect(rows[0]).toMatchObject({ label: 'Score', feature: null, psi: 0.03, alert: false });
    expect(rows.filter((r) => r.alert).map((r) => r.key)).toEqual(['pricing_page_visits_7d', 'email_opens_30d']);
  });

  it('flags the score as the host judged it (above the threshold, with enough leads)', () => {
    expect(driftRows({ ...drift, score_psi: 0.25, score_alert: true, features: [] })).toEqual([
      { key: '(score)', label: 'Score', feature: null, psi: 0.25, alert: true },
    ]);
    expect(driftRows({ ...drift, score_psi: 0.25, leads: 40, features: [] })[0]).toMatchObject({ alert: false });
    expect(driftRows({ ...drift, score_psi: null, features: [] })[0]).toMatchObject({ psi: null, alert: false });
  });
});
