import { describe, expect, it } from 'vitest';

import {
  changeRows,
  formatDelta,
  isRoundingPart,
  latestFirst,
  readPoints,
  scoredAt,
  scoreMove,
  sumOfDeltas,
} from './history';
import type { Changes, History, HistoryPoint } from './types';

function point(requestId: string, scoredAtIso: string, score: number, extra: Partial<HistoryPoint> = {}): HistoryPoint {
  return {
    request_id: requestId,
    as_of: '2026-11-01T00:00:00Z',
    scored_at: scoredAtIso,
    score,
    band: score > 80 ? 'hot' : score < 40 ? 'cold' : 'warm',
    probability: score / 200,
    margin: -1,
    model_version: 'v12',
    ...extra,
  };
}

const HISTORY: History = {
  lead_id: 'lead-1',
  trend: 'improving',
  points: [
    point('req_1', '2026-11-01T10:00:00Z', 60),
    point('req_2', '2026-11-03T10:00:00Z', 72, { model_version: 'v11' }),
    point('req_3', '2026-11-05T10:00:00Z', 85),
  ],
};

describe('the score history', () => {
  it('reads the points oldest first, with their time, band and version', () => {
    const points = readPoints(HISTORY);
    expect(points.map((p) => [p.requestId, p.score, p.band, p.version])).toEqual([
      ['req_1', 60, 'warm', 'v12'],
      ['req_2', 72, 'warm', 'v11'],
      ['req_3', 85, 'hot', 'v12'],
    ]);
    expect(points[0].at).toBe(Date.parse('2026-11-01T10:00:00Z'));
  });

  it('leaves out points it cannot draw, and sorts what the host sent out of order', () => {
    const messy = {
      ...HISTORY,
      points: [
        HISTORY.points[2],
        point('req_x', 'not a time', 50),
        { ...point('req_y', '2026-11-02T10:00:00Z', 0), score: 'high' as unknown as number },
        HISTORY.points[0],
      ],
    };
    expect(readPoints(messy).map((p) => p.requestId)).toEqual(['req_1', 'req_3']);
    expect(readPoints(null)).toEqual([]);
    expect(readPoints({ ...HISTORY, points: undefined as unknown as HistoryPoint[] })).toEqual([]);
  });

  it('keeps the host’s band (its thresholds may be the tenant’s), or works it out from the score', () => {
    const [p] = readPoints({ ...HISTORY, points: [point('r', '2026-11-01T10:00:00Z', 75, { band: 'hot' })] });
    expect(p.band).toBe('hot');
    const [q] = readPoints({ ...HISTORY, points: [point('r', '2026-11-01T10:00:00Z', 90, { band: '??' })] });
    expect(q.band).toBe('hot');
  });

  it('lists the latest few newest first, and finds when a scoring happened', () => {
    const points = readPoints(HISTORY);
    expect(latestFirst(points, 2).map((p) => p.requestId)).toEqual(['req_3', 'req_2']);
    expect(latestFirst(points).length).toBe(3);
    expect(scoredAt(points, 'req_2')).toBe(Date.parse('2026-11-03T10:00:00Z'));
    expect(scoredAt(points, 'req_unknown')).toBeNull();
  });
});

const FROM_MARGIN = -1.0109233856201172;
const TO_MARGIN = -0.7619914412498474;
const VISITS = 0.4517805082141422;
const DOCS = -0.11637507450359408;
const ROUNDING = -1.0233770808554254e-6;

/** As the host sends them (lead-025637 after three more pricing page views): the parts add up to the move in margin. */
const CHANGES: Changes = {
  from: { request_id: 'req_2', margin: FROM_MARGIN, score: 93, model_version: 'v12' },
  to: { request_id: 'req_3', margin: TO_MARGIN, score: 96, model_version: 'v12' },
  parts: [
    { kind: 'feature', feature: 'page_views_decayed', delta: VISITS, text: 'Recent website visits: 6 → 9 (+3)' },
    {
      kind: 'feature',
      feature: 'docs_views_30d',
      delta: DOCS,
      text: 'Documentation views, last 30 days unchanged (4): its effect moved with the lead’s other changes',
    },
    {
      kind: 'feature',
      feature: 'pricing_views_7d',
      delta: TO_MARGIN - FROM_MARGIN - VISITS - DOCS - ROUNDING,
      text: 'Pricing page views, last 7 days: 4 → 7 (+3)',
    },
    {
      kind: 'model',
      delta: ROUNDING,
      text: 'Float32 rounding: XGBoost adds up its trees in 32 bits (the SHAP values are exact)',
    },
  ],
};

describe('what changed', () => {
  it('splits off the float rounding as a footnote, and keeps the rest as rows', () => {
    const { rows, rounding, total } = changeRows(CHANGES);
    expect(rows.map((r) => r.feature)).toEqual(['page_views_decayed', 'docs_views_30d', 'pricing_views_7d']);
    expect(rounding?.text).toMatch(/^Float32 rounding/);
    expect(total).toBeCloseTo(0.2489319444, 9);
    expect(isRoundingPart(CHANGES.parts[0])).toBe(false);
  });

  it('puts the model’s part first', () => {
    const model = { kind: 'model' as const, delta: -2.086, text: 'Model v12 → v11' };
    const { rows } = changeRows({ ...CHANGES, parts: [...CHANGES.parts.slice(0, 2), model] });
    expect(rows.map((r) => r.text)).toEqual(['Model v12 → v11', CHANGES.parts[0].text, CHANGES.parts[1].text]);
  });

  it('drops parts it cannot read rather than failing', () => {
    const broken = {
      ...CHANGES,
      parts: [CHANGES.parts[0], { kind: 'feature', delta: 'big', text: 'x' }, null] as unknown as Changes['parts'],
    };
    expect(changeRows(broken).rows).toEqual([CHANGES.parts[0]]);
  });

  it('adds the deltas up, rounding included, to the move in margin', () => {
    expect(sumOfDeltas([])).toBe(0);
    expect(Math.abs(sumOfDeltas(CHANGES.parts) - changeRows(CHANGES).total)).toBeLessThan(1e-12);
  });

  it('writes a delta with its sign and a real minus, never a small one as zero', () => {
    expect(formatDelta(0.4517805)).toBe('+0.45');
    expect(formatDelta(-2.0859981)).toBe('−2.09');
    expect(formatDelta(0.0439300)).toBe('+0.044');
    expect(formatDelta(-0.0021028)).toBe('−0.0021');
    expect(formatDelta(-1.0233770808554254e-6)).toBe('−0.0000010');
    expect(formatDelta(0)).toBe('0');
    expect(formatDelta(Number.NaN)).toBe('—');
  });

  it('writes the move of the score', () => {
    expect(scoreMove(93, 96)).toBe('93 → 96 (+3)');
    expect(scoreMove(96, 81)).toBe('96 → 81 (−15)');
    expect(scoreMove(70, 70)).toBe('70 → 70 (no change)');
  });
});
