import { describe, expect, it } from 'vitest';

import { formatProbability, formatRatio, likelihoodSentence } from './probability';

describe('formatProbability', () => {
  it.each([
    [0.057, '5.7 %'],
    [0.0042, '0.4 %'],
    [0.03, '3.0 %'],
    [0.0996, '10 %'],
    [0.62, '62 %'],
    [0.994, '99 %'],
    [0.0004, 'under 0.1 %'],
    [0, 'under 0.1 %'],
    [0.9996, 'over 99 %'],
    [1, 'over 99 %'],
  ])('%d → %s', (p, text) => {
    expect(formatProbability(p)).toBe(text);
  });
});

describe('formatRatio', () => {
  it.each([
    [1.3, '1.3×'],
    [1, '1.0×'],
    [0.42, '0.4×'],
    [0.1, '0.1×'],
    [0.03, 'under 0.1×'],
    [0, 'under 0.1×'],
    [9.96, '10×'],
    [14.4, '14×'],
    [2345.6, '2,346×'],
  ])('%d → %s', (r, text) => {
    expect(formatRatio(r)).toBe(text);
  });
});

describe('likelihoodSentence', () => {
  it('says the chance of closing against the average lead', () => {
    expect(likelihoodSentence({ probability: 0.057, vsBaseRate: 1.3 })).toBe('5.7 % likely to close — 1.3× the average lead');
  });

  it('says only the chance without a base rate', () => {
    expect(likelihoodSentence({ probability: 0.057, vsBaseRate: null })).toBe('5.7 % likely to close');
  });

  it('says nothing without a probability', () => {
    expect(likelihoodSentence({ probability: null, vsBaseRate: 1.3 })).toBeNull();
  });

  it('reads well at the extremes', () => {
    expect(likelihoodSentence({ probability: 0.0002, vsBaseRate: 0.004 })).toBe('under 0.1 % likely to close — under 0.1× the average lead');
    expect(likelihoodSentence({ probability: 0.97, vsBaseRate: 24.3 })).toBe('97 % likely to close — 24× the average lead');
  });
});
