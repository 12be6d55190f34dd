import { describe, expect, it } from 'vitest';

import { DEFAULT_POLICY } from '../test/retrain';
import {
  anyOpen,
  aucText,
  draftOfPolicy,
  figuresOf,
  formatPolicyValue,
  HISTORY_STEPS,
  parsePolicyDraft,
  policyFieldOf,
  readiness,
  stateLabel,
  stepLabel,
  stepsCutShort,
  stepsOf,
} from './retrain';
import type { RetrainStep } from './types';

const step = (job_id: string, name: string, at: string): RetrainStep => ({
  job_id,
  at,
  step: name,
  message: `${name} ${job_id}`,
  figures: {},
});

describe('retrain', () => {
  it('names every state, and passes an unknown one on as the host wrote it', () => {
    expect(['queued', 'running', 'gated_out', 'shadowing', 'promoted', 'retired', 'failed'].map(stateLabel)).toEqual([
      'Queued',
      'Running',
      'Gated out',
      'Shadowing',
      'Promoted',
      'Retired',
      'Failed',
    ]);
    expect(stateLabel('paused')).toBe('paused');
  });

  it('names every step, and passes an unknown one on as the host wrote it', () => {
    expect(['queued', 'started', 'shadowing', 'gated_out', 'promoted', 'retired', 'failed'].map(stepLabel)).toEqual([
      'Queued',
      'Started',
      'Shadowing',
      'Gated out',
      'Promoted',
      'Retired',
      'Failed',
    ]);
    expect(stepLabel('paused')).toBe('paused');
    expect(stepLabel('constructor')).toBe('constructor');
  });

  it('picks a job’s steps out of the history, oldest first', () => {
    // Newest first, as the host lists them; two steps in the same second keep the host's order.
    const history = [
      step('b', 'failed', '2025-03-02T10:00:00Z'),
      step('a', 'shadowing', '2025-03-01T10:05:00Z'),
      step('a', 'started', '2025-03-01T10:00:00Z'),
      step('a', 'queued', '2025-03-01T10:00:00Z'),
    ];
    expect(stepsOf(history, 'a').map((s) => s.step)).toEqual(['queued', 'started', 'shadowing']);
    expect(stepsOf(history, 'c')).toEqual([]);
    expect(history.map((s) => s.step)).toEqual(['failed', 'shadowing', 'started', 'queued']);
  });

  it('says a job’s earlier steps may be missing only when the history is full', () => {
    const full = Array.from({ length: HISTORY_STEPS }, (_, i) => step(`job-${i}`, 'queued', '2025-03-01T10:00:00Z'));
    expect(stepsCutShort(full, [step('a', 'shadowing', '2025-03-01T10:00:00Z')])).toBe(true);
    expect(stepsCutShort(full, [])).toBe(true);
    expect(stepsCutShort(full, [step('a', 'queued', '2025-03-01T10:00:00Z')])).toBe(false);
    expect(stepsCutShort(full.slice(1), [step('a', 'shadowing', '2025-03-01T10:00:00Z')])).toBe(false);
  });

  it('keeps reading the jobs while one is queued, running or shadowing', () => {
    expect(anyOpen([{ state: 'promoted' }, { state: 'shadowing' }])).toBe(true);
    expect(anyOpen([{ state: 'gated_out' }, { state: 'failed' }, { state: 'retired' }])).toBe(false);
  });

  it('reads the figures a job has, and makes none up', () => {
    expect(figuresOf({})).toEqual({
      auc: null,
      activeAuc: null,
      heldOutLeads: null,
      heldOutWins: null,
      labelledLeads: null,
      labelledWins: null,
      failures: [],
      psiAlarms: [],
      shadow: null,
    });
    const f = figuresOf({ auc: 0.8, active_auc: 'n/a', psi_alarms: [['employees', 0.3], ['bad']], shadow: { auc_a: 0.7 } });
    expect([f.auc, f.activeAuc, f.psiAlarms, f.shadow]).toEqual([0.8, null, [['employees', 0.3]], null]);
  });

  it('puts the candidate’s ROC-AUC against the active version’s, rounded for display', () => {
    expect(aucText(0.80712, 0.62688, 'v12')).toBe('0.807 vs 0.627 (v12)');
    expect(aucText(0.80712, null, 'v12')).toBe('0.807');
    expect(aucText(null, null, 'v12')).toBeNull();
  });

  it('says how far from enough the tenant is, or that it has enough', () => {
    const short = { labelled: { leads: 0, wins: 0 }, shortfall: '0 of 1,000 leads, 0 of 120 wins (labelled leads in the last 24 months)' };
    expect(readiness(short, DEFAULT_POLICY).text).toBe('Staying on the global model: 0 of 1,000 leads, 0 of 120 wins');
    // Without the policy: the host's own words.
    expect(readiness(short, null).text).toBe(`Staying on the global model: ${short.shortfall}`);
    expect(readiness({ labelled: { leads: 1_000, wins: 1 }, shortfall: null }, null)).toEqual({
      ready: true,
      text: 'Enough data to retrain: 1,000 labelled leads, 1 win',
    });
  });

  it('turns the form back into the whole policy, checking only that the values are numbers', () => {
    const draft = draftOfPolicy(DEFAULT_POLICY);
    expect(draft.every_days).toBe('10');
    expect(parsePolicyDraft(draft).policy).toEqual(DEFAULT_POLICY);
    // Ranges are the host's: 5 months goes out, for it to refuse.
    expect(parsePolicyDraft({ ...draft, window_months: ' 5 ' }).policy?.window_months).toBe(5);
    expect(parsePolicyDraft({ ...draft, min_wins: '', confidence: 'high', min_leads: '10.5' }).problems).toEqual({
      min_wins: 'Enter a value.',
      confidence: 'Enter a number.',
      min_leads: 'Enter a whole number.',
    });
  });

  it('finds the field a refusal names', () => {
    expect(policyFieldOf('window_months 5: expected 7 – 120')).toBe('window_months');
    expect(policyFieldOf('max_auc_drop NaN: expected 0 – 0.5')).toBe('max_auc_drop');
    expect(policyFieldOf('invalid JSON: expected value at line 1 column 1')).toBeNull();
  });

  it('shows the policy’s numbers with their units', () => {
    expect(formatPolicyValue('every_days', 1)).toBe('1 day');
    expect(formatPolicyValue('shadow_days', 7.5)).toBe('7.5 days');
    expect(formatPolicyValue('min_compared_outcomes', 12_000)).toBe('12,000');
  });
});
