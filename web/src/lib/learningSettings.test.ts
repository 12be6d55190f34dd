import { describe, expect, it } from 'vitest';

import { draftOf, formatSetting, parseDraft, settingProblem } from './learningSettings';
import { DEFAULT_SETTINGS } from '../test/learning';

describe('learning settings form', () => {
  it('shows shares as percents and reads them back exactly', () => {
    const draft = draftOf({ ...DEFAULT_SETTINGS, holdout_share: 0.07 });
    expect(draft).toEqual({
      holdout_share: '7',
      lift_floor: '5',
      guardrail_after_days: '30',
      guardrail_min_outcomes: '50',
      guardrail_to_rules: false,
      drift_threshold: '0.2',
    });
    expect(parseDraft(draft)).toEqual({ settings: { ...DEFAULT_SETTINGS, holdout_share: 0.07 }, problems: null });
  });

  it('mirrors the host’s ranges', () => {
    expect(settingProblem('holdout_share', '50')).toBeNull();
    expect(settingProblem('holdout_share', '0')).toBeNull();
    expect(settingProblem('holdout_share', '51')).toBe('Enter a value from 0 % to 50 %.');
    expect(settingProblem('holdout_share', '-1')).toBe('Enter a value from 0 % to 50 %.');
    expect(settingProblem('lift_floor', '−100')).toBeNull();
    expect(settingProblem('lift_floor', '-101')).toMatch(/−100 % to 1,?000 %/);
    expect(settingProblem('guardrail_after_days', '3650')).toBeNull();
    expect(settingProblem('guardrail_after_days', '3651')).toMatch(/0 to 3,?650/);
    expect(settingProblem('guardrail_min_outcomes', '0')).toMatch(/1 to 10,?000,?000/);
    expect(settingProblem('guardrail_min_outcomes', '2.5')).toMatch(/^Enter a whole number/);
    expect(settingProblem('drift_threshold', '0.0009')).toMatch(/0\.001 to 10/);
    expect(settingProblem('drift_threshold', '0.001')).toBeNull();
  });

  it('asks for a number when the text is not one', () => {
    expect(settingProblem('drift_threshold', '')).toBe('Enter a value.');
    expect(settingProblem('drift_threshold', 'abc')).toBe('Enter a number.');
    expect(settingProblem('drift_threshold', '0.2.1')).toBe('Enter a number.');
  });

  it('names every field that is out of range and sends nothing', () => {
    const result = parseDraft({ ...draftOf(DEFAULT_SETTINGS), holdout_share: '60', guardrail_min_outcomes: 'x' });
    expect(result.settings).toBeNull();
    expect(Object.keys(result.problems ?? {})).toEqual(['holdout_share', 'guardrail_min_outcomes']);
  });

  it('reads settings for the view', () => {
    expect(formatSetting('holdout_share', 0.1)).toBe('10 %');
    expect(formatSetting('lift_floor', -0.05)).toBe('−5 %');
    expect(formatSetting('guardrail_after_days', 1)).toBe('1 day');
    expect(formatSetting('guardrail_after_days', 30)).toBe('30 days');
    expect(formatSetting('drift_threshold', 0.2)).toBe('0.2');
  });
});
