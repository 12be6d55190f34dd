/**
 * The tenant's retrain jobs, newest first: each one's state in words, its
 * candidate against the active version (held-out ROC-AUC of each), the
 * host's message, when, its attempts, why the gate refused it, the shadow
 * verdict's figures, the steps it took (from `GET /learning/retrain/history`,
 * read with the jobs), the trainer's log, and Promote / Retire while it
 * shadows (an admin may always decide by hand). Every job is listed,
 * failed ones too: the latest few, the rest behind "Show all".
 */
import { useEffect, useId, useRef, useState } from 'react';

import type { ApiError } from '../lib/api';
import { toApiError, useNow } from '../lib/hooks';
import {
  aucText,
  decideRetrain,
  figuresOf,
  heldOutText,
  HISTORY_STEPS,
  JOBS_SHOWN,
  psiText,
  reasonLabel,
  shadowDetail,
  stateLabel,
  stepLabel,
  stepsCutShort,
  stepsOf,
  trainedOnText,
  type Decision,
  type StepsRead,
} from '../lib/retrain';
import { formatAge, formatDateTime, parseTime } from '../lib/time';
import type { RetrainJob } from '../lib/types';
import { Spinner } from './States';

const ADMIN_SCOPE = 'crm.admin.models';

/** The tint that repeats the state's word. */
const STATE_PILL: Record<string, string> = {
  queued: 'state-pill--split',
  running: 'state-pill--split',
  shadowing: 'state-pill--shadow',
  promoted: 'state-pill--active',
  gated_out: 'state-pill--warning',
  failed: 'state-pill--warning',
};

export function decideErrorText(decision: Decision, error: ApiError): string {
  if (error.status === 409 && error.code === 'not_shadowing') return `${error.message}. The jobs have been refreshed.`;
  if (error.isAuth) return `You need the “${ADMIN_SCOPE}” scope for this. ${error.message}`;
  return `${decision === 'promote' ? 'The promotion failed' : 'The candidate could not be retired'}: ${error.message}`;
}

export function RetrainJobList({
  jobs,
  history,
  onDecided,
  onStale,
}: {
  jobs: RetrainJob[];
  /** The jobs' steps, read with them (or why they could not be). */
  history: StepsRead;
  /** The host promoted or retired the job. */
  onDecided: (job: RetrainJob, decision: Decision) => void;
  /** The jobs shown are out of date: read them again. */
  onStale: () => void;
}) {
  const ids = useId();
  const [all, setAll] = useState(false);
  const shown = all ? jobs : jobs.slice(0, JOBS_SHOWN);
  return (
    <div>
      <h3 id={`${ids}-title`} className="imports__subtitle">
        Retrain jobs <span className="count">{jobs.length}</span>
      </h3>
      {jobs.length === 0 ? (
        <p className="muted small" data-testid="retrain-jobs-empty">
          No retrain job yet.
        </p>
      ) : (
        <ul aria-labelledby={`${ids}-title`}>
          {shown.map((job) => (
            <JobItem key={job.job_id} job={job} history={history} onDecided={onDecided} onStale={onStale} />
          ))}
        </ul>
      )}
      {jobs.length > shown.length ? (
        <button type="button" className="button button--small" onClick={() => setAll(true)} data-testid="retrain-show-all">
          Show all {jobs.length.toLocaleString()} jobs
        </button>
      ) : null}
    </div>
  );
}

function JobItem({
  job,
  history,
  onDecided,
  onStale,
}: {
  job: RetrainJob;
  history: StepsRead;
  onDecided: (job: RetrainJob, decision: Decision) => void;
  onStale: () => void;
}) {
  // Here rather than beside the buttons' state: a 409 reloads the job, which then no longer shadows.
  const [decideError, setDecideError] = useState<string | null>(null);
  const f = figuresOf(job.metrics);
  const offline = aucText(f.auc, f.activeAuc, job.active_version);
  const data = [heldOutText(f), trainedOnText(f)].filter((t) => t !== null).join(', ');
  return (
    <li className="import-job" data-testid="retrain-job" data-job={job.job_id} data-state={job.state}>
      <div className="import-job__head">
        <p className="import-job__title" data-testid="retrain-versions">
          <span className="mono">{job.candidate_version}</span>
          {job.active_version ? (
            <>
              {' '}
              against <span className="mono">{job.active_version}</span>
            </>
          ) : null}
        </p>
        {/* The word says it; the tint only repeats it. */}
        <span className={`state-pill ${STATE_PILL[job.state] ?? ''}`} data-testid="retrain-state">
          {stateLabel(job.state)}
        </span>
      </div>
      {offline ? (
        <p className="small" data-testid="retrain-auc">
          Held-out ROC-AUC: <strong>{offline}</strong>
          {data ? <span className="muted"> {data}</span> : null}
        </p>
      ) : null}
      {job.message ? (
        <p className="small" data-testid="retrain-message">
          {job.message}
        </p>
      ) : null}
      <JobTiming job={job} />
      {f.failures.length > 0 ? (
        <div data-testid="retrain-failures">
          <p className="small failures">Why the gate refused it:</p>
          <ul className="problems small">
            {f.failures.map((failure, i) => (
              <li key={i} data-testid="retrain-failure">
                {failure}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {f.psiAlarms.length > 0 ? (
        <p className="small" data-testid="retrain-psi">
          Drift between training and recent leads: {f.psiAlarms.map(psiText).join(', ')}
        </p>
      ) : null}
      {f.shadow ? (
        <p className="small" data-testid="retrain-shadow">
          In shadow, ROC-AUC: <strong>{aucText(f.shadow.aucB, f.shadow.aucA, job.active_version)}</strong>
          {shadowDetail(f.shadow)}
        </p>
      ) : job.state === 'shadowing' ? (
        <p className="small muted">It scores beside the active version; reps never see its scores (compared under “Shadow version”).</p>
      ) : null}
      {decideError ? (
        <p className="notice notice--error" role="alert" data-testid="retrain-decide-error">
          {decideError}
        </p>
      ) : null}
      {job.state === 'shadowing' ? <Decide job={job} onDecided={onDecided} onStale={onStale} onError={setDecideError} /> : null}
      <p className="muted small mono import-job__id">{job.job_id}</p>
      <JobSteps job={job} history={history} />
      {job.log ? (
        <details className="details" data-testid="retrain-log">
          <summary>Trainer log</summary>
          <pre className="retrain-log" tabIndex={0}>
            {job.log}
          </pre>
        </details>
      ) : null}
    </li>
  );
}

/** The job's steps, oldest first: when, which, and the host's sentence (its figures in words); a note when they could not be read. */
function JobSteps({ job, history }: { job: RetrainJob; history: StepsRead }) {
  if (history.error) {
    return (
      <p className="muted small" data-testid="retrain-steps-error">
        Its steps could not be loaded ({history.error.message}).
      </p>
    );
  }
  const steps = stepsOf(history.steps, job.job_id);
  const cut = stepsCutShort(history.steps, steps);
  return (
    <details className="details" data-testid="retrain-steps">
      <summary>
        Steps <span className="count">{steps.length}</span>
      </summary>
      {steps.length > 0 ? (
        <ol className="retrain-steps">
          {steps.map((step, i) => {
            const ms = parseTime(step.at);
            return (
              <li key={i} className="retrain-step" data-testid="retrain-step" data-step={step.step}>
                <time className="muted small retrain-step__at" dateTime={step.at}>
                  {ms === null ? step.at : formatDateTime(ms)}
                </time>
                <span className="small">
                  <strong data-testid="retrain-step-label">{stepLabel(step.step)}</strong>
                  {step.message ? <span data-testid="retrain-step-message"> {step.message}</span> : null}
                </span>
              </li>
            );
          })}
        </ol>
      ) : null}
      {cut ? (
        <p className="muted small" data-testid="retrain-steps-cut">
          {steps.length > 0 ? 'Its earlier steps are' : 'Its steps are'} older than the latest {HISTORY_STEPS.toLocaleString()} steps
          the host lists.
        </p>
      ) : steps.length === 0 ? (
        <p className="muted small">No step recorded.</p>
      ) : null}
    </details>
  );
}

/** "Started by hand · queued 2 days ago · started 2 days ago · finished yesterday · 2 attempts (…)". */
function JobTiming({ job }: { job: RetrainJob }) {
  const now = useNow();
  const at = (label: string, value: string | null | undefined) => {
    const ms = parseTime(value);
    return ms === null ? null : (
      <span key={label} title={formatDateTime(ms)}>
        {label} {formatAge(ms, now)}
      </span>
    );
  };
  const parts = [
    <span key="reason">{reasonLabel(job.reason)}</span>,
    at('queued', job.created_at),
    at('started', job.started_at),
    at('in shadow since', job.shadow_from),
    at('finished', job.finished_at),
    job.attempts > 1 ? (
      <span key="attempts" data-testid="retrain-attempts">
        {job.attempts.toLocaleString()} attempts (a host stopped mid-job)
      </span>
    ) : null,
  ].filter((p) => p !== null);
  return (
    <p className="muted small" data-testid="retrain-timing">
      {parts.flatMap((p, i) => (i === 0 ? [p] : [' · ', p]))}
    </p>
  );
}

/** Promote (after a confirmation) or retire a shadowing candidate; its job shows the errors, just above. */
function Decide({
  job,
  onDecided,
  onStale,
  onError,
}: {
  job: RetrainJob;
  onDecided: (job: RetrainJob, decision: Decision) => void;
  onStale: () => void;
  onError: (text: string | null) => void;
}) {
  const [busy, setBusy] = useState<Decision | null>(null);
  const [confirming, setConfirming] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  const decide = async (decision: Decision) => {
    setBusy(decision);
    onError(null);
    try {
      const decided = await decideRetrain(job.job_id, decision);
      setConfirming(false);
      onDecided(decided, decision);
    } catch (e) {
      const err = toApiError(e);
      onError(decideErrorText(decision, err));
      if (err.status === 409) {
        // Decided meanwhile (by the verdict, or another admin): the jobs as they now stand.
        setConfirming(false);
        onStale();
      }
    } finally {
      setBusy(null);
    }
  };

  const candidate = job.candidate_version;
  return confirming ? (
    <div className="confirm" role="group" aria-label={`Promote ${candidate}?`} data-testid="retrain-promote-confirm">
      <p className="confirm__text">
        Promote <strong className="mono">{candidate}</strong>? It becomes this tenant’s active version and scores every new
        lead reps see
        {job.active_version ? (
          <>
            ; <span className="mono">{job.active_version}</span> goes first in the fallback chain
          </>
        ) : null}
        .
      </p>
      <div className="confirm__actions">
        <button type="button" className="button button--ghost" onClick={() => setConfirming(false)} disabled={busy !== null}>
          Cancel
        </button>
        <button
          ref={confirmRef}
          type="button"
          className="button button--primary"
          onClick={() => void decide('promote')}
          disabled={busy !== null}
          data-testid="retrain-promote-confirm-button"
        >
          {busy === 'promote' ? <Spinner label="Promoting" /> : null} Yes, promote {candidate}
        </button>
      </div>
    </div>
  ) : (
    <div className="shadow-actions">
      <button
        type="button"
        className="button button--primary"
        disabled={busy !== null}
        onClick={() => {
          onError(null);
          setConfirming(true);
        }}
        data-testid="retrain-promote"
      >
        Promote {candidate}
      </button>
      <button type="button" className="button" disabled={busy !== null} onClick={() => void decide('retire')} data-testid="retrain-retire">
        {busy === 'retire' ? <Spinner label="Retiring" /> : null} Retire {candidate}
      </button>
    </div>
  );
}
