// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { LeadDetail, Score, ScoreRow } from '../lib/types';
import { mockFetch } from '../test/fetchMock';
import { LeadPage } from './LeadPage';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

/** A score as an older host stored it: no base rate, data completeness or notes. */
const OLD_SCORE: Score = {
  lead_id: 'lead-1',
  final_score: 91,
  band: 'hot',
  probability: 0.057,
  confidence: 0.92,
  margin: -2.8,
  base_value: -3.1,
  model_version: 'v12',
  contributions: [{ feature: 'pricing_views_7d', value: 5, shap: 0.3 }],
  reasons: [{ feature: 'pricing_views_7d', text: 'Viewed the pricing page 5 times', direction: 'up', shap: 0.3 }],
};

const NEW_SCORE: Score = {
  ...OLD_SCORE,
  base_rate: 0.044,
  vs_base_rate: 1.3,
  data_completeness: 0.8,
  notes: [
    { kind: 'unseen_category', feature: 'industry', field: 'industry', value: 'aerospace', text: 'Industry “aerospace” is new to this model: read as unknown' },
    { kind: 'activities_after_as_of', text: '2 activities after the lead’s as-of time were left out' },
  ],
};

function row(explanation: Score, extra: Partial<ScoreRow> = {}): ScoreRow {
  return {
    request_id: 'req_1',
    lead_id: 'lead-1',
    score: 91,
    band: 'hot',
    probability: explanation.probability,
    confidence: explanation.confidence,
    data_completeness: explanation.confidence,
    model_version: 'v12',
    timestamp: Date.now(),
    explanation,
    ...extra,
  };
}

async function openLead(score: ScoreRow): Promise<HTMLElement> {
  const detail: LeadDetail = { lead_id: 'lead-1', context: { id: 'lead-1', as_of: '2026-11-20T09:00:00Z', fields: { name: 'Ada' } }, score, control_group: false };
  mockFetch({ 'GET /leads/lead-1': { body: detail } });
  render(<LeadPage leadId="lead-1" backHref="#/" />);
  return screen.findByTestId('score-card');
}

describe('the score card', () => {
  it('says the chance of closing against the average lead, beside the badge and in the popover', async () => {
    const card = await openLead(row(NEW_SCORE, { data_completeness: 0.8 }));
    expect(within(card).getByTestId('likelihood').textContent).toBe('5.7 % likely to close — 1.3× the average lead');
    // The popover is prepared (hidden) once the page has painted.
    expect((await within(card).findByTestId('popover-likelihood')).textContent).toBe('5.7 % likely to close — 1.3× the average lead');
  });

  it('says only the chance of closing for a score without a base rate', async () => {
    const card = await openLead(row(OLD_SCORE));
    expect(within(card).getByTestId('likelihood').textContent).toBe('5.7 % likely to close');
  });

  it('calls the share of signals "Data completeness", from data_completeness or else confidence', async () => {
    const card = await openLead(row(NEW_SCORE, { data_completeness: 0.8 }));
    const fact = within(card).getByTestId('data-completeness');
    expect(fact.textContent).toBe('80 % of the signals this model uses');
    expect(fact.previousElementSibling?.textContent).toBe('Data completeness');
    expect(within(card).queryByText(/Confidence/)).toBeNull();
    cleanup();

    const old = await openLead(row(OLD_SCORE));
    expect(within(old).getByTestId('data-completeness').textContent).toBe('92 % of the signals this model uses');
  });

  it('lists the data notes, briefly, under the facts', async () => {
    const card = await openLead(row(NEW_SCORE));
    const notes = within(card).getByTestId('data-notes');
    expect(within(notes).getByRole('heading', { name: 'Data notes' })).toBeTruthy();
    expect(within(notes).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Industry “aerospace” is new to this model: read as unknown',
      '2 activities after the lead’s as-of time were left out',
    ]);
  });

  it('shows no data notes when there are none', async () => {
    const card = await openLead(row(OLD_SCORE));
    expect(within(card).queryByTestId('data-notes')).toBeNull();
  });

  it('keeps the probability and badge when the explanation is unreadable', async () => {
    const card = await openLead(row(OLD_SCORE, { explanation: '{not json' }));
    expect(within(card).getByTestId('badge').textContent).toBe('Hot');
    expect(within(card).getByTestId('likelihood').textContent).toBe('5.7 % likely to close');
    expect(within(card).getByTestId('explanation-unavailable-inline')).toBeTruthy();
  });
});

describe('score history and what changed', () => {
  const detail: LeadDetail = {
    lead_id: 'lead-1',
    context: { id: 'lead-1', as_of: '2026-11-20T09:00:00Z', fields: { name: 'Ada' } },
    score: row(OLD_SCORE),
    control_group: false,
  };
  const point = (id: string, day: number, score: number) => ({
    request_id: id,
    scored_at: `2026-11-${day}T09:00:00Z`,
    score,
    band: score > 80 ? 'hot' : 'warm',
    probability: 0.05,
    margin: -2,
    model_version: 'v12',
  });
  const once = { lead_id: 'lead-1', trend: 'not_enough_history', points: [point('req_1', 20, 91)] };
  const twice = { lead_id: 'lead-1', trend: 'steady', points: [point('req_1', 20, 91), point('req_2', 21, 93)] };
  const change = {
    from: { request_id: 'req_1', margin: -2.1, score: 91, model_version: 'v12' },
    to: { request_id: 'req_2', margin: -1.9, score: 93, model_version: 'v12' },
    parts: [{ kind: 'feature', feature: 'pricing_views_7d', delta: 0.2, text: 'Pricing page views, last 7 days: 4 → 7 (+3)' }],
  };

  it('loads both beside the lead, and again after a rescore, which shows the new change', async () => {
    const calls = mockFetch({
      'GET /leads/lead-1': { body: detail },
      'GET /leads/lead-1/history': [{ body: once }, { body: twice }],
      'GET /leads/lead-1/changes': [
        { status: 404, body: { error: { code: 'not_found', message: 'fewer than two scorings' } } },
        { body: change },
      ],
      'POST /leads/score': { status: 202, body: { request_id: 'req_2', status: 'PENDING', status_url: '/leads/score/req_2/status' } },
      'GET /leads/score/req_2/status': {
        body: { request_id: 'req_2', lead_id: 'lead-1', status: 'SUCCESS', result: row(OLD_SCORE, { request_id: 'req_2', score: 93 }) },
      },
    });
    render(<LeadPage leadId="lead-1" backHref="#/" />);
    const history = await screen.findByTestId('score-history');
    expect((await within(history).findByTestId('lead-trend')).dataset.trend).toBe('not_enough_history');
    const panel = screen.getByTestId('changes');
    expect((await within(panel).findByTestId('changes-empty')).textContent).toBe('No earlier score to compare with yet');

    fireEvent.click(screen.getByTestId('rescore'));
    await waitFor(() => expect(within(panel).getAllByTestId('change-part')).toHaveLength(1), { timeout: 3000 });
    expect(within(panel).getByTestId('change-part').textContent).toBe('Pricing page views, last 7 days: 4 → 7 (+3)+0.20');
    expect(within(panel).getByTestId('changes-score').textContent).toBe('Score 91 → 93 (+2)');
    expect(within(history).getByTestId('lead-trend').dataset.trend).toBe('steady');
    expect(within(history).getByTestId('history-sparkline').getAttribute('data-points')).toBe('2');
    // The changes asked for are the two latest: no parameters.
    expect(calls.filter((c) => c.path.startsWith('/leads/lead-1/changes')).map((c) => c.path)).toEqual([
      '/leads/lead-1/changes',
      '/leads/lead-1/changes',
    ]);
  });

  it('never breaks the page when they fail', async () => {
    mockFetch({
      'GET /leads/lead-1': { body: detail },
      'GET /leads/lead-1/history': { status: 500, body: { error: { code: 'internal', message: 'database down' } } },
      'GET /leads/lead-1/changes': { status: 500, body: { error: { code: 'internal', message: 'database down' } } },
    });
    render(<LeadPage leadId="lead-1" backHref="#/" />);
    expect((await screen.findByTestId('history-error')).textContent).toContain('database down');
    expect((await screen.findByTestId('changes-error')).textContent).toContain('database down');
    expect(within(screen.getByTestId('score-card')).getByTestId('badge').textContent).toBe('Hot');
  });

  it('shows neither for a lead in the control group', async () => {
    const calls = mockFetch({
      'GET /leads/lead-1': { body: { ...detail, score: null, control_group: true } },
    });
    render(<LeadPage leadId="lead-1" backHref="#/" />);
    await screen.findByTestId('control-pill');
    expect(screen.queryByTestId('score-history')).toBeNull();
    expect(screen.queryByTestId('changes')).toBeNull();
    expect(calls.some((c) => c.path.includes('/history') || c.path.includes('/changes'))).toBe(false);
  });
});
