import { describe, expect, it } from 'vitest';

import { hasDirection, parseTrend, readScores, trendLook, trendSentence, TRENDS } from './trend';

describe('the trend in an arrow and a word', () => {
  it('reads the four trends the host sends, and nothing else', () => {
    for (const t of TRENDS) expect(parseTrend(t)).toBe(t);
    expect(parseTrend('Improving')).toBeNull();
    expect(parseTrend(null)).toBeNull();
    expect(parseTrend(undefined)).toBeNull();
    expect(parseTrend(3)).toBeNull();
  });

  it('gives each an arrow and a word; no arrow without enough history', () => {
    expect(trendLook('improving')).toEqual({ arrow: '↗', label: 'Improving' });
    expect(trendLook('steady')).toEqual({ arrow: '→', label: 'Steady' });
    expect(trendLook('declining')).toEqual({ arrow: '↘', label: 'Declining' });
    expect(trendLook('not_enough_history')).toEqual({ arrow: '—', label: 'Not enough history' });
    expect(hasDirection('steady')).toBe(true);
    expect(hasDirection('not_enough_history')).toBe(false);
    expect(hasDirection(null)).toBe(false);
  });

  it('says the trend with its scores for a screen reader or a tooltip', () => {
    expect(trendSentence('improving', [62, 71, 80])).toBe('Improving: 62 → 71 → 80');
    expect(trendSentence('declining', [80])).toBe('Declining');
    expect(trendSentence('not_enough_history', [80])).toBe('Not enough history yet');
    expect(trendSentence(null, [])).toBe('');
    expect(trendSentence(null, [40, 50])).toBe('Scores 40 → 50');
  });
});

describe('the sparkline’s scores', () => {
  it('keeps finite numbers, within 0–100, in order', () => {
    expect(readScores([93, 96, 81])).toEqual([93, 96, 81]);
    expect(readScores([10, 'x', null, Number.NaN, 120, -3])).toEqual([10, 100, 0]);
  });

  it('is empty for a row from a host that sends none', () => {
    expect(readScores(undefined)).toEqual([]);
    expect(readScores('93,96')).toEqual([]);
  });
});
