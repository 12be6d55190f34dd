/** Test fixture: `GET /models` with one active version, v12, and nothing else routed. */
import type { ModelInfo, Routing } from '../lib/types';

const V12: ModelInfo = {
  name: 'lead-scorer',
  version: 'v12',
  sha256: 'abcdef0123456789',
  state: 'active',
  loaded: true,
  built_at: '2026-11-30T17:10:31Z',
  num_trees: 10,
  features: 5,
  routed_for_tenants: [],
  bands: { hot: 80, cold: 40 },
  top_features: [],
};
const ROUTING: Routing = { active: 'v12', split: [], fallback: [], shadow: null };

export const ONE_MODEL = { models: [V12], routing: ROUTING, tenants: {}, score_distribution: Array(10).fill(1) };
