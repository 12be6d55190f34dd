/**
 * The closed loop (retraining): the calls (`/learning/retrain…`), a job's
 * state and figures in words, the tenant's readiness to train, and the
 * retrain policy's form. The host checks the policy's ranges (a 400 names
 * the field); the form only checks that each value is a number.
 */
import { getJson, type ApiError } from './api';
import { toApiError } from './hooks';
import { isNumber } from './lift';
import type { RetrainHistory, RetrainJob, RetrainJobs, RetrainPolicy, RetrainState, RetrainStep, StartedRetrain } from './types';

/** How often the card reads the jobs while one is queued, running or shadowing. */
export const RETRAIN_POLL_MS = 3_000;
/** The latest jobs the card lists before "Show all". */
export const JOBS_SHOWN = 5;

// ---- Calls -------------------------------------------------------------------

export function fetchRetrainPolicy(signal?: AbortSignal): Promise<RetrainPolicy> {
  return getJson<RetrainPolicy>('/learning/retrain', { signal });
}

/** Replaces the whole policy; 400 `invalid_policy` names the field out of range. */
export function putRetrainPolicy(policy: RetrainPolicy, signal?: AbortSignal): Promise<RetrainPolicy> {
  return getJson<RetrainPolicy>('/learning/retrain', { method: 'PUT', body: policy, signal });
}

/** The tenant's latest jobs, newest first, its labelled leads and its shortfall. */
export function listRetrainJobs(signal?: AbortSignal): Promise<RetrainJobs> {
  return getJson<RetrainJobs>('/learning/retrain/jobs', { signal });
}

/** The steps of the tenant's jobs, newest first: its latest 200 (`HISTORY_STEPS`), across its jobs. */
export function fetchRetrainHistory(signal?: AbortSignal): Promise<RetrainHistory> {
  return getJson<RetrainHistory>('/learning/retrain/history', { signal });
}

/** The jobs, with the steps read alongside (one read of each); the steps failing leaves the jobs. */
export async function listRetrainJobsWithSteps(signal?: AbortSignal): Promise<JobsWithSteps> {
  const [jobs, history] = await Promise.all([
    listRetrainJobs(signal),
    fetchRetrainHistory(signal).then(
      (h): StepsRead => ({ steps: Array.isArray(h.steps) ? h.steps : [], error: null }),
      (e: unknown): StepsRead => ({ steps: null, error: toApiError(e) }),
    ),
  ]);
  return { ...jobs, history };
}

/** A job now (202); 409 `job_open` while one is open, 422 `not_enough_data` saying how many of how many. */
export function startRetrain(signal?: AbortSignal): Promise<StartedRetrain> {
  return getJson<StartedRetrain>('/learning/retrain/run', { method: 'POST', signal });
}

export type Decision = 'promote' | 'retire';

/** Promotes or retires a shadowing candidate by hand; 409 `not_shadowing` otherwise. */
export function decideRetrain(jobId: string, decision: Decision, signal?: AbortSignal): Promise<RetrainJob> {
  return getJson<RetrainJob>(`/learning/retrain/jobs/${encodeURIComponent(jobId)}/${decision}`, { method: 'POST', signal });
}

// ---- Jobs --------------------------------------------------------------------

const STATE_LABELS: Record<RetrainState, string> = {
  queued: 'Queued',
  running: 'Running',
  gated_out: 'Gated out',
  shadowing: 'Shadowing',
  promoted: 'Promoted',
  retired: 'Retired',
  failed: 'Failed',
};

/** The state's word (a state this UI does not know yet: the host's). */
export function stateLabel(state: string): string {
  return STATE_LABELS[state as RetrainState] ?? state;
}

/** Queued, running or shadowing: it blocks another job, and the card keeps reading the jobs. */
export function isOpen(job: Pick<RetrainJob, 'state'>): boolean {
  return job.state === 'queued' || job.state === 'running' || job.state === 'shadowing';
}

export function anyOpen(jobs: readonly Pick<RetrainJob, 'state'>[]): boolean {
  return jobs.some(isOpen);
}

/** The job as the host answered it in place of the one listed, or first when it is new. */
export function withJob(jobs: readonly RetrainJob[], job: RetrainJob): RetrainJob[] {
  return jobs.some((j) => j.job_id === job.job_id) ? jobs.map((j) => (j.job_id === job.job_id ? job : j)) : [job, ...jobs];
}

export function reasonLabel(reason: string): string {
  if (reason === 'manual') return 'Started by hand';
  if (reason === 'schedule') return 'Scheduled';
  return reason;
}

/** DeLong's paired comparison in shadow: `a` the active version, `b` the candidate. */
export interface ShadowFigures {
  aucA: number;
  aucB: number;
  seDifference: number | null;
  positives: number | null;
  negatives: number | null;
  /** Days the candidate had shadowed when it was judged. */
  days: number | null;
}

/** A job's `metrics`, read as far as they go (`{}` while queued or running). */
export interface JobFigures {
  auc: number | null;
  activeAuc: number | null;
  heldOutLeads: number | null;
  heldOutWins: number | null;
  labelledLeads: number | null;
  labelledWins: number | null;
  failures: string[];
  psiAlarms: [string, number][];
  shadow: ShadowFigures | null;
}

const num = (v: unknown): number | null => (isNumber(v) ? v : null);

export function figuresOf(metrics: Record<string, unknown> | null | undefined): JobFigures {
  const m = metrics ?? {};
  const failures = Array.isArray(m.failures) ? m.failures.map(String) : [];
  const psiAlarms = Array.isArray(m.psi_alarms)
    ? m.psi_alarms.filter((a): a is [string, number] => Array.isArray(a) && a.length === 2 && isNumber(a[1])).map(([f, psi]) => [String(f), psi] as [string, number])
    : [];
  const s = typeof m.shadow === 'object' && m.shadow !== null ? (m.shadow as Record<string, unknown>) : null;
  const shadow =
    s && isNumber(s.auc_a) && isNumber(s.auc_b)
      ? { aucA: s.auc_a, aucB: s.auc_b, seDifference: num(s.se_difference), positives: num(s.positives), negatives: num(s.negatives), days: num(m.days) }
      : null;
  return {
    auc: num(m.auc),
    activeAuc: num(m.active_auc),
    heldOutLeads: num(m.held_out_leads),
    heldOutWins: num(m.held_out_wins),
    labelledLeads: num(m.labelled_leads),
    labelledWins: num(m.labelled_wins),
    failures,
    psiAlarms,
    shadow,
  };
}

/** An AUC for display: 3 decimals. */
export function formatAuc(value: number): string {
  return value.toFixed(3);
}

/** "0.807 vs 0.627 (v12)": the candidate's ROC-AUC against the active version's; null before the gate. */
export function aucText(candidate: number | null, active: number | null, activeVersion: string | null | undefined): string | null {
  if (candidate === null && active === null) return null;
  const c = candidate === null ? '—' : formatAuc(candidate);
  if (active === null) return c;
  return `${c} vs ${formatAuc(active)}${activeVersion ? ` (${activeVersion})` : ''}`;
}

function count(n: number, one: string, many: string): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** "on 1,234 held-out leads, 56 won"; null when the host did not say. */
export function heldOutText(f: Pick<JobFigures, 'heldOutLeads' | 'heldOutWins'>): string | null {
  if (f.heldOutLeads === null) return null;
  const won = f.heldOutWins === null ? '' : `, ${f.heldOutWins.toLocaleString()} won`;
  return `on ${count(f.heldOutLeads, 'held-out lead', 'held-out leads')}${won}`;
}

/** "from 8,000 labelled leads, 378 won"; null when the host did not say. */
export function trainedOnText(f: Pick<JobFigures, 'labelledLeads' | 'labelledWins'>): string | null {
  if (f.labelledLeads === null) return null;
  const won = f.labelledWins === null ? '' : `, ${f.labelledWins.toLocaleString()} won`;
  return `from ${count(f.labelledLeads, 'labelled lead', 'labelled leads')}${won}`;
}

/** What follows the shadow's ROC-AUCs: " on 340 compared outcomes (120 won, 220 lost), standard error of the difference 0.012, after 7.2 days in shadow". */
export function shadowDetail(s: ShadowFigures): string {
  const parts: string[] = [];
  if (s.positives !== null && s.negatives !== null) {
    parts.push(
      ` on ${count(s.positives + s.negatives, 'compared outcome', 'compared outcomes')} (${s.positives.toLocaleString()} won, ${s.negatives.toLocaleString()} lost)`,
    );
  }
  if (s.seDifference !== null) parts.push(`, standard error of the difference ${formatAuc(s.seDifference)}`);
  if (s.days !== null) parts.push(`, after ${Number(s.days.toFixed(1)).toLocaleString()} ${s.days === 1 ? 'day' : 'days'} in shadow`);
  return parts.join('');
}

/** The PSI for display: 2 decimals. */
export function psiText([feature, psi]: [string, number]): string {
  return `${feature} (PSI ${psi.toFixed(2)})`;
}

// ---- Steps -------------------------------------------------------------------

/** The latest steps `GET /learning/retrain/history` answers, across the tenant's jobs. */
export const HISTORY_STEPS = 200;

/** The steps as read with the jobs, or why they could not be read. */
export type StepsRead = { steps: RetrainStep[]; error: null } | { steps: null; error: ApiError };

/** `GET /learning/retrain/jobs`'s answer, and the steps read with it. */
export type JobsWithSteps = RetrainJobs & { history: StepsRead };

const STEP_LABELS: Record<string, string> = {
  queued: 'Queued',
  started: 'Started',
  shadowing: 'Shadowing',
  gated_out: 'Gated out',
  promoted: 'Promoted',
  retired: 'Retired',
  failed: 'Failed',
};

/** The step's word (a step this UI does not know yet: the host's). */
export function stepLabel(step: string): string {
  return Object.hasOwn(STEP_LABELS, step) ? STEP_LABELS[step] : step;
}

/** One job's steps, oldest first (the host lists them newest first). */
export function stepsOf(steps: readonly RetrainStep[], jobId: string): RetrainStep[] {
  return steps.filter((s) => s.job_id === jobId).reverse();
}

/**
 * Whether a job's earliest steps may be past the latest `HISTORY_STEPS`:
 * the history is full and the job's first step listed is not its queueing.
 */
export function stepsCutShort(all: readonly RetrainStep[], jobSteps: readonly RetrainStep[]): boolean {
  return all.length >= HISTORY_STEPS && (jobSteps.length === 0 || jobSteps[0].step !== 'queued');
}

// ---- Readiness ---------------------------------------------------------------

/**
 * Whether the tenant has enough labelled leads to train, in a line: the
 * host's `shortfall` decides which; the numbers are its `labelled` against
 * the policy's thresholds (the host's own words without the policy).
 */
export function readiness(jobs: Pick<RetrainJobs, 'labelled' | 'shortfall'>, policy: RetrainPolicy | null): { ready: boolean; text: string } {
  const { leads, wins } = jobs.labelled;
  if (jobs.shortfall) {
    const text = policy
      ? `${leads.toLocaleString()} of ${policy.min_leads.toLocaleString()} leads, ${wins.toLocaleString()} of ${policy.min_wins.toLocaleString()} wins`
      : jobs.shortfall;
    return { ready: false, text: `Staying on the global model: ${text}` };
  }
  return { ready: true, text: `Enough data to retrain: ${count(leads, 'labelled lead', 'labelled leads')}, ${count(wins, 'win', 'wins')}` };
}

// ---- The policy's form -------------------------------------------------------

export type NumericPolicyKey = Exclude<keyof RetrainPolicy, 'enabled' | 'auto_promote'>;
export type SwitchPolicyKey = 'enabled' | 'auto_promote';

export interface PolicyRule {
  label: string;
  help: string;
  integer?: boolean;
  /** The unit the read-only view puts after the value. */
  unit?: [one: string, many: string];
}

/** The numbers, in the form's order. */
export const POLICY_RULES: Record<NumericPolicyKey, PolicyRule> = {
  every_days: { label: 'Retrain every (days)', help: 'Days between scheduled retrains, from the last job’s start.', unit: ['day', 'days'] },
  min_leads: { label: 'Labelled leads needed', help: 'Scored leads with an outcome, in the window, before a retrain.', integer: true },
  min_wins: { label: 'Wins needed', help: 'Of those labelled leads, how many must have been won.', integer: true },
  window_months: {
    label: 'Training window (months)',
    help: 'Train on leads that qualified in the last this many months; the latest months are held out to test the candidate.',
    integer: true,
    unit: ['month', 'months'],
  },
  shadow_days: { label: 'Shadow for (days)', help: 'How long a candidate scores in the shadow before its verdict.', unit: ['day', 'days'] },
  min_compared_outcomes: {
    label: 'Compared outcomes needed',
    help: 'Leads both versions scored whose outcome is known, before the verdict.',
    integer: true,
  },
  max_auc_drop: {
    label: 'Largest ROC-AUC drop',
    help: 'How far below the active version’s ROC-AUC the candidate’s may be, offline and in shadow (e.g. 0.02).',
  },
  confidence: { label: 'Confidence of the verdict', help: 'One-sided, of the shadow comparison (0.9: 90 %).' },
};

export const NUMERIC_POLICY_KEYS = Object.keys(POLICY_RULES) as NumericPolicyKey[];

export const SWITCH_RULES: Record<SwitchPolicyKey, { label: string; on: string; off: string; help: string }> = {
  enabled: {
    label: 'Schedule',
    on: 'Retrain on schedule',
    off: 'By hand only',
    help: 'Retrain on schedule (a job can still be started by hand when off).',
  },
  auto_promote: {
    label: 'Verdict',
    on: 'Promote or retire automatically',
    off: 'An admin decides',
    help: 'Promote or retire on the verdict (off: the candidate shadows until an admin decides).',
  },
};

export type PolicyDraft = Record<NumericPolicyKey, string> & Record<SwitchPolicyKey, boolean>;

export function draftOfPolicy(policy: RetrainPolicy): PolicyDraft {
  const draft = { enabled: Boolean(policy.enabled), auto_promote: Boolean(policy.auto_promote) } as PolicyDraft;
  for (const key of NUMERIC_POLICY_KEYS) draft[key] = isNumber(policy[key]) ? String(policy[key]) : '';
  return draft;
}

/** What is wrong with one field's text, or null (the ranges are the host's to check). */
export function policyProblem(key: NumericPolicyKey, text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return 'Enter a value.';
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return 'Enter a number.';
  if (POLICY_RULES[key].integer && !Number.isInteger(value)) return 'Enter a whole number.';
  return null;
}

/** The policy to send, or the problems by field. */
export function parsePolicyDraft(
  draft: PolicyDraft,
): { policy: RetrainPolicy; problems: null } | { policy: null; problems: Partial<Record<NumericPolicyKey, string>> } {
  const problems: Partial<Record<NumericPolicyKey, string>> = {};
  const policy = { enabled: draft.enabled, auto_promote: draft.auto_promote } as RetrainPolicy;
  for (const key of NUMERIC_POLICY_KEYS) {
    const problem = policyProblem(key, draft[key]);
    if (problem) problems[key] = problem;
    else policy[key] = Number(draft[key].trim());
  }
  return Object.keys(problems).length > 0 ? { policy: null, problems } : { policy, problems: null };
}

/** The field a host message names ("window_months 5: expected 7 – 120"), or null. */
export function policyFieldOf(message: string): NumericPolicyKey | null {
  const first = message.trim().split(/[\s:]/)[0];
  return (NUMERIC_POLICY_KEYS as string[]).includes(first) ? (first as NumericPolicyKey) : null;
}

/** A number of the policy as the read-only view shows it ("10 days", "1,000", "0.02"). */
export function formatPolicyValue(key: NumericPolicyKey, value: number): string {
  if (!isNumber(value)) return '—';
  const unit = POLICY_RULES[key].unit;
  const text = value.toLocaleString(undefined, { maximumFractionDigits: 6 });
  return unit ? `${text} ${value === 1 ? unit[0] : unit[1]}` : text;
}
