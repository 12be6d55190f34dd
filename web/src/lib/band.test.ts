import { describe, expect, it } from 'vitest';

import { BAND_LABEL, bandForScore, displayBand, parseBand } from './band';

describe('bandForScore (Hot > 80, Cold < 40, else Warm)', () => {
  it.each([
    [0, 'cold'],
    [39, 'cold'],
    [40, 'warm'],
    [41, 'warm'],
    [79, 'warm'],
    [80, 'warm'],
    [81, 'hot'],
    [100, 'hot'],
  ] as const)('%i → %s', (score, band) => {
    expect(bandForScore(score)).toBe(band);
  });

  it('handles fractional scores at the edges', () => {
    expect(bandForScore(39.9)).toBe('cold');
    expect(bandForScore(80.1)).toBe('hot');
  });

  it('honours a model’s own thresholds', () => {
    expect(bandForScore(75, { hot: 70, cold: 30 })).toBe('hot');
    expect(bandForScore(29, { hot: 70, cold: 30 })).toBe('cold');
  });
});

describe('parseBand', () => {
  it('reads the API’s spelling', () => {
    expect(parseBand('hot')).toBe('hot');
    expect(parseBand('Warm')).toBe('warm');
    expect(parseBand(' cold ')).toBe('cold');
  });

  it('refuses anything else', () => {
    for (const v of ['', 'tepid', null, undefined, 3, {}]) expect(parseBand(v)).toBeNull();
  });
});

describe('displayBand', () => {
  it('shows the stored band, even where the score would say otherwise', () => {
    // The badge must equal what the API stored (a model may have its own bands).
    expect(displayBand('hot', 75)).toBe('hot');
  });

  it('falls back to the score when no valid band was stored', () => {
    expect(displayBand(null, 81)).toBe('hot');
    expect(displayBand('???', 39)).toBe('cold');
    expect(displayBand(undefined, Number.NaN)).toBeNull();
  });

  it('labels every band with a word (never colour alone)', () => {
    expect(BAND_LABEL).toEqual({ hot: 'Hot', warm: 'Warm', cold: 'Cold' });
  });
});

describe('the mapping agrees with the stored bands of the sample leads', () => {
  // Scores and bands as the host stored them for the seeded demo tenant.
  const stored = [
    { score: 100, band: 'hot' },
    { score: 93, band: 'hot' },
    { score: 86, band: 'hot' },
    { score: 80, band: 'warm' },
    { score: 40, band: 'warm' },
    { score: 39, band: 'cold' },
  ];
  it.each(stored)('$score is $band', ({ score, band }) => {
    expect(bandForScore(score)).toBe(band);
  });
});
