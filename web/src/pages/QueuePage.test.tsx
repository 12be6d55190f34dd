// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { QueueLead, WorkQueue } from '../lib/types';
import { mockFetch } from '../test/fetchMock';
import { QueuePage } from './QueuePage';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const REASON = 'Viewed the pricing page 7 times in the last 7 days, more than most leads who went on to buy';

function lead(id: string, extra: Partial<QueueLead>): QueueLead {
  return {
    lead_id: id,
    name: `Person ${id}`,
    company: 'Acme',
    score: 80,
    band: 'warm',
    scored_at: Date.now(),
    control_group: false,
    recent_scores: [80],
    trend: 'not_enough_history',
    top_reason: null,
    ...extra,
  };
}

async function queue(leads: unknown[]): Promise<HTMLElement[]> {
  const body: WorkQueue = { leads: leads as QueueLead[], total: leads.length, limit: 25, offset: 0 };
  mockFetch({ 'GET /leads': { body } });
  render(<QueuePage query={new URLSearchParams()} />);
  return screen.findAllByTestId('queue-row');
}

describe('a queue row’s trend and top reason', () => {
  it('shows the sparkline of the recent scores, the arrow with its word, and the top reason under the name', async () => {
    const [row] = await queue([
      lead('lead-1', { score: 91, band: 'hot', recent_scores: [62, 71, 91], trend: 'improving', top_reason: REASON }),
    ]);
    const trend = within(row).getByTestId('trend');
    expect(trend.dataset.trend).toBe('improving');
    expect(trend.textContent).toBe('↗Improving');
    const spark = within(row).getByTestId('sparkline');
    expect(spark.getAttribute('data-points')).toBe('3');
    expect(spark.getAttribute('aria-hidden')).toBe('true');
    // The scores in words, for a pointer's tooltip.
    expect(trend.parentElement?.getAttribute('title')).toBe('Improving: 62 → 71 → 91');

    const reason = within(row).getByTestId('top-reason');
    expect(reason.getAttribute('title')).toBe(REASON);
    expect(reason.textContent).toBe(`Top reason: ${REASON}`);
    expect(reason.className).toBe('queue-row__reason');
    // Still one link per row, named by what it shows.
    expect(row.tagName).toBe('A');
    expect(row.textContent).toContain('Improving');
  });

  it('without enough history: the dash, the words for screen readers only, and no sparkline for one score', async () => {
    const [row] = await queue([lead('lead-1', {})]);
    const trend = within(row).getByTestId('trend');
    expect(trend.dataset.trend).toBe('not_enough_history');
    expect(trend.querySelector('.trend__arrow')?.textContent).toBe('—');
    expect(trend.querySelector('.visually-hidden')?.textContent).toBe('Not enough history');
    expect(within(row).queryByTestId('sparkline')).toBeNull();
    expect(within(row).queryByTestId('top-reason')).toBeNull();
  });

  it('reads a row from a host without trends (no trend, no scores, no reason) as before', async () => {
    const [row] = await queue([{ lead_id: 'lead-1', name: 'Ada', company: 'Acme', score: 91, band: 'hot', scored_at: Date.now() }]);
    expect(within(row).getByTestId('badge').textContent).toBe('Hot');
    expect(within(row).queryByTestId('trend')).toBeNull();
    expect(within(row).queryByTestId('sparkline')).toBeNull();
    expect(within(row).queryByTestId('top-reason')).toBeNull();
  });

  it('gives a control-group row no trend', async () => {
    const [row] = await queue([
      lead('lead-2', { score: null, band: null, control_group: true, recent_scores: [], trend: null }),
    ]);
    expect(within(row).getByTestId('control-pill')).toBeTruthy();
    expect(within(row).queryByTestId('trend')).toBeNull();
  });
});
