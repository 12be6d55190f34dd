/**
 * The host's API, same origin. Every call sends the stored bearer token when
 * there is one; errors become an ApiError with the host's `{error: {code,
 * message}}` when it sent one.
 */
import { getToken } from './auth';
import type { Band } from './band';

export class ApiError extends Error {
  /** HTTP status; 0 when the host could not be reached or did not answer in time. */
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }

  get isAuth(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  /** Give up after this long (default 15 s). */
  timeoutMs?: number;
}

async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 15_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(path, { method: options.method ?? 'GET', headers, body, signal });
  } catch (e) {
    if (options.signal?.aborted) throw e; // the caller gave up: not an error to show
    if (timeout.aborted) throw new ApiError(0, 'timeout', 'The server did not answer in time.');
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.');
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (body.error && typeof body.error.message === 'string') {
      const code = typeof body.error.code === 'string' ? body.error.code : `http_${response.status}`;
      return new ApiError(response.status, code, body.error.message);
    }
  } catch {
    // not JSON: fall through
  }
  const fallback: Record<number, string> = {
    401: 'You are not signed in, or your token has expired.',
    403: 'Your token does not allow this.',
    404: 'Not found.',
    503: 'The service is unavailable right now.',
  };
  return new ApiError(
    response.status,
    `http_${response.status}`,
    fallback[response.status] ?? (text.trim().slice(0, 200) || `The server answered ${response.status}.`),
  );
}

export async function getJson<T>(path: string, options?: RequestOptions): Promise<T> {
  const response = await request(path, options);
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError(response.status, 'invalid_response', 'The server sent an answer that could not be read.');
  }
}

export async function getText(path: string, options?: RequestOptions): Promise<string> {
  return (await request(path, options)).text();
}

// ---- The shapes the API returns ----------------------------------------

export interface QueueLead {
  lead_id: string;
  name: string | null;
  company: string | null;
  score: number | null;
  band: Band | string | null;
  scored_at: number | null;
  /** In the holdout group: `score` and `band` are null and must stay hidden (absent from older hosts). */
  control_group?: boolean;
}

export interface QueuePage {
  leads: QueueLead[];
  total: number;
  limit: number;
  offset: number;
}

export interface Score {
  request_id: string;
  lead_id: string;
  score: number;
  band: string;
  probability: number;
  confidence: number;
  model_version: string;
  timestamp: number;
  /** The explanation contract; a string when the stored JSON is corrupt. */
  explanation: unknown;
}

export type Scalar = string | number | boolean | null;

export interface Activity {
  at: string;
  kind: string;
  [attribute: string]: Scalar;
}

export interface LeadContext {
  id: string;
  as_of?: string;
  fields?: Record<string, Scalar>;
  activities?: Activity[];
  [key: string]: unknown;
}

export interface LeadDetail {
  lead_id: string;
  context: LeadContext;
  score: Score | null;
  /** In the holdout group: `score` is null and must stay hidden. */
  control_group?: boolean;
}

export interface ScoreRequested {
  request_id: string;
  status: string;
  status_url: string;
}

export interface RequestStatus {
  request_id: string;
  lead_id: string;
  status: 'PENDING' | 'SUCCESS' | 'FAILED' | string;
  attempts?: number;
  created_at?: number | string;
  updated_at?: number | string;
  result?: Score | null;
  error?: string | null;
  /** SUCCESS for a holdout lead: scored, but no `result` (its score is hidden). */
  control_group?: boolean;
}

export interface Weighted {
  version: string;
  weight: number;
}

export interface Routing {
  active: string;
  split: Weighted[];
  fallback: string[];
  /** Scores live traffic beside the active version; reps never see its scores. */
  shadow?: string | null;
}

export interface ModelVersion {
  name: string;
  version: string;
  sha256: string;
  state: 'active' | 'split' | 'fallback' | 'installed' | string;
  loaded: boolean;
  built_at: string;
  num_trees: number;
  features: number;
  routed_for_tenants: string[];
}

export interface ModelsResponse {
  models: ModelVersion[];
  routing: Routing;
  tenants: Record<string, Routing>;
}

/** A 95 % interval, [low, high]. */
export type Interval = [number, number];

/** One group's outcomes: win_rate = won / decided. */
export interface Arm {
  leads: number;
  decided: number;
  won: number;
  win_rate: number | null;
  ci: Interval | null;
}

/** Leads reps saw scores for (treated) against the holdout (control); lift = treated / control − 1. */
export interface Comparison {
  treated: Arm;
  control: Arm;
  lift: number | null;
  lift_ci: Interval | null;
}

export interface WeekComparison extends Comparison {
  /** Monday of the cohort's week, YYYY-MM-DD. */
  week_start: string;
}

export interface BandConversion extends Arm {
  band: Band | string;
}

export interface CalibrationBin {
  predicted: number;
  observed: number;
  leads: number;
}

export interface Touch {
  touched: number;
  median_hours: number | null;
  hot_median_hours: number | null;
}

export type GuardrailStatus = 'ok' | 'waiting' | 'alert';

export interface Guardrail {
  status: GuardrailStatus | string;
  message: string;
  lift: number | null;
  days_running: number;
  tripped_at: number | null;
  routed_to_rules: boolean;
}

export interface FeatureDrift {
  feature: string;
  psi: number | null;
  alert: boolean;
}

export interface DriftReport {
  version: string;
  window_days: number;
  leads: number;
  threshold: number;
  /** Leads needed before a PSI above the threshold is an alert (fewer: noise). */
  min_leads: number;
  alert: boolean;
  /** The score's PSI is above the threshold (with at least min_leads leads). */
  score_alert: boolean;
  score_psi: number | null;
  features: FeatureDrift[];
}

export interface LearningSettings {
  /** 0 – 0.5: share of new leads in the control group. */
  holdout_share: number;
  /** The guardrail alerts when lift is below this. */
  lift_floor: number;
  guardrail_after_days: number;
  guardrail_min_outcomes: number;
  /** On alert, route the tenant to rules-v1. */
  guardrail_to_rules: boolean;
  /** A PSI above this is a drift alert. */
  drift_threshold: number;
}

export interface LiftReport {
  org: string;
  generated_at: number;
  settings: LearningSettings;
  overall: Comparison;
  /** Oldest first. */
  weeks: WeekComparison[];
  bands: BandConversion[];
  auc: { value: number; leads: number; won: number } | null;
  calibration: { brier: number; bins: CalibrationBin[] } | null;
  first_touch: { treated: Touch; control: Touch };
  guardrail: Guardrail;
  drift: DriftReport | null;
}

export interface VersionMetrics {
  auc: number | null;
  brier: number | null;
  mean_score: number | null;
}

export interface ShadowReport {
  active: string;
  shadow: string | null;
  leads: number;
  decided: number;
  active_metrics: VersionMetrics;
  shadow_metrics: VersionMetrics;
  band_agreement: number | null;
  mean_abs_score_diff: number | null;
}

// ---- Calls ---------------------------------------------------------------

export interface QueueQuery {
  band?: Band | null;
  q?: string;
  limit: number;
  offset: number;
}

export function fetchQueue(query: QueueQuery, signal?: AbortSignal): Promise<QueuePage> {
  const params = new URLSearchParams();
  if (query.band) params.set('band', query.band);
  if (query.q?.trim()) params.set('q', query.q.trim());
  params.set('limit', String(query.limit));
  params.set('offset', String(query.offset));
  return getJson<QueuePage>(`/leads?${params}`, { signal });
}

export function fetchLead(leadId: string, signal?: AbortSignal): Promise<LeadDetail> {
  return getJson<LeadDetail>(`/leads/${encodeURIComponent(leadId)}`, { signal });
}

export function fetchScore(leadId: string, signal?: AbortSignal): Promise<Score> {
  return getJson<Score>(`/leads/${encodeURIComponent(leadId)}/score`, { signal });
}

export function requestScore(
  leadId: string,
  context: LeadContext,
  overrides: { model_version?: string; force_refresh?: boolean },
  signal?: AbortSignal,
): Promise<ScoreRequested> {
  return getJson<ScoreRequested>('/leads/score', {
    method: 'POST',
    body: { lead_id: leadId, context, overrides },
    signal,
  });
}

export function fetchStatus(statusUrl: string, signal?: AbortSignal): Promise<RequestStatus> {
  return getJson<RequestStatus>(statusUrl, { signal, timeoutMs: 5_000 });
}

export function fetchModels(signal?: AbortSignal): Promise<ModelsResponse> {
  return getJson<ModelsResponse>('/models', { signal });
}

export function putRouting(routing: Routing, signal?: AbortSignal): Promise<Routing> {
  return getJson<Routing>('/models/routing', { method: 'PUT', body: routing, signal });
}

export function fetchShadowReport(signal?: AbortSignal): Promise<ShadowReport> {
  return getJson<ShadowReport>('/reports/shadow', { signal });
}

/** The shadow becomes active, the old active goes first in the fallback chain; 409 `no_shadow` without one. */
export function promoteShadow(signal?: AbortSignal): Promise<Routing> {
  return getJson<Routing>('/models/routing/promote', { method: 'POST', signal });
}

export function fetchLift(weeks: number, signal?: AbortSignal): Promise<LiftReport> {
  return getJson<LiftReport>(`/reports/lift?weeks=${encodeURIComponent(String(weeks))}`, { signal });
}

export function fetchLearningSettings(signal?: AbortSignal): Promise<LearningSettings> {
  return getJson<LearningSettings>('/learning/settings', { signal });
}

export function putLearningSettings(settings: LearningSettings, signal?: AbortSignal): Promise<LearningSettings> {
  return getJson<LearningSettings>('/learning/settings', { method: 'PUT', body: settings, signal });
}

export function fetchMetricsText(signal?: AbortSignal): Promise<string> {
  return getText('/metrics', { signal });
}
