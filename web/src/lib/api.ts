/**
 * The host's API, same origin. Every call sends the stored bearer token when
 * there is one; errors become an ApiError with the host's `{error: {code,
 * message}}` when it sent one. The request and response types are the
 * generated ones, named in ./types.
 */
import { getToken } from './auth';
import type {
  Accepted,
  Band,
  Changes,
  DeliveryLog,
  History,
  LeadDetail,
  LearningSettings,
  LiftReport,
  MappingRequest,
  MappingView,
  ModelInfo,
  ModelList,
  NewWebhookEndpoint,
  Overrides,
  RequestStatus,
  Routing,
  ScoreRequest,
  ScoreRow,
  ShadowReport,
  WebhookEndpoint,
  WebhookEndpoints,
  WorkQueue,
} from './types';

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
  /** Sent as JSON, or as it is when a FormData (multipart) or a Blob (a File: the browser streams it from disk). */
  body?: unknown;
  /** A Blob body's content type (else the Blob's own). */
  contentType?: string;
  signal?: AbortSignal;
  /** Give up after this long (default 15 s). */
  timeoutMs?: number;
}

async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | FormData | Blob | undefined;
  if (options.body instanceof FormData) {
    body = options.body; // fetch sets the multipart content type with its boundary
  } else if (options.body instanceof Blob) {
    // A picked file's type is whatever the OS guessed from its name (often none for .ndjson).
    const type = options.contentType ?? options.body.type;
    if (type) headers['Content-Type'] = type;
    body = options.body;
  } else if (options.body !== undefined) {
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
    const detail = readErrorBody(JSON.parse(text));
    if (detail) return new ApiError(response.status, detail.code ?? `http_${response.status}`, detail.message);
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

/**
 * The host's `{error: {code, message}}`, read as far as it goes: a proxy in
 * front of the host may answer with anything.
 */
function readErrorBody(body: unknown): { code: string | null; message: string } | null {
  if (typeof body !== 'object' || body === null || !('error' in body)) return null;
  const error = body.error;
  if (typeof error !== 'object' || error === null || !('message' in error) || typeof error.message !== 'string') {
    return null;
  }
  return { code: 'code' in error && typeof error.code === 'string' ? error.code : null, message: error.message };
}

export async function getJson<T>(path: string, options?: RequestOptions): Promise<T> {
  return readJson<T>(await request(path, options));
}

async function readJson<T>(response: Response): Promise<T> {
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError(response.status, 'invalid_response', 'The server sent an answer that could not be read.');
  }
}

export async function getText(path: string, options?: RequestOptions): Promise<string> {
  return (await request(path, options)).text();
}

// ---- Calls ---------------------------------------------------------------

export interface QueueQuery {
  band?: Band | null;
  q?: string;
  limit: number;
  offset: number;
}

export function fetchQueue(query: QueueQuery, signal?: AbortSignal): Promise<WorkQueue> {
  const params = new URLSearchParams();
  if (query.band) params.set('band', query.band);
  if (query.q?.trim()) params.set('q', query.q.trim());
  params.set('limit', String(query.limit));
  params.set('offset', String(query.offset));
  return getJson<WorkQueue>(`/leads?${params}`, { signal });
}

export function fetchLead(leadId: string, signal?: AbortSignal): Promise<LeadDetail> {
  return getJson<LeadDetail>(`/leads/${encodeURIComponent(leadId)}`, { signal });
}

export function fetchScore(leadId: string, signal?: AbortSignal): Promise<ScoreRow> {
  return getJson<ScoreRow>(`/leads/${encodeURIComponent(leadId)}/score`, { signal });
}

/** The lead's scorings, oldest first, and its trend; 404 `control_group` for a lead in the holdout. */
export function fetchHistory(leadId: string, signal?: AbortSignal): Promise<History> {
  return getJson<History>(`/leads/${encodeURIComponent(leadId)}/history`, { signal });
}

/**
 * Why the score moved between two scorings (by request id; without them,
 * the two latest). 404 when the lead has fewer than two scorings, 409
 * `cannot_compare` when these two cannot be compared.
 */
export function fetchChanges(
  leadId: string,
  between: { from?: string; to?: string } = {},
  signal?: AbortSignal,
): Promise<Changes> {
  const params = new URLSearchParams();
  if (between.from) params.set('from', between.from);
  if (between.to) params.set('to', between.to);
  const query = params.toString() ? `?${params}` : '';
  return getJson<Changes>(`/leads/${encodeURIComponent(leadId)}/changes${query}`, { signal });
}

export function requestScore(
  leadId: string,
  context: ScoreRequest['context'],
  overrides: Overrides,
  signal?: AbortSignal,
): Promise<Accepted> {
  const body: ScoreRequest = { lead_id: leadId, context, overrides };
  return getJson<Accepted>('/leads/score', { method: 'POST', body, signal });
}

export function fetchStatus(statusUrl: string, signal?: AbortSignal): Promise<RequestStatus> {
  return getJson<RequestStatus>(statusUrl, { signal, timeoutMs: 5_000 });
}

export function fetchModels(signal?: AbortSignal): Promise<ModelList> {
  return getJson<ModelList>('/models', { signal });
}

/** A model source's files, as XGBoost and the training wrote them (the field names of `ModelUpload`). */
export type ModelSourceFiles = { model: File; features: File; calibration: File | null; reference: File | null };

/** What `POST /models` did: the version, and whether this upload installed it (201) or it was there, identical (200). */
export interface Installed {
  model: ModelInfo;
  created: boolean;
}

/**
 * Uploads a model source (`POST /models`, multipart): the host builds it,
 * self-tests it and installs it. A `.toml` model file is a points-per-rule
 * model, sent as `rules`. Building takes a few seconds, and waits for any
 * other build: a generous timeout.
 */
export async function installModelSource(files: ModelSourceFiles, signal?: AbortSignal): Promise<Installed> {
  const form = new FormData();
  form.append(files.model.name.toLowerCase().endsWith('.toml') ? 'rules' : 'model', files.model, files.model.name);
  form.append('features', files.features, files.features.name);
  if (files.calibration) form.append('calibration', files.calibration, files.calibration.name);
  if (files.reference) form.append('reference', files.reference, files.reference.name);
  const response = await request('/models', { method: 'POST', body: form, signal, timeoutMs: 120_000 });
  return { model: await readJson<ModelInfo>(response), created: response.status === 201 };
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

/** The tenant's CRM mapping, and what the model versions it is routed to read. */
export function fetchCrmMapping(signal?: AbortSignal): Promise<MappingView> {
  return getJson<MappingView>('/integrations/mapping', { signal });
}

/** Sets the CRM mapping (a preset, or the tenant's own); 400 `invalid_mapping` names where in the mapping. */
export function putCrmMapping(request: MappingRequest, signal?: AbortSignal): Promise<MappingView> {
  return getJson<MappingView>('/integrations/mapping', { method: 'PUT', body: request, signal });
}

/** The tenant's webhook endpoints, oldest first (never their secrets). */
export function fetchWebhooks(signal?: AbortSignal): Promise<WebhookEndpoints> {
  return getJson<WebhookEndpoints>('/integrations/webhooks', { signal });
}

/** Registers an endpoint (201); the answer is the only one that carries its secret. 400 `invalid_webhook` names the field. */
export function registerWebhook(endpoint: NewWebhookEndpoint, signal?: AbortSignal): Promise<WebhookEndpoint> {
  return getJson<WebhookEndpoint>('/integrations/webhooks', { method: 'POST', body: endpoint, signal });
}

/** Deletes an endpoint (204); its pending deliveries are given up. */
export async function deleteWebhook(endpointId: string, signal?: AbortSignal): Promise<void> {
  await request(`/integrations/webhooks/${encodeURIComponent(endpointId)}`, { method: 'DELETE', signal });
}

/** An endpoint's deliveries, newest first. */
export function fetchDeliveries(endpointId: string, limit = 100, signal?: AbortSignal): Promise<DeliveryLog> {
  const path = `/integrations/webhooks/${encodeURIComponent(endpointId)}/deliveries?limit=${limit}`;
  return getJson<DeliveryLog>(path, { signal });
}

/** Queues a delivery to be sent again now, with the same `webhook-id` (202; the card reloads the log instead of reading the answer). */
export async function replayDelivery(deliveryId: string, signal?: AbortSignal): Promise<void> {
  const path = `/integrations/webhooks/deliveries/${encodeURIComponent(deliveryId)}/replay`;
  await request(path, { method: 'POST', signal });
}

export function fetchMetricsText(signal?: AbortSignal): Promise<string> {
  return getText('/metrics', { signal });
}
