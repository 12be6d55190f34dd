// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import { formatDate } from '../lib/time';
import type { ModelInfo, ModelQuality, Routing } from '../lib/types';
import { ModelQualityCard, NO_QUALITY } from './ModelQualityCard';

afterEach(cleanup);

const QUALITY: ModelQuality = {
  roc_auc: 0.8400445314651972,
  base_rate: 0.045757148414850235,
  leads: 10665,
  won: 488,
  window: ['2024-10-01', '2026-09-30'],
  calibration: Array.from({ length: 10 }, (_, i) => ({ leads: 1066, predicted: 0.01 * (i + 1), observed: 0.011 * (i + 1) })),
};

function model(version: string, extra: Partial<ModelInfo> = {}): ModelInfo {
  return {
    name: 'lead-scorer',
    version,
    sha256: 'ab',
    state: version === 'v12' ? 'active' : 'fallback',
    loaded: true,
    built_at: '2026-11-30T17:10:31Z',
    num_trees: 196,
    features: 23,
    routed_for_tenants: [],
    bands: { hot: 80, cold: 40 },
    top_features: [],
    ...extra,
  };
}

const MODELS = [
  model('v12', {
    quality: QUALITY,
    top_features: [
      { feature: 'page_views_decayed', label: 'Recent website visits', share: 0.264 },
      { feature: 'docs_views_30d', label: 'Documentation views, last 30 days', share: 0.094 },
    ],
  }),
  model('rules-v1', { quality: null }),
];
const ROUTING: Routing = { active: 'v12', split: [], fallback: ['rules-v1'], shadow: null };

describe('ModelQualityCard', () => {
  it('shows the serving version’s held-out quality, top features, window, build date and the score distribution', () => {
    render(<ModelQualityCard models={MODELS} routing={ROUTING} distribution={[1, 1, 1, 1, 1, 1, 1, 2, 1, 2]} />);
    const card = screen.getByTestId('model-quality');
    expect(card.dataset.version).toBe('v12');
    expect(within(card).getByTestId('quality-auc').textContent).toBe('0.84');
    expect(within(card).getByTestId('quality-base-rate').textContent).toBe('4.6 %');
    expect(within(card).getByTestId('quality-leads').textContent).toBe('10,665 (488 won)');
    expect(within(card).getByTestId('quality-window').textContent).toBe(
      `${formatDate(Date.parse('2024-10-01T12:00:00Z'))} – ${formatDate(Date.parse('2026-09-30T12:00:00Z'))}`,
    );
    expect(within(card).getByTestId('quality-built').textContent).toBe(formatDate(Date.parse('2026-11-30T17:10:31Z')));
    expect(within(card).getAllByTestId('calibration-row')).toHaveLength(10);
    expect(within(card).getAllByTestId('calibration-row')[0].textContent).toBe('11,0661 %1.1 %');
    expect(within(card).getAllByTestId('top-feature').map((f) => f.textContent)).toEqual([
      'Recent website visits26 %',
      'Documentation views, last 30 days9.4 %',
    ]);
    const bins = within(card).getAllByTestId('distribution-bin');
    expect(bins.map((b) => b.dataset.count)).toEqual(['1', '1', '1', '1', '1', '1', '1', '2', '1', '2']);
    expect(bins[9].textContent).toContain('Score 90–100: 2 leads');
    expect(within(card).queryByTestId('quality-missing')).toBeNull();
  });

  it('says so for a model without held-out metrics', () => {
    render(<ModelQualityCard models={MODELS} routing={ROUTING} distribution={undefined} />);
    fireEvent.change(screen.getByTestId('quality-version'), { target: { value: 'rules-v1' } });
    const card = screen.getByTestId('model-quality');
    expect(card.dataset.version).toBe('rules-v1');
    expect(within(card).getByTestId('quality-missing').textContent).toBe(NO_QUALITY);
    expect(within(card).queryByTestId('quality-auc')).toBeNull();
    expect(within(card).getByText('This model shipped without its feature importance.')).toBeTruthy();
    expect(within(card).queryByTestId('score-distribution')).toBeNull();
  });

  it('offers every installed version, the serving one marked', () => {
    render(<ModelQualityCard models={MODELS} routing={ROUTING} distribution={null} />);
    const options = within(screen.getByTestId('quality-version')).getAllByRole('option');
    expect(options.map((o) => o.textContent)).toEqual(['v12 (serving)', 'rules-v1']);
  });
});
