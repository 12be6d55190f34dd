import { describe, expect, it } from 'vitest';

import { featureLabel, parseExplanation, topContributions } from './explanation';
import type { Contribution, Score, StoredExplanation } from './types';

/**
 * What a host (or a proxy in front of it) might send that the OpenAPI
 * document does not allow: the parser must turn it into the stub, not
 * break. The cast is the point of these tests.
 */
const offContract = (json: unknown) => json as StoredExplanation;

const valid: Score = {
  lead_id: 'lead-1',
  final_score: 100,
  band: 'hot',
  probability: 0.62,
  confidence: 0.9,
  base_value: -2.35,
  margin: 0.64,
  contributions: [
    { feature: 'page_views_decayed', value: 17.05, shap: 1.88 },
    { feature: 'industry', value: 'software', shap: 0.14 },
    { feature: 'employees', value: null, shap: -0.4 },
  ],
  reasons: [
    { feature: 'page_views_decayed', text: 'Recent website activity', direction: 'up', shap: 1.88 },
    { feature: 'employees', text: 'Company size unknown', direction: 'down', shap: -0.4 },
  ],
  model_version: 'v12',
};

describe('parseExplanation', () => {
  it('reads a valid explanation', () => {
    const e = parseExplanation(valid);
    expect(e.available).toBe(true);
    if (!e.available) return;
    expect(e.reasons).toEqual([
      { feature: 'page_views_decayed', text: 'Recent website activity', direction: 'up', shap: 1.88 },
      { feature: 'employees', text: 'Company size unknown', direction: 'down', shap: -0.4 },
    ]);
    expect(e.contributions).toHaveLength(3);
    expect(e.contributions[2]).toEqual({ feature: 'employees', value: null, shap: -0.4 });
    expect(e.baseValue).toBe(-2.35);
    expect(e.margin).toBe(0.64);
  });

  it('turns a corrupt stored explanation (a string) into the stub', () => {
    const e = parseExplanation('{not json');
    expect(e).toEqual({ available: false, why: expect.stringContaining('could not be read') });
  });

  it.each([null, undefined])('treats %s as unavailable', (raw) => {
    expect(parseExplanation(raw).available).toBe(false);
  });

  it.each([42, true, ['a'], []])('treats a non-object (%j) as unavailable', (raw) => {
    expect(parseExplanation(offContract(raw)).available).toBe(false);
  });

  it('passes on explanation_unavailable', () => {
    const e = parseExplanation({ ...valid, contributions: null, reasons: null, explanation_unavailable: 'deadline' });
    expect(e).toEqual({ available: false, why: expect.stringContaining('deadline') });
  });

  it.each([
    ['no contributions', { reasons: valid.reasons }],
    ['no reasons', { contributions: valid.contributions }],
    ['null arrays', { reasons: null, contributions: null }],
    ['contributions as an object', { reasons: valid.reasons, contributions: { a: 1 } }],
    ['reasons as a string', { reasons: 'up', contributions: valid.contributions }],
  ])('is unavailable with %s', (_, raw) => {
    expect(parseExplanation(offContract(raw))).toEqual({ available: false, why: 'The explanation is incomplete.' });
  });

  it('is unavailable when empty', () => {
    expect(parseExplanation({ ...valid, reasons: [], contributions: [] })).toEqual({
      available: false,
      why: 'The explanation is empty.',
    });
    expect(parseExplanation(offContract({})).available).toBe(false);
  });

  it('drops entries whose shap is not a finite number', () => {
    const e = parseExplanation(offContract({
      reasons: [
        { feature: 'a', text: 'A', direction: 'up', shap: '0.5' },
        { feature: 'b', text: 'B', direction: 'up', shap: null },
        { feature: 'c', text: 'C', direction: 'down', shap: -0.2 },
      ],
      contributions: [
        { feature: 'a', value: 1, shap: 'NaN' },
        { feature: 'b', value: 1, shap: Infinity },
        { feature: 'c', value: 2, shap: -0.2 },
        { feature: 'd', value: 3 },
      ],
    }));
    expect(e.available).toBe(true);
    if (!e.available) return;
    expect(e.reasons.map((r) => r.feature)).toEqual(['c']);
    expect(e.contributions.map((c) => c.feature)).toEqual(['c']);
  });

  it('is unavailable when no entry is usable', () => {
    const e = parseExplanation(offContract({
      reasons: [{ feature: 'a', shap: 'x' }, 'junk', null],
      contributions: [{ shap: 1 }, 7],
    }));
    expect(e).toEqual({ available: false, why: 'The explanation is not in the expected format.' });
  });

  it('mends what it can: a missing direction follows the sign, a missing text the feature', () => {
    const e = parseExplanation(offContract({
      reasons: [
        { feature: 'docs_views_30d', shap: 0.3 },
        { feature: 'employees', shap: -0.1, direction: 'sideways', text: '   ' },
      ],
      contributions: [],
    }));
    expect(e.available).toBe(true);
    if (!e.available) return;
    expect(e.reasons).toEqual([
      { feature: 'docs_views_30d', text: 'docs views 30d', direction: 'up', shap: 0.3 },
      { feature: 'employees', text: 'employees', direction: 'down', shap: -0.1 },
    ]);
  });

  it('keeps contribution values it can show (numbers, categories) and blanks the rest', () => {
    const e = parseExplanation(offContract({
      reasons: [],
      contributions: [
        { feature: 'a', value: { nested: true }, shap: 0.1 },
        { feature: 'b', value: false, shap: 0.2 },
        { feature: 'c', value: NaN, shap: 0.3 },
        { feature: 'd', value: 'software', shap: 0.4 },
        { feature: 'e', value: 1.5, shap: 0.5 },
      ],
    }));
    expect(e.available && e.contributions.map((c) => c.value)).toEqual([null, null, null, 'software', 1.5]);
  });
});

describe('topContributions', () => {
  const cs: Contribution[] = Array.from({ length: 14 }, (_, i) => ({
    feature: `f${i}`,
    value: i,
    shap: (i % 2 ? -1 : 1) * (i + 1) * 0.1,
  }));

  it('keeps the ten largest by |shap|, largest first', () => {
    const top = topContributions(cs);
    expect(top).toHaveLength(10);
    expect(top[0].feature).toBe('f13');
    expect(top[9].feature).toBe('f4');
    for (let i = 1; i < top.length; i++) expect(Math.abs(top[i - 1].shap)).toBeGreaterThanOrEqual(Math.abs(top[i].shap));
  });

  it('leaves out features that moved nothing', () => {
    expect(topContributions([{ feature: 'z', value: 0, shap: 0 }])).toEqual([]);
  });

  it('does not reorder its input', () => {
    const copy = cs.slice();
    topContributions(cs, 3);
    expect(cs).toEqual(copy);
  });
});

describe('featureLabel', () => {
  it('spaces out a feature name', () => {
    expect(featureLabel('page_views_decayed')).toBe('page views decayed');
  });
});
