/** Test fixtures: installed versions, and `GET /models` with one active version, v12, and nothing else routed. */
import type { ModelInfo, Routing } from '../lib/types';

/** A loaded version of the lead scorer: v12 is active, any other a fallback. */
export function model(version: string): ModelInfo {
  return {
    name: 'lead-scorer',
    version,
    sha256: 'abcdef0123456789',
    state: version === 'v12' ? 'active' : 'fallback',
    loaded: true,
    built_at: '2026-11-30T17:10:31Z',
    num_trees: 10,
    features: 5,
    routed_for_tenants: [],
    bands: { hot: 80, cold: 40 },
    top_features: [],
  };
}
const ROUTING: Routing = { active: 'v12', split: [], fallback: [], shadow: null };

export const ONE_MODEL = { models: [model('v12')], routing: ROUTING, tenants: {}, score_distribution: Array(10).fill(1) };
