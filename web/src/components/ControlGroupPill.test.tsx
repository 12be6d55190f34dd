// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { LeadPage } from '../pages/LeadPage';
import { QueuePage } from '../pages/QueuePage';
import type { Lead, ScoreRow } from '../lib/types';
import { mockFetch } from '../test/fetchMock';
import { CONTROL_GROUP_DESCRIPTION } from './ControlGroupPill';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const SCORE: ScoreRow = {
  request_id: 'req_1',
  lead_id: 'lead-1',
  score: 91,
  band: 'hot',
  probability: 0.6,
  confidence: 0.9,
  data_completeness: 0.9,
  model_version: 'v12',
  timestamp: Date.now(),
  explanation: {
    lead_id: 'lead-1',
    final_score: 91,
    band: 'hot',
    probability: 0.6,
    confidence: 0.9,
    margin: 1.2,
    model_version: 'v12',
    contributions: [],
    reasons: [],
  },
};

const CONTEXT: Lead = { id: 'lead-2', as_of: '2026-11-20T09:00:00Z', fields: { name: 'Casey Holdout', company: 'Acme' }, activities: [] };

/** The accessible description an element gets from aria-describedby. */
function description(el: Element): string {
  return (el.getAttribute('aria-describedby') ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ');
}

describe('the work queue', () => {
  it('shows the grey control-group pill, no score, and describes it', async () => {
    mockFetch({
      'GET /leads': {
        body: {
          leads: [
            { lead_id: 'lead-1', name: 'Ada', company: 'Acme', score: 91, band: 'hot', scored_at: Date.now(), control_group: false },
            { lead_id: 'lead-2', name: 'Casey', company: 'Acme', score: null, band: null, scored_at: Date.now(), control_group: true },
          ],
          total: 2,
          limit: 25,
          offset: 0,
        },
      },
    });
    render(<QueuePage query={new URLSearchParams()} />);
    const rows = await screen.findAllByTestId('queue-row');
    const [treated, control] = rows;

    expect(within(treated).getByTestId('badge').textContent).toBe('Hot');
    expect(within(treated).queryByTestId('control-pill')).toBeNull();

    const pill = within(control).getByTestId('control-pill');
    expect(pill.textContent).toBe('Not scored — control group');
    expect(pill.className).toContain('badge--control');
    expect(pill.getAttribute('title')).toBe(CONTROL_GROUP_DESCRIPTION);
    expect(within(control).queryByTestId('badge')).toBeNull();
    expect(within(control).queryByTestId('queue-score')).toBeNull();
    expect(control.getAttribute('data-control-group')).toBe('true');
    expect(description(control)).toBe(CONTROL_GROUP_DESCRIPTION);
  });
});

describe('the lead page', () => {
  it('shows the pill and its description instead of the badge, with no reasons, and can still rescore', async () => {
    mockFetch({
      'GET /leads/lead-2': { body: { lead_id: 'lead-2', context: CONTEXT, score: null, control_group: true } },
      'POST /leads/score': { status: 202, body: { request_id: 'r2', status: 'PENDING', status_url: '/leads/score/r2/status' } },
      'GET /leads/score/r2/status': { body: { request_id: 'r2', lead_id: 'lead-2', status: 'SUCCESS', control_group: true } },
    });
    render(<LeadPage leadId="lead-2" backHref="#/" />);
    const card = await screen.findByTestId('score-card');
    const pill = within(card).getByTestId('control-pill');
    expect(pill.textContent).toBe('Not scored — control group');
    expect(description(pill)).toBe(CONTROL_GROUP_DESCRIPTION);
    expect(within(card).getByTestId('control-description').textContent).toBe(CONTROL_GROUP_DESCRIPTION);
    expect(within(card).queryByTestId('badge')).toBeNull();
    expect(within(card).queryByTestId('why-button')).toBeNull();
    expect(within(card).queryByTestId('score')).toBeNull();

    fireEvent.click(within(card).getByTestId('rescore'));
    await waitFor(() => expect(screen.getByTestId('rescore-status').dataset.phase).toBe('control'));
    expect(screen.getByTestId('rescore-status').textContent).toContain('SUCCESS');
    expect(within(card).getByTestId('control-pill')).toBeTruthy();
    expect(within(card).queryByTestId('badge')).toBeNull();
  });

  it('ends a first scoring that lands in the control group on the pill (score endpoint answers 404 control_group)', async () => {
    const calls = mockFetch({
      'GET /leads/lead-2': { body: { lead_id: 'lead-2', context: CONTEXT, score: null, control_group: false } },
      'POST /leads/score': { status: 202, body: { request_id: 'r3', status: 'PENDING', status_url: '/leads/score/r3/status' } },
      'GET /leads/score/r3/status': [
        { body: { request_id: 'r3', lead_id: 'lead-2', status: 'PENDING' } },
        { body: { request_id: 'r3', lead_id: 'lead-2', status: 'SUCCESS' } },
      ],
      'GET /leads/lead-2/score': {
        status: 404,
        body: { error: { code: 'control_group', message: 'lead-2 is in the control group: its score is hidden' } },
      },
    });
    render(<LeadPage leadId="lead-2" backHref="#/" />);
    const card = await screen.findByTestId('score-card');
    expect(within(card).getByTestId('not-scored')).toBeTruthy();
    fireEvent.click(within(card).getByTestId('rescore'));
    await waitFor(() => expect(within(card).getByTestId('control-pill')).toBeTruthy(), { timeout: 3000 });
    expect(screen.getByTestId('rescore-status').dataset.phase).toBe('control');
    expect(screen.queryByTestId('error')).toBeNull();
    expect(calls.filter((c) => c.path === '/leads/score/r3/status')).toHaveLength(2);
  });

  it('shows a treated lead’s badge and reasons as before', async () => {
    mockFetch({
      'GET /leads/lead-1': {
        body: { lead_id: 'lead-1', context: { id: 'lead-1', fields: { name: 'Ada' } }, score: SCORE, control_group: false },
      },
    });
    render(<LeadPage leadId="lead-1" backHref="#/" />);
    const card = await screen.findByTestId('score-card');
    expect(within(card).getByTestId('badge').textContent).toBe('Hot');
    expect(within(card).getByTestId('why-button')).toBeTruthy();
    expect(within(card).queryByTestId('control-pill')).toBeNull();
  });
});
