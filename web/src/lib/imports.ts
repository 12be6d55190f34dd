/**
 * Bulk imports (backfill): the calls (`POST /leads/import`, `GET /jobs`,
 * `GET /jobs/{job_id}`) and a job's progress, speed and time left in words
 * for the imports card.
 */
import { getJson } from './api';
import type { ImportError, ImportFormat, ImportJob, ImportJobs } from './types';

/**
 * The states this UI knows: still reading the upload, scoring what it
 * read, finished. (The document types `state` as a string.)
 */
export type ImportState = 'receiving' | 'running' | 'done';

/** How often the card reads the jobs while one is receiving or running. */
export const IMPORT_POLL_MS = 1_000;
/** An upload of many leads over a slow link takes minutes; the host answers once it has read it all. */
export const UPLOAD_TIMEOUT_MS = 30 * 60_000;
/** What the host reads (it refuses any other content type with 415). */
export const NDJSON = 'application/x-ndjson';
/** The file picker's filter: the names NDJSON files go by. */
export const ACCEPT = '.ndjson,.jsonl,application/x-ndjson';

/** The formats a line can be in, as the form offers them. */
export const FORMATS: { format: ImportFormat; label: string; description: string }[] = [
  { format: 'lead', label: 'Lead JSON', description: 'A lead a line, as the API takes it ({"id", "fields", "activities"}), or {"crm_object"}.' },
  { format: 'crm', label: 'CRM objects', description: 'An object a line as your CRM exports it, read through the CRM mapping above.' },
];

/** The tenant's 20 latest jobs, newest first. */
export function listJobs(signal?: AbortSignal): Promise<ImportJobs> {
  return getJson<ImportJobs>('/jobs', { signal });
}

/** One job; 404 when the host does not know it (another tenant's, or gone). */
export function getJob(jobId: string, signal?: AbortSignal): Promise<ImportJob> {
  return getJson<ImportJob>(`/jobs/${encodeURIComponent(jobId)}`, { signal });
}

/**
 * Uploads an NDJSON file as it is: the File is the body, so the browser
 * streams it from disk rather than read it into memory first (202 with
 * the job). 400 names what is wrong (no lines, the format), 413: more
 * lines than the host takes.
 */
export function startImport(file: File | Blob, format: ImportFormat, signal?: AbortSignal): Promise<ImportJob> {
  return getJson<ImportJob>(`/leads/import?format=${encodeURIComponent(format)}`, {
    method: 'POST',
    body: file,
    contentType: NDJSON,
    signal,
    timeoutMs: UPLOAD_TIMEOUT_MS,
  });
}

/** What to fix before sending, or null. */
export function importProblem(file: File | null): string | null {
  if (!file) return 'Choose the file to import: one lead a line (.ndjson or .jsonl).';
  if (file.size === 0) return `${file.name} is empty: there is nothing to import.`;
  return null;
}

/** Still receiving or scoring: the card keeps reading the jobs. */
export function isActive(job: ImportJob): boolean {
  return job.state === 'receiving' || job.state === 'running';
}

export function anyActive(jobs: readonly ImportJob[]): boolean {
  return jobs.some(isActive);
}

/** The job as the host answered it in place of the one listed, or first when it is new. */
export function withJob(jobs: readonly ImportJob[], job: ImportJob): ImportJob[] {
  return jobs.some((j) => j.job_id === job.job_id) ? jobs.map((j) => (j.job_id === job.job_id ? job : j)) : [job, ...jobs];
}

/** The share of the lines dealt with (scored or failed), 0–1; 0 before any line is received. */
export function progressFraction(job: Pick<ImportJob, 'total' | 'done' | 'failed'>): number {
  if (!(job.total > 0)) return 0;
  const fraction = (job.done + job.failed) / job.total;
  return Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
}

/** "12,340 of 100,000 scored · 3 failed" (no failures: nothing said of them). */
export function progressLabel(job: Pick<ImportJob, 'total' | 'done' | 'failed'>): string {
  const scored = `${job.done.toLocaleString()} of ${job.total.toLocaleString()} scored`;
  return job.failed > 0 ? `${scored} · ${job.failed.toLocaleString()} failed` : scored;
}

/** "about 2 min left", "less than a minute left"; null when the host has no estimate (no rate yet, or done). */
export function etaText(seconds: number | null | undefined): string | null {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return null;
  if (seconds < 60) return 'less than a minute left';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min left`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  // Past a few hours the minutes are noise.
  if (hours >= 10 || rest === 0) return `about ${Math.round(minutes / 60).toLocaleString()} h left`;
  return `about ${hours} h ${rest} min left`;
}

const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** "1,234 leads/s", "2.5 leads/s", "12 leads/min" under one a second; null without a rate. */
export function rateText(perSecond: number | null | undefined): string | null {
  if (perSecond == null || !Number.isFinite(perSecond) || perSecond <= 0) return null;
  if (perSecond >= 10) return `${Math.round(perSecond).toLocaleString()} leads/s`;
  if (perSecond >= 0.995) {
    const n = oneDecimal.format(perSecond);
    return `${n} ${n === '1' ? 'lead' : 'leads'}/s`;
  }
  const perMinute = Math.round(perSecond * 60);
  if (perMinute < 1) return 'less than 1 lead/min';
  return `${perMinute} ${perMinute === 1 ? 'lead' : 'leads'}/min`;
}

const STATE_LABELS: Record<ImportState, string> = { receiving: 'Receiving', running: 'Scoring', done: 'Done' };

/** The state's word (a state this UI does not know yet: the host's). */
export function stateLabel(state: string): string {
  return STATE_LABELS[state as ImportState] ?? state;
}

export function formatLabel(format: string): string {
  return FORMATS.find((f) => f.format === format)?.label ?? format;
}

/** "Line 3 (lead-42): …", the lead named when the line had a readable id. */
export function errorText(error: ImportError): string {
  const lead = error.lead_id ? ` (${error.lead_id})` : '';
  return `Line ${error.line}${lead}: ${error.message}`;
}

/** When the host listed fewer errors than failures (it keeps the first 100): how many are shown. */
export function errorsNote(job: Pick<ImportJob, 'failed' | 'errors'>): string | null {
  if (job.failed <= job.errors.length) return null;
  return `The first ${job.errors.length.toLocaleString()} of ${job.failed.toLocaleString()} failures.`;
}
