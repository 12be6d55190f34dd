/** Test fixture: a tenant's learning settings as the host answers them by default. */
import type { LearningSettings } from '../lib/types';

export const DEFAULT_SETTINGS: LearningSettings = {
  holdout_share: 0.1,
  lift_floor: 0.05,
  guardrail_after_days: 30,
  guardrail_min_outcomes: 50,
  guardrail_to_rules: false,
  drift_threshold: 0.2,
};
