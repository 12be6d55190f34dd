/**
 * "Imports" on the admin page: a backfill of leads from an NDJSON file
 * (`POST /leads/import`, the file streamed as the body), and the tenant's
 * latest jobs (`GET /jobs`) with their progress, speed, time left and the
 * lines that failed. The jobs are read every second while one is receiving
 * or scoring (or a file is going up), and no more once none is. A refusal
 * shows the host's message, which names the line or field. Without the
 * scope to read the jobs (401/403), or on a host without them (404), the
 * card is not shown.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';

import type { ApiError } from '../lib/api';
import { toApiError, useLoad, useNow } from '../lib/hooks';
import {
  ACCEPT,
  anyActive,
  errorsNote,
  errorText,
  etaText,
  FORMATS,
  formatLabel,
  IMPORT_POLL_MS,
  importProblem,
  isActive,
  listJobs,
  progressFraction,
  progressLabel,
  rateText,
  startImport,
  stateLabel,
  withJob,
} from '../lib/imports';
import { formatAge, formatDateTime, parseTime } from '../lib/time';
import type { ImportFormat, ImportJob } from '../lib/types';
import { timeOf } from '../lib/webhooks';
import { ErrorState, LoadingBlock, Spinner, SuccessNotice } from './States';

const WRITE_SCOPE = 'crm.write.leads';

export function importErrorText(error: ApiError): string {
  // 400: no lines, a bad format; 413: more lines than the host takes; 415: not NDJSON.
  if (error.status === 400 || error.status === 413 || error.status === 415) return `The import was refused: ${error.message}`;
  if (error.isAuth) return `You need the “${WRITE_SCOPE}” scope to import leads. ${error.message}`;
  return `The import failed: ${error.message}`;
}

export function ImportsCard({ pollMs = IMPORT_POLL_MS }: { pollMs?: number }) {
  const ids = useId();
  const [state, reload, replace] = useLoad((signal) => listJobs(signal), []);
  const [uploading, setUploading] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const jobs = state.data?.jobs ?? [];
  // The upload resolves after polls may have replaced the list: merge into the latest one.
  const jobsRef = useRef(jobs);
  jobsRef.current = jobs;

  // Read again a second after each answer (never on top of a read in flight) while a job moves,
  // or while a file goes up, so that its job shows while it is received. Unmounting clears the timer.
  const shut = state.status === 'error' && (state.error.isAuth || (state.error.status === 404 && !state.data));
  const polling = !shut && (uploading || anyActive(jobs));
  useEffect(() => {
    if (!polling || state.status === 'loading') return;
    const t = window.setTimeout(reload, pollMs);
    return () => window.clearTimeout(t);
  }, [polling, state, pollMs, reload]);

  // Without the scope, or on a host without the imports API (404), there is nothing to show.
  if (shut) return null;

  const start = async (file: File, format: ImportFormat) => {
    setUploading(true);
    setNotice(null);
    try {
      const job = await startImport(file, format);
      replace({ jobs: withJob(jobsRef.current, job) });
      reload(); // drops a read that started before the host knew the job
      const lines = `${job.total.toLocaleString()} ${job.total === 1 ? 'line' : 'lines'}`;
      setNotice(`Received ${lines} from ${file.name}. Its progress is below.`);
    } finally {
      setUploading(false);
    }
  };

  return (
    <section className="card" aria-labelledby={`${ids}-title`} data-testid="imports">
      <div>
        <h2 id={`${ids}-title`} className="card__title">
          Imports
        </h2>
        <p className="muted small">
          Backfill: leads in bulk from a file, one JSON object a line (NDJSON). Each is scored as if the CRM had sent
          it; the server reads the file, then scores the leads in the background.
        </p>
      </div>
      <ImportForm uploading={uploading} onStart={start} />
      <SuccessNotice text={notice} testId="import-notice" onDismiss={() => setNotice(null)} />
      {!state.data ? (
        state.status === 'error' ? (
          <ErrorState error={state.error} title="The imports could not be loaded" onRetry={reload} compact />
        ) : (
          <LoadingBlock label="Loading the imports" />
        )
      ) : (
        <>
          {state.status === 'error' ? (
            // Kept polling: the next read may well answer.
            <p className="notice notice--muted" data-testid="imports-stale">
              The imports could not be read again just now ({state.error.message}); what is shown may be behind.
            </p>
          ) : null}
          <JobList jobs={jobs} />
        </>
      )}
    </section>
  );
}

/**
 * A file and the format of its lines. The file stays chosen on an error;
 * what is wrong in it is the host's to say (it names the line and field).
 */
function ImportForm({
  uploading,
  onStart,
}: {
  uploading: boolean;
  /** Resolves once the host has the job, rejects with its error. */
  onStart: (file: File, format: ImportFormat) => Promise<void>;
}) {
  const ids = useId();
  const form = useRef<HTMLFormElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<ImportFormat>('lead');
  const [problem, setProblem] = useState<string | null>(null);
  const [hostError, setHostError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setHostError(null);
    const missing = importProblem(file);
    setProblem(missing);
    if (missing || !file) return;
    try {
      await onStart(file, format);
      setFile(null);
      form.current?.reset();
      setFormat('lead'); // the reset moves the radios back, not the state
    } catch (err) {
      setHostError(importErrorText(toApiError(err)));
    }
  };

  return (
    <form ref={form} className="import-form" onSubmit={(e) => void submit(e)} noValidate data-testid="import-form">
      <div className="import-form__fields">
        <div className="field">
          <label className="field__label" htmlFor={`${ids}-file`}>
            NDJSON file
          </label>
          <input
            id={`${ids}-file`}
            className="input"
            type="file"
            accept={ACCEPT}
            disabled={uploading}
            aria-describedby={`${ids}-file-help`}
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setProblem(null);
            }}
            data-testid="import-file"
          />
          <p id={`${ids}-file-help`} className="field__help">
            .ndjson or .jsonl: one lead a line. Sent as it is, so a large file does not have to fit in this page.
          </p>
        </div>
        <fieldset className="fieldset">
          <legend className="field__label">Each line is</legend>
          <ul className="import-formats">
            {FORMATS.map((f) => (
              <li key={f.format}>
                <label className="checkbox">
                  <input
                    type="radio"
                    name={`${ids}-format`}
                    value={f.format}
                    checked={format === f.format}
                    disabled={uploading}
                    onChange={() => setFormat(f.format)}
                    data-testid="import-format"
                    data-format={f.format}
                  />
                  <span>
                    <span>{f.label}</span>
                    <span className="muted block">{f.description}</span>
                  </span>
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
      </div>
      {problem ? (
        <p className="notice notice--error" role="alert" data-testid="import-problem">
          {problem}
        </p>
      ) : null}
      {hostError ? (
        <p className="notice notice--error" role="alert" data-testid="import-error">
          {hostError}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={uploading} data-testid="start-import">
          {uploading ? <Spinner label="Uploading" /> : null} {uploading ? 'Uploading…' : 'Import'}
        </button>
      </div>
    </form>
  );
}

function JobList({ jobs }: { jobs: ImportJob[] }) {
  const ids = useId();
  return (
    <div>
      <h3 id={`${ids}-title`} className="imports__subtitle">
        Latest imports <span className="count">{jobs.length}</span>
      </h3>
      {jobs.length === 0 ? (
        <p className="muted small" data-testid="imports-empty">
          No import yet.
        </p>
      ) : (
        <ul className="import-list" aria-labelledby={`${ids}-title`}>
          {jobs.map((job) => (
            <JobItem key={job.job_id} job={job} />
          ))}
        </ul>
      )}
    </div>
  );
}

/** One job: what and when, its state in words, the bar (labelled by the job), the counts, speed and time left, its errors. */
function JobItem({ job }: { job: ImportJob }) {
  const ids = useId();
  const now = useNow();
  const created = parseTime(job.created_at);
  const finished = parseTime(job.finished_at);
  // While the file is received its total is what has arrived so far: no share of it to show yet.
  const receiving = job.state === 'receiving';
  const fraction = progressFraction(job);
  const bar = receiving ? {} : job.total > 0 ? { value: Math.min(job.done + job.failed, job.total), max: job.total } : { value: 0, max: 1 };
  const speed = [rateText(job.rate_per_second), etaText(job.eta_seconds)].filter((t) => t !== null).join(' · ');
  return (
    <li className="import-job" data-testid="import-job" data-job={job.job_id} data-state={job.state}>
      <div className="import-job__head">
        <p id={`${ids}-title`} className="import-job__title" data-testid="import-title">
          {formatLabel(job.format)} import
          {created !== null ? (
            <span title={formatDateTime(created)}> started {timeOf(created, now)}</span>
          ) : null}
        </p>
        {/* The word says it; the tint only repeats it. */}
        <span className={`import-state import-state--${job.state}`} data-testid="import-state">
          {stateLabel(job.state)}
        </span>
      </div>
      <progress
        className="import-progress"
        {...bar}
        aria-labelledby={`${ids}-title`}
        aria-describedby={`${ids}-label`}
        data-testid="import-progress"
      >
        {receiving ? 'Receiving' : `${Math.round(fraction * 100)} %`}
      </progress>
      <p id={`${ids}-label`} className="import-job__label" data-testid="import-label">
        {progressLabel(job)}
      </p>
      <p className="muted small" data-testid="import-timing">
        {receiving ? (
          ['Receiving the file', rateText(job.rate_per_second)].filter((t) => t !== null).join(' · ')
        ) : isActive(job) ? (
          speed || 'Working out the time left…'
        ) : finished !== null ? (
          <span title={formatDateTime(finished)}>Finished {formatAge(finished, now)}</span>
        ) : (
          'Finished'
        )}
      </p>
      <p className="muted small mono import-job__id">{job.job_id}</p>
      {job.errors.length > 0 ? <ImportErrors job={job} /> : null}
    </li>
  );
}

/** The lines that failed, closed at first: the host keeps the first 100. */
function ImportErrors({ job }: { job: ImportJob }) {
  const note = errorsNote(job);
  return (
    <details className="details import-errors" data-testid="import-errors">
      <summary>
        Errors <span className="count">{job.errors.length.toLocaleString()}</span>
      </summary>
      {note ? <p className="muted small">{note}</p> : null}
      <ol className="import-errors__list">
        {job.errors.map((e, i) => (
          <li key={`${e.line}-${i}`} data-testid="import-error-line">
            {errorText(e)}
          </li>
        ))}
      </ol>
    </details>
  );
}
