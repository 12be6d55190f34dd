// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import { ApiError } from '../lib/api';
import type { Loadable } from '../lib/hooks';
import { readPoints, type ScorePoint } from '../lib/history';
import { formatDate, formatDateTime } from '../lib/time';
import type { ChangePart, Changes, History } from '../lib/types';
import { ChangesPanel, NO_EARLIER_SCORE, PARTS_SHOWN, UNITS_SENTENCE } from './ChangesPanel';
import { ScoreHistoryCard } from './ScoreHistoryCard';

afterEach(cleanup);

const HISTORY: History = {
  lead_id: 'lead-1',
  trend: 'declining',
  points: [
    { request_id: 'req_1', scored_at: '2026-11-20T09:00:00Z', score: 93, band: 'hot', probability: 0.1, margin: -1.01, model_version: 'v12' },
    { request_id: 'req_2', scored_at: '2026-11-21T09:00:00Z', score: 96, band: 'hot', probability: 0.15, margin: -0.76, model_version: 'v12' },
    { request_id: 'req_3', scored_at: '2026-11-22T09:00:00Z', score: 81, band: 'hot', probability: 0.04, margin: -2.85, model_version: 'v11' },
  ],
};
const POINTS: ScorePoint[] = readPoints(HISTORY);

const MODEL: ChangePart = { kind: 'model', delta: -2.1, text: 'Model v12 → v11' };
const VISITS: ChangePart = { kind: 'feature', feature: 'page_views', delta: 0.02, text: 'Recent website visits: 6 → 9 (+3)' };
const ROUNDING: ChangePart = {
  kind: 'model',
  delta: -1.0e-6,
  text: 'Float32 rounding: XGBoost adds up its trees in 32 bits (the SHAP values are exact)',
};

function changes(parts: ChangePart[], from = 'req_2'): Changes {
  return {
    from: { request_id: from, margin: -0.76, score: 96, model_version: 'v12' },
    to: { request_id: 'req_3', margin: -2.85, score: 81, model_version: 'v11' },
    parts,
  };
}

const ok = <T,>(data: T): Loadable<T> => ({ status: 'ok', data });
const failed = (status: number, code: string, message: string): Loadable<Changes> => ({
  status: 'error',
  error: new ApiError(status, code, message),
});

function panel(state: Loadable<Changes>, points = POINTS): HTMLElement {
  render(<ChangesPanel state={state} points={points} onRetry={() => {}} />);
  return screen.getByTestId('changes');
}

describe('ChangesPanel', () => {
  it('says since when, the score from → to, each part with its signed delta, the model’s first', () => {
    const el = panel(ok(changes([VISITS, MODEL, ROUNDING])));
    expect(within(el).getByRole('heading').textContent).toBe(
      `What changed since ${formatDateTime(Date.parse('2026-11-21T09:00:00Z'))}`,
    );
    expect(within(el).getByTestId('changes-score').textContent).toBe('Score 96 → 81 (−15) · v12 → v11');
    const rows = within(el).getAllByTestId('change-part');
    expect(rows.map((r) => r.dataset.kind)).toEqual(['model', 'feature']);
    expect(rows.map((r) => r.textContent)).toEqual(['Model v12 → v11−2.10', 'Recent website visits: 6 → 9 (+3)+0.020']);
    const [down, up] = within(el).getAllByTestId('change-delta');
    expect(down.className).toContain('change-delta--down');
    expect(up.className).toContain('change-delta--up');
  });

  it('folds the float rounding into the footnote with the units', () => {
    const el = panel(ok(changes([VISITS, ROUNDING])));
    expect(within(el).getAllByTestId('change-part')).toHaveLength(1);
    const units = within(el).getByTestId('changes-units');
    expect(units.textContent).toBe(`${UNITS_SENTENCE} ${ROUNDING.text} (−0.0000010).`);
  });

  it('shows the largest parts and the rest in one row that adds up, all on request', () => {
    const many: ChangePart[] = Array.from({ length: PARTS_SHOWN + 3 }, (_, i) => ({
      kind: 'feature',
      feature: `f${i}`,
      delta: 0.1 / (i + 1),
      text: `Feature ${i} changed`,
    }));
    const el = panel(ok(changes(many)));
    expect(within(el).getAllByTestId('change-part')).toHaveLength(PARTS_SHOWN);
    const rest = within(el).getByTestId('change-rest');
    expect(rest.textContent).toContain('3 smaller parts');
    const restSum = many.slice(PARTS_SHOWN).reduce((s, p) => s + p.delta, 0);
    expect(within(rest).getByTestId('change-delta').textContent).toBe(`+${restSum.toFixed(3)}`);
    fireEvent.click(within(el).getByTestId('changes-show-all'));
    expect(within(el).getAllByTestId('change-part')).toHaveLength(PARTS_SHOWN + 3);
    expect(within(el).queryByTestId('change-rest')).toBeNull();
  });

  it('without the earlier scoring in the history, says "since the previous score"', () => {
    const el = panel(ok(changes([VISITS], 'req_gone')));
    expect(within(el).getByRole('heading').textContent).toBe('What changed since the previous score');
  });

  it('404: no earlier score to compare with yet', () => {
    const el = panel(failed(404, 'not_found', 'lead "lead-1" has fewer than two scorings to compare'));
    expect(within(el).getByTestId('changes-empty').textContent).toBe(NO_EARLIER_SCORE);
  });

  it('409 cannot_compare: the host’s reason, as it says it', () => {
    const el = panel(failed(409, 'cannot_compare', 'v11 cannot rescore the earlier lead'));
    expect(within(el).getByTestId('changes-error').textContent).toBe('v11 cannot rescore the earlier lead');
  });

  it('any other error: one line with a retry, never a broken page', () => {
    const el = panel(failed(500, 'internal', 'boom'));
    expect(within(el).getByTestId('changes-error').textContent).toContain('What changed could not be loaded: boom');
    expect(within(el).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});

describe('ScoreHistoryCard', () => {
  it('draws the points, says the trend and lists the latest scorings newest first', () => {
    render(<ScoreHistoryCard state={ok(HISTORY)} points={POINTS} onRetry={() => {}} />);
    const card = screen.getByTestId('score-history');
    const trend = within(card).getByTestId('lead-trend');
    expect(trend.dataset.trend).toBe('declining');
    expect(trend.textContent).toBe('↘Declining');
    expect(within(card).getByTestId('history-sparkline').getAttribute('data-points')).toBe('3');
    const items = within(within(card).getByTestId('history-points')).getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual([
      `${formatDateTime(Date.parse('2026-11-22T09:00:00Z'))}81Hotv11`,
      `${formatDateTime(Date.parse('2026-11-21T09:00:00Z'))}96Hotv12`,
      `${formatDateTime(Date.parse('2026-11-20T09:00:00Z'))}93Hotv12`,
    ]);
    // The chart is decoration; its caption says the trend in words.
    expect(card.querySelector('figcaption')?.textContent).toContain('Declining: 93 → 96 → 81');
    expect(card.querySelector('figcaption span')?.textContent).toBe(formatDate(Date.parse('2026-11-20T09:00:00Z')));
  });

  it('puts the times on the axis when every score is from one day', () => {
    const day: History = {
      ...HISTORY,
      // 9, 10 and 11 o'clock on one day here, wherever here is.
      points: HISTORY.points.map((p, i) => ({ ...p, scored_at: new Date(2026, 10, 22, 9 + i).toISOString() })),
    };
    render(<ScoreHistoryCard state={ok(day)} points={readPoints(day)} onRetry={() => {}} />);
    const caption = screen.getByTestId('score-history').querySelector('figcaption span');
    expect(caption?.textContent).toBe(formatDateTime(new Date(2026, 10, 22, 9).getTime()));
  });

  it('says so in a line when the history cannot be loaded', () => {
    const state: Loadable<History> = { status: 'error', error: new ApiError(0, 'network', 'Cannot reach the server.') };
    render(<ScoreHistoryCard state={state} points={[]} onRetry={() => {}} />);
    expect(screen.getByTestId('history-error').textContent).toContain('Score history unavailable: Cannot reach the server.');
  });
});
