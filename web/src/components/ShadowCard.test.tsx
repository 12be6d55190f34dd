// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { ModelInfo, Routing, ShadowReport } from '../lib/types';
import { AdminPage } from '../pages/AdminPage';
import { apiError, mockFetch } from '../test/fetchMock';
import { ShadowCard } from './ShadowCard';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const ROUTING: Routing = { active: 'v12', split: [], fallback: ['v11', 'rules-v1'], shadow: 'v13' };
const PROMOTED: Routing = { active: 'v13', split: [], fallback: ['v12', 'v11', 'rules-v1'], shadow: null };
const REPORT: ShadowReport = {
  active: 'v12',
  shadow: 'v13',
  leads: 800,
  decided: 120,
  active_metrics: { auc: 0.8, brier: 0.08, mean_score: 51.2 },
  shadow_metrics: { auc: 0.84, brier: 0.07, mean_score: 49.0 },
  band_agreement: 0.86,
  mean_abs_score_diff: 6.3,
};

function model(version: string, state: string): ModelInfo {
  return {
    name: `leadscore ${version}`,
    version,
    sha256: 'abcdef0123456789',
    state,
    loaded: true,
    built_at: '2026-11-01T00:00:00Z',
    num_trees: 100,
    features: 20,
    routed_for_tenants: [],
    bands: { hot: 80, cold: 40 },
    top_features: [],
  };
}

const MODELS = ['v13', 'v12', 'v11', 'rules-v1'];

describe('ShadowCard', () => {
  it('compares the shadow with the active version', async () => {
    mockFetch({ 'GET /reports/shadow': { body: REPORT } });
    render(<ShadowCard routing={ROUTING} installed={MODELS} disabled={false} onChanged={() => {}} onStale={() => {}} />);
    const report = await screen.findByTestId('shadow-report');
    const auc = within(report).getByText('AUC').closest('tr')!;
    expect(within(auc).getByTestId('metric-active').textContent).toBe('0.80');
    expect(within(auc).getByTestId('metric-shadow').textContent).toBe('0.84');
    expect(auc.textContent).toContain('+0.04');
    expect(within(auc).getByTestId('metric-delta').textContent).toBe('+0.04 better');
    const brier = report.querySelector('[data-metric="brier"]')!;
    expect(brier.textContent).toContain('−0.010');
    expect(within(brier as HTMLElement).getByTestId('metric-delta').textContent).toBe('−0.010 better');
    expect(within(report).getByTestId('shadow-band-agreement').textContent).toBe('86 % of leads');
    expect(within(report).getByTestId('shadow-score-diff').textContent).toBe('6.3 points');
    expect(within(report).getByTestId('shadow-leads').textContent).toBe('800 (120 with an outcome)');
  });

  it('sets a shadow by sending the full routing with it', async () => {
    const calls = mockFetch({
      'GET /reports/shadow': { body: { ...REPORT, shadow: null } },
      'PUT /models/routing': (init) => ({ body: JSON.parse(String(init?.body)) }),
    });
    const onChanged = vi.fn();
    const routing = { ...ROUTING, shadow: null };
    render(<ShadowCard routing={routing} installed={MODELS} disabled={false} onChanged={onChanged} onStale={() => {}} />);
    expect(screen.getByTestId('no-shadow')).toBeTruthy();
    // Nothing to compare without a shadow: no report is asked for.
    expect(calls.filter((c) => c.path === '/reports/shadow')).toHaveLength(0);
    fireEvent.change(screen.getByTestId('shadow-choice'), { target: { value: 'v11' } });
    fireEvent.click(screen.getByTestId('set-shadow'));
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ ...routing, shadow: 'v11' });
    expect(onChanged.mock.calls[0][1]).toBe('v11 now scores beside v12 as a shadow; reps never see its scores.');
  });

  it('stops the shadow', async () => {
    const calls = mockFetch({
      'GET /reports/shadow': { body: REPORT },
      'PUT /models/routing': (init) => ({ body: JSON.parse(String(init?.body)) }),
    });
    const onChanged = vi.fn();
    render(<ShadowCard routing={ROUTING} installed={MODELS} disabled={false} onChanged={onChanged} onStale={() => {}} />);
    fireEvent.click(screen.getByTestId('clear-shadow'));
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ ...ROUTING, shadow: null });
  });

  it('asks before promoting, and a cancel sends nothing', async () => {
    const calls = mockFetch({ 'GET /reports/shadow': { body: REPORT } });
    render(<ShadowCard routing={ROUTING} installed={MODELS} disabled={false} onChanged={() => {}} onStale={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Promote v13 to active' }));
    const confirm = screen.getByTestId('promote-confirm');
    expect(confirm.textContent).toContain('v12 goes first in the fallback chain');
    expect(document.activeElement).toBe(within(confirm).getByTestId('promote-confirm-button'));
    fireEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('promote-confirm')).toBeNull();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('shows a 409 no_shadow inline and asks for the routing again', async () => {
    mockFetch({
      'GET /reports/shadow': { body: REPORT },
      'POST /models/routing/promote': apiError(409, 'no_shadow', 'the routing has no shadow version'),
    });
    const onStale = vi.fn();
    const onChanged = vi.fn();
    render(<ShadowCard routing={ROUTING} installed={MODELS} disabled={false} onChanged={onChanged} onStale={onStale} />);
    fireEvent.click(screen.getByTestId('promote'));
    fireEvent.click(screen.getByTestId('promote-confirm-button'));
    const error = await screen.findByTestId('shadow-error');
    expect(error.textContent).toContain('There is no shadow version to promote');
    expect(error.getAttribute('role')).toBe('alert');
    expect(onStale).toHaveBeenCalled();
    expect(onChanged).not.toHaveBeenCalled();
  });

  it('shows any other failure inline with the host’s message', async () => {
    mockFetch({
      'GET /reports/shadow': { body: REPORT },
      'POST /models/routing/promote': apiError(503, 'unavailable', 'the database stayed unavailable'),
    });
    render(<ShadowCard routing={ROUTING} installed={MODELS} disabled={false} onChanged={() => {}} onStale={() => {}} />);
    fireEvent.click(screen.getByTestId('promote'));
    fireEvent.click(screen.getByTestId('promote-confirm-button'));
    expect((await screen.findByTestId('shadow-error')).textContent).toBe('The promotion failed: the database stayed unavailable');
    // The confirmation stays, so trying again is one click.
    expect(screen.getByTestId('promote-confirm')).toBeTruthy();
  });
});

describe('promoting from the model admin page', () => {
  it('promotes after confirming, then shows the new routing, refreshed', async () => {
    const calls = mockFetch({
      'GET /models': [
        { body: { models: MODELS.map((v) => model(v, v === 'v12' ? 'active' : v === 'v13' ? 'shadow' : 'fallback')), routing: ROUTING, tenants: {} } },
        { body: { models: MODELS.map((v) => model(v, v === 'v13' ? 'active' : 'fallback')), routing: PROMOTED, tenants: {} } },
      ],
      'GET /reports/shadow': [{ body: REPORT }, { body: { ...REPORT, active: 'v13', shadow: null } }],
      'POST /models/routing/promote': { body: PROMOTED },
    });
    render(<AdminPage />);
    expect((await screen.findByTestId('routing-shadow')).textContent).toBe('v13');
    expect(screen.getByTestId('routing-active').textContent).toBe('v12');

    fireEvent.click(screen.getByRole('button', { name: 'Promote v13 to active' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, promote v13' }));

    await waitFor(() => expect(screen.getByTestId('routing-active').textContent).toBe('v13'));
    expect(screen.getByTestId('admin-notice').textContent).toContain('v13 is now the active version for new scores; v12 is first in the fallback chain.');
    expect(screen.getByTestId('routing-shadow').textContent).toBe('None');
    expect(screen.getByTestId('no-shadow')).toBeTruthy();
    // The routing is loaded again, and the one replaced can be rolled back to.
    await waitFor(() => expect(calls.filter((c) => c.method === 'GET' && c.path === '/models')).toHaveLength(2));
    expect(screen.getByTestId('rollback').textContent).toBe('Roll back to v12');
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/models/routing/promote']);
  });
});
