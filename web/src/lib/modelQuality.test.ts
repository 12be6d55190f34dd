import { describe, expect, it } from 'vitest';

import {
  describeBands,
  distributionBins,
  parseThresholds,
  primaryVersion,
  thresholdsInForce,
  trainingWindow,
} from './modelQuality';
import { formatDate } from './time';
import type { ModelInfo } from './types';

const ROUTING = { active: 'v12', split: [], fallback: ['v11'], shadow: null };

function model(version: string, hot: number, cold: number): ModelInfo {
  return {
    name: 'lead-scorer',
    version,
    sha256: 'ab',
    state: 'installed',
    loaded: true,
    built_at: '2026-11-30T17:10:31Z',
    num_trees: 10,
    features: 5,
    routed_for_tenants: [],
    bands: { hot, cold },
    top_features: [],
  };
}

describe('which version and which thresholds', () => {
  it('shows the active version, or with a split the heaviest', () => {
    expect(primaryVersion(ROUTING)).toBe('v12');
    expect(
      primaryVersion({ ...ROUTING, split: [{ version: 'v12', weight: 25 }, { version: 'v11', weight: 75 }] }),
    ).toBe('v11');
  });

  it('the tenant’s own thresholds when the routing has them, else the active model’s, saying which', () => {
    const models = [model('v12', 80, 40), model('v11', 70, 30)];
    expect(thresholdsInForce(ROUTING, models)).toEqual({ bands: { hot: 80, cold: 40 }, source: 'model', version: 'v12' });
    expect(thresholdsInForce({ ...ROUTING, bands: { hot: 60, cold: 20 } }, models)).toEqual({
      bands: { hot: 60, cold: 20 },
      source: 'tenant',
      version: 'v12',
    });
    expect(thresholdsInForce({ ...ROUTING, active: 'v99' }, models)).toBeNull();
    expect(describeBands({ hot: 80, cold: 40 })).toBe('Hot above 80, Cold below 40');
  });

  it('takes whole numbers from the form, leaving their order and range to the host', () => {
    expect(parseThresholds('70', '30')).toEqual({ bands: { hot: 70, cold: 30 } });
    expect(parseThresholds(' 101 ', '50')).toEqual({ bands: { hot: 101, cold: 50 } });
    expect(parseThresholds('30', '50')).toEqual({ bands: { hot: 30, cold: 50 } });
    expect(parseThresholds('', '30')).toEqual({ problem: 'Both thresholds are whole scores, 0 to 100.' });
    expect(parseThresholds('70.5', '30')).toEqual({ problem: 'Both thresholds are whole scores, 0 to 100.' });
  });
});

describe('quality in words', () => {
  it('writes the training window', () => {
    const from = formatDate(Date.parse('2024-10-01T12:00:00Z'));
    const to = formatDate(Date.parse('2026-09-30T12:00:00Z'));
    expect(trainingWindow(['2024-10-01', '2026-09-30'])).toBe(`${from} – ${to}`);
    expect(trainingWindow(null)).toBeNull();
    expect(trainingWindow(['2024-10-01'])).toBeNull();
    expect(trainingWindow(['soon', '2026-09-30'])).toBeNull();
  });

  it('bins the score distribution in tens, the last taking 100', () => {
    const bins = distributionBins([1, 1, 1, 1, 1, 1, 1, 2, 1, 4])!;
    expect(bins.map((b) => b.label)).toEqual(['0–9', '10–19', '20–29', '30–39', '40–49', '50–59', '60–69', '70–79', '80–89', '90–100']);
    expect(bins.map((b) => b.from)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(bins[9].height).toBe(1);
    expect(bins[7].height).toBe(0.5);
    expect(distributionBins(Array(10).fill(0))!.every((b) => b.height === 0)).toBe(true);
    expect(distributionBins([1, 2, 3])).toBeNull();
    expect(distributionBins(undefined)).toBeNull();
  });
});
