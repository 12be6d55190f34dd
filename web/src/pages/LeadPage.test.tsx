// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
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
