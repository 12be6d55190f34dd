/**
 * The learning settings form: the text a person types, checked against the
 * ranges the host enforces (it answers 400 naming the field otherwise).
 * Shares are typed as percents (10 for 0.1).
 */
import type { LearningSettings } from './types';

export type NumericSetting = Exclude<keyof LearningSettings, 'guardrail_to_rules'>;

export interface SettingRule {
  label: string;
  /** The host's range, in its units (shares as 0–1). */
  min: number;
  max: number;
  integer?: boolean;
  /** Typed as a percent of the host's share. */
  percent?: boolean;
  help: string;
}

/** The host's ranges (LearningSettings::check). */
export const SETTING_RULES: Record<NumericSetting, SettingRule> = {
  holdout_share: {
    label: 'Control group share',
    min: 0,
    max: 0.5,
    percent: true,
    help: 'Share of new leads whose reps see no score: 0 – 50 %. A lead keeps its group once scored.',
  },
  lift_floor: {
    label: 'Lift floor',
    min: -1,
    max: 10,
    percent: true,
    help: 'The guardrail alerts when lift falls below this: −100 % – 1000 %.',
  },
  guardrail_after_days: {
    label: 'Judge lift after (days)',
    min: 0,
    max: 3650,
    help: 'How long the experiment runs before the guardrail judges it: 0 – 3650 days.',
  },
  guardrail_min_outcomes: {
    label: 'Outcomes needed in each group',
    min: 1,
    max: 10_000_000,
    integer: true,
    help: 'Leads with an outcome each group needs first: a whole number, 1 – 10,000,000.',
  },
  drift_threshold: {
    label: 'Drift threshold (PSI)',
    min: 0.001,
    max: 10,
    help: 'A population stability index above this is a drift alert: 0.001 – 10.',
  },
};

export const NUMERIC_SETTINGS = Object.keys(SETTING_RULES) as NumericSetting[];

export type SettingsDraft = Record<NumericSetting, string> & { guardrail_to_rules: boolean };

/** Float noise off: 0.07 × 100 reads 7, not 7.000000000000001. */
const clean = (v: number) => Number(v.toPrecision(12));

export function draftOf(settings: LearningSettings): SettingsDraft {
  const draft = { guardrail_to_rules: Boolean(settings.guardrail_to_rules) } as SettingsDraft;
  for (const key of NUMERIC_SETTINGS) {
    const value = settings[key];
    draft[key] = typeof value === 'number' && Number.isFinite(value)
      ? String(clean(SETTING_RULES[key].percent ? value * 100 : value))
      : '';
  }
  return draft;
}

function shown(rule: SettingRule, value: number): string {
  const text = rule.percent ? `${clean(value * 100).toLocaleString()} %` : value.toLocaleString();
  return text.replace(/^-/, '−');
}

/** What is wrong with one field, or null. */
export function settingProblem(key: NumericSetting, text: string): string | null {
  const rule = SETTING_RULES[key];
  const trimmed = text.trim().replace(/^−/, '-');
  if (trimmed === '') return 'Enter a value.';
  const typed = Number(trimmed);
  if (!Number.isFinite(typed)) return 'Enter a number.';
  const value = rule.percent ? clean(typed / 100) : typed;
  if (rule.integer && !Number.isInteger(value)) return `Enter a whole number from ${shown(rule, rule.min)} to ${shown(rule, rule.max)}.`;
  if (value < rule.min || value > rule.max) return `Enter a value from ${shown(rule, rule.min)} to ${shown(rule, rule.max)}.`;
  return null;
}

/** The settings to send, or the problems by field. */
export function parseDraft(
  draft: SettingsDraft,
): { settings: LearningSettings; problems: null } | { settings: null; problems: Partial<Record<NumericSetting, string>> } {
  const problems: Partial<Record<NumericSetting, string>> = {};
  const settings = { guardrail_to_rules: draft.guardrail_to_rules } as LearningSettings;
  for (const key of NUMERIC_SETTINGS) {
    const problem = settingProblem(key, draft[key]);
    if (problem) {
      problems[key] = problem;
      continue;
    }
    const typed = Number(draft[key].trim().replace(/^−/, '-'));
    settings[key] = SETTING_RULES[key].percent ? clean(typed / 100) : typed;
  }
  return Object.keys(problems).length > 0 ? { settings: null, problems } : { settings, problems: null };
}

/** A setting as the read-only view shows it. */
export function formatSetting(key: NumericSetting, value: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  const rule = SETTING_RULES[key];
  if (key === 'guardrail_after_days') return `${value.toLocaleString()} ${value === 1 ? 'day' : 'days'}`;
  return shown(rule, value);
}
