/** Test fixture: a tenant's retrain policy as the host answers it by default. */
import type { RetrainPolicy } from '../lib/types';

export const DEFAULT_POLICY: RetrainPolicy = {
  enabled: true,
  every_days: 10,
  min_leads: 1_000,
  min_wins: 120,
  window_months: 24,
  shadow_days: 7,
  min_compared_outcomes: 200,
  auto_promote: true,
  max_auc_drop: 0.02,
  confidence: 0.9,
};
