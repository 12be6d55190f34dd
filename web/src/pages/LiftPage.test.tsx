// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import type { LiftReport } from '../lib/types';
import { apiError, mockFetch } from '../test/fetchMock';
import { LiftPage, weeksFrom } from './LiftPage';
import { DEFAULT_SETTINGS } from '../test/learning';

beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 600 });
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.location.hash = '';
});

const arm = (leads: number, decided: number, won: number, ci: [number, number] | null) => ({
  leads,
  decided,
  won,
  win_rate: decided ? won / decided : null,
  ci,
});

const REPORT: LiftReport = {
  org: 'demo',
  generated_at: Date.UTC(2026, 10, 27),
  settings: DEFAULT_SETTINGS,
  overall: { treated: arm(900, 400, 60, [0.12, 0.19]), control: arm(100, 80, 10, [0.07, 0.21]), lift: 0.21, lift_ci: [0.05, 0.4] },
  weeks: [
    { week_start: '2026-11-16', treated: arm(90, 40, 6, [0.07, 0.29]), control: arm(10, 8, 1, [0.02, 0.47]), lift: 0.2, lift_ci: [-0.5, 2] },
    { week_start: '2026-11-23', treated: arm(80, 30, 6, [0.1, 0.37]), control: arm(9, 0, 0, null), lift: null, lift_ci: null },
  ],
  bands: [
    { band: 'hot', leads: 120, decided: 80, won: 30, win_rate: 0.375, ci: [0.27, 0.49] },
    { band: 'warm', leads: 400, decided: 200, won: 25, win_rate: 0.125, ci: [0.08, 0.18] },
    { band: 'cold', leads: 480, decided: 200, won: 5, win_rate: 0.025, ci: [0.01, 0.06] },
  ],
  auc: { value: 0.81, leads: 480, won: 70 },
  calibration: { brier: 0.07, bins: [{ predicted: 0.05, observed: 0.04, leads: 200 }, { predicted: 0.3, observed: 0.35, leads: 80 }] },
  first_touch: {
    treated: { touched: 300, median_hours: 5.8, hot_median_hours: 1.1 },
    control: { touched: 40, median_hours: 9.5, hot_median_hours: null },
  },
  guardrail: { status: 'waiting', message: 'The guardrail judges lift after 30 days; the experiment has run 12.5.', lift: 0.21, days_running: 12.5, tripped_at: null, routed_to_rules: false },
  drift: {
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
    ],
  },
};

describe('LiftPage', () => {
  it('shows the headline lift, the guardrail, weeks, bands, ranking, first touch and drift', async () => {
    const calls = mockFetch({ 'GET /reports/lift': { body: REPORT }, 'GET /learning/settings': { body: DEFAULT_SETTINGS } });
    render(<LiftPage query={new URLSearchParams()} />);
    const headline = await screen.findByTestId('lift-headline');
    expect(headline.textContent).toBe('Scored leads win 21 % more often (95 % CI 5 % – 40 %)');
    expect(calls.map((c) => c.path)).toContain('/reports/lift?weeks=12');
    expect(screen.getByTestId('lift-certainty').textContent).toContain('unlikely to be chance');
    expect(within(screen.getByTestId('arm-treated')).getByTestId('arm-win-rate').textContent).toBe('15 %');
    expect(within(screen.getByTestId('arm-control')).getByTestId('arm-win-rate').textContent).toBe('13 %');

    const guardrail = screen.getByTestId('guardrail');
    expect(guardrail.dataset.status).toBe('waiting');
    expect(guardrail.getAttribute('role')).toBeNull();
    expect(screen.getByTestId('guardrail-status').textContent).toBe('Waiting');
    expect(screen.getByTestId('guardrail-message').textContent).toBe(REPORT.guardrail.message);

    expect(screen.getByTestId('weekly-chart').querySelector('[role="img"]')?.getAttribute('aria-label')).toContain('treated 15 %');
    expect(screen.getByTestId('weekly-table').querySelectorAll('tbody tr')).toHaveLength(2);

    const bands = screen.getAllByTestId('band-row');
    expect(bands.map((r) => r.dataset.band)).toEqual(['hot', 'warm', 'cold']);
    expect(within(bands[0]).getByTestId('band-win-rate').textContent).toContain('38 %');

    expect(screen.getByTestId('auc').textContent).toContain('0.81');
    expect(screen.getByTestId('brier').textContent).toBe('0.070');
    expect(screen.getByTestId('calibration-chart')).toBeTruthy();

    const touch = (id: string) => screen.getByTestId(id).textContent;
    expect([touch('touch-touched-treated'), touch('touch-touched-control')]).toEqual(['300', '40']);
    expect([touch('touch-median-treated'), touch('touch-median-control')]).toEqual(['5.8 h', '9.5 h']);
    expect([touch('touch-hot-median-treated'), touch('touch-hot-median-control')]).toEqual(['1.1 h', '—']);

    const drift = screen.getAllByTestId('drift-row');
    expect(drift.map((r) => r.dataset.feature)).toEqual(['', 'pricing_page_visits_7d', 'employees']);
    expect(drift.map((r) => r.dataset.alert)).toEqual(['false', 'true', 'false']);
    expect(screen.getByTestId('drift-alert')).toBeTruthy();

    // An admin sees the settings.
    expect(await screen.findByTestId('learning-settings')).toBeTruthy();
  });

  it('puts a guardrail alert first, as an alert', async () => {
    mockFetch({
      'GET /reports/lift': {
        body: {
          ...REPORT,
          guardrail: { ...REPORT.guardrail, status: 'alert', message: 'Lift is +1.0 %, below the floor of +5.0 % after 31 days.', routed_to_rules: true, tripped_at: Date.now() },
        },
      },
      'GET /learning/settings': apiError(403, 'forbidden', 'missing scope crm.admin.models'),
    });
    render(<LiftPage query={new URLSearchParams()} />);
    const guardrail = await screen.findByTestId('guardrail');
    expect(guardrail.getAttribute('role')).toBe('alert');
    expect(guardrail.className).toContain('guardrail--alert');
    expect(screen.getByTestId('guardrail-status').textContent).toBe('Alert');
    expect(screen.getByTestId('guardrail-routed').textContent).toContain('rules-v1');
    // Before the headline.
    expect(guardrail.compareDocumentPosition(screen.getByTestId('lift-overall')) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    // Not an admin: no settings.
    await waitFor(() => expect(screen.queryByTestId('learning-settings')).toBeNull());
  });

  it('says clearly when there is not enough data', async () => {
    mockFetch({
      'GET /reports/lift': {
        body: {
          ...REPORT,
          overall: { treated: arm(12, 0, 0, null), control: arm(0, 0, 0, null), lift: null, lift_ci: null },
          weeks: [],
          auc: null,
          calibration: null,
          drift: null,
        },
      },
    });
    render(<LiftPage query={new URLSearchParams()} />);
    expect((await screen.findByTestId('lift-headline')).textContent).toBe(
      'Not enough data to measure lift yet: no lead has a reported outcome yet.',
    );
    expect(screen.queryByTestId('lift-certainty')).toBeNull();
    expect(screen.getByTestId('auc').textContent).toBe('not enough outcomes yet');
    expect(screen.queryByTestId('weekly-chart')).toBeNull();
    expect(screen.queryByTestId('drift-table')).toBeNull();
  });

  it('asks for the weeks chosen', async () => {
    const calls = mockFetch({ 'GET /reports/lift': { body: REPORT } });
    render(<LiftPage query={new URLSearchParams('weeks=26')} />);
    await screen.findByTestId('lift-headline');
    expect(calls.map((c) => c.path)).toContain('/reports/lift?weeks=26');
    fireEvent.change(screen.getByTestId('lift-weeks'), { target: { value: '52' } });
    expect(window.location.hash).toBe('#/lift?weeks=52');
    expect(weeksFrom(new URLSearchParams('weeks=7'))).toBe(12);
  });
});
