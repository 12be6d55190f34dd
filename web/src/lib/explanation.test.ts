import { describe, expect, it } from 'vitest';

import { featureLabel, modelField, parseExplanation, readScoreFacts, topContributions } from './explanation';
import type { Contribution, Score, ScoreRow, StoredExplanation } from './types';

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
    expect(e.contributions[2]).toEqual({ feature: 'employees', value: null, shap: -0.4, label: null, display: null });
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

describe('contribution labels and values in words', () => {
  it('keeps the host’s label and display', () => {
    const e = parseExplanation({
      ...valid,
      contributions: [
        { feature: 'pricing_views_7d', value: 5, shap: 0.9, label: 'Pricing page views, last 7 days', display: '5 views' },
      ],
    });
    expect(e.available && e.contributions[0]).toEqual({
      feature: 'pricing_views_7d',
      value: 5,
      shap: 0.9,
      label: 'Pricing page views, last 7 days',
      display: '5 views',
    });
  });

  it('reads them as absent when missing, null, blank or not text', () => {
    const e = parseExplanation(offContract({
      reasons: [],
      contributions: [
        { feature: 'a', value: 1, shap: 0.1 },
        { feature: 'b', value: 1, shap: 0.1, label: null, display: null },
        { feature: 'c', value: 1, shap: 0.1, label: '  ', display: '' },
        { feature: 'd', value: 1, shap: 0.1, label: 7, display: { x: 1 } },
      ],
    }));
    expect(e.available && e.contributions.map((c) => [c.label, c.display])).toEqual([
      [null, null],
      [null, null],
      [null, null],
      [null, null],
    ]);
  });
});

describe('readScoreFacts', () => {
  const row = (explanation: unknown, extra: Partial<ScoreRow> = {}): ScoreRow => ({
    request_id: 'r1',
    lead_id: 'lead-1',
    score: 91,
    band: 'hot',
    probability: 0.057,
    confidence: 0.9,
    data_completeness: 0.9,
    model_version: 'v12',
    timestamp: 0,
    explanation: explanation as StoredExplanation,
    ...extra,
  }) as ScoreRow;
  const notes = [
    { kind: 'unseen_category', feature: 'industry', field: 'industry', value: 'aerospace', text: 'Industry "aerospace" is new to this model: read as unknown' },
    { kind: 'missing_important', feature: 'seniority', field: 'seniority', text: "Seniority is unknown, and the model leans on it (12 % of its importance)" },
  ];

  it('reads the probability, base rate, ratio, data completeness and notes', () => {
    const facts = readScoreFacts(
      row({ ...valid, base_rate: 0.044, vs_base_rate: 1.3, data_completeness: 0.8, notes }, { data_completeness: 0.8 }),
    );
    expect(facts).toEqual({
      probability: 0.057,
      baseRate: 0.044,
      vsBaseRate: 1.3,
      dataCompleteness: 0.8,
      notes: [
        { kind: 'unseen_category', text: notes[0].text },
        { kind: 'missing_important', text: notes[1].text },
      ],
    });
  });

  it('falls back to confidence for data completeness, and has no ratio without a base rate (an older score)', () => {
    const facts = readScoreFacts(row(valid));
    expect(facts).toEqual({ probability: 0.057, baseRate: null, vsBaseRate: null, dataCompleteness: 0.9, notes: [] });
  });

  it('prefers the row’s data completeness, then the explanation’s, then confidence', () => {
    expect(readScoreFacts(row({ ...valid, data_completeness: 0.7 }, { data_completeness: 0.6 })).dataCompleteness).toBe(0.6);
    // A row from an older host, without the field.
    expect(readScoreFacts(row({ ...valid, data_completeness: 0.7 }, { data_completeness: undefined })).dataCompleteness).toBe(0.7);
  });

  it('works the ratio out from the base rate when it is not given', () => {
    expect(readScoreFacts(row({ ...valid, base_rate: 0.05 })).vsBaseRate).toBeCloseTo(1.14, 10);
  });

  it('reads the row alone when the explanation is unreadable', () => {
    const facts = readScoreFacts(row('{not json'));
    expect(facts).toEqual({ probability: 0.057, baseRate: null, vsBaseRate: null, dataCompleteness: 0.9, notes: [] });
    expect(readScoreFacts(null).probability).toBeNull();
  });

  it('ignores garbage rather than break the page', () => {
    const facts = readScoreFacts(
      row(
        { ...valid, base_rate: 'high', vs_base_rate: -2, data_completeness: 'most', notes: [null, 7, { kind: 'x' }, { kind: 'future_kind', text: ' A new kind of note ' }] },
        { probability: Number.NaN, confidence: Number.POSITIVE_INFINITY },
      ),
    );
    expect(facts).toEqual({
      probability: 0.62, // the explanation's, the row's being unusable
      baseRate: null,
      vsBaseRate: null,
      dataCompleteness: 0.9,
      notes: [{ kind: null, text: 'A new kind of note' }],
    });
    expect(readScoreFacts(row({ ...valid, base_rate: 0, notes: 'none' })).baseRate).toBeNull();
    expect(readScoreFacts(row({ ...valid, base_rate: 0.05, vs_base_rate: -1 })).vsBaseRate).toBeCloseTo(1.14, 10);
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

describe('modelField', () => {
  const explained = (contributions: unknown[]) =>
    parseExplanation({ ...valid, contributions } as unknown as StoredExplanation);
  const seniority = { feature: 'seniority', value: 'vp', shap: 0.2, label: 'Seniority', display: 'VP', field: 'seniority' };

  it('names a field the model reads by its label and writes its value as the reasons do', () => {
    expect(modelField(explained([seniority]), 'seniority')).toEqual({ label: 'Seniority', display: 'VP' });
  });

  it('leaves fields the model could not read, or does not read, to the raw value', () => {
    expect(modelField(explained([{ ...seniority, value: null, display: 'Unknown' }]), 'seniority')).toBeNull();
    expect(modelField(explained([seniority]), 'title')).toBeNull();
    expect(modelField(explained([{ ...seniority, field: undefined }]), 'seniority')).toBeNull();
    expect(modelField(parseExplanation(null), 'seniority')).toBeNull();
  });
});
