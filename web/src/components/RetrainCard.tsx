/**
 * "Retraining" on the admin page: the tenant's closed loop. Whether it has
 * enough labelled leads to train its own model (else it stays on the
 * global one, and how far it is), its retrain policy (`GET`/`PUT
 * /learning/retrain`), "Retrain now" (`POST /learning/retrain/run`), and
 * its jobs (`GET /learning/retrain/jobs`, with their steps from `GET
 * /learning/retrain/history`), read every few seconds while one is
 * queued, running or shadowing. The host's refusals show in its
 * words. Without the admin scope (401/403), or on a host without the
 * closed loop (404), the card is not shown.
 */
import { useEffect, useId, useState } from 'react';

import type { ApiError } from '../lib/api';
import { toApiError, useLoad, type Loadable } from '../lib/hooks';
import {
  anyOpen,
  fetchRetrainPolicy,
  listRetrainJobsWithSteps,
  readiness,
  RETRAIN_POLL_MS,
  startRetrain,
  withJob,
  type Decision,
} from '../lib/retrain';
import type { RetrainJob, RetrainJobs, RetrainPolicy } from '../lib/types';
import { PolicyForm, PolicyView } from './RetrainPolicy';
import { RetrainJobList } from './RetrainJobs';
import { ErrorState, LoadingBlock, Spinner, SuccessNotice } from './States';

const ADMIN_SCOPE = 'crm.admin.models';

export function runErrorText(error: ApiError): string {
  // 409 job_open: one job per tenant at a time; 422 not_enough_data: how many of how many.
  if (error.status === 409 || error.status === 422) return `The retrain was not started: ${error.message}`;
  if (error.isAuth) return `You need the “${ADMIN_SCOPE}” scope to retrain. ${error.message}`;
  return `The retrain could not be started: ${error.message}`;
}

/** Not the caller's to see (no scope), or not this host's (no closed loop). */
const closed = (s: Loadable<unknown>) => s.status === 'error' && (s.error.isAuth || (s.error.status === 404 && !s.data));

export function RetrainCard({
  pollMs = RETRAIN_POLL_MS,
  onRoutingChanged,
}: {
  pollMs?: number;
  /** A promotion or retirement changed the tenant's routing. */
  onRoutingChanged?: () => void;
}) {
  const ids = useId();
  const [policy, reloadPolicy, replacePolicy] = useLoad((signal) => fetchRetrainPolicy(signal), []);
  const [state, reload, replace] = useLoad((signal) => listRetrainJobsWithSteps(signal), []);
  const [editing, setEditing] = useState(false);
  const [starting, setStarting] = useState(false);
  const [runError, setRunError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const jobs = state.data?.jobs ?? [];

  // Read again a few seconds after each answer (never on top of a read in flight) while a job is open.
  const shut = closed(state) || closed(policy);
  const polling = !shut && anyOpen(jobs);
  useEffect(() => {
    if (!polling || state.status === 'loading') return;
    const t = window.setTimeout(reload, pollMs);
    return () => window.clearTimeout(t);
  }, [polling, state, pollMs, reload]);

  if (shut) return null;

  const run = async () => {
    setStarting(true);
    setRunError(null);
    setNotice(null);
    try {
      const started = await startRetrain();
      setNotice(`Retrain job ${started.job_id} queued. Its progress is below.`);
      reload();
    } catch (e) {
      setRunError(runErrorText(toApiError(e)));
    } finally {
      setStarting(false);
    }
  };

  const decided = (job: RetrainJob, decision: Decision) => {
    if (state.data) replace({ ...state.data, jobs: withJob(state.data.jobs, job) });
    reload();
    setNotice(
      decision === 'promote'
        ? `${job.candidate_version} is now this tenant’s active version for new scores.`
        : `${job.candidate_version} is retired: it no longer scores in the shadow (it stays installed).`,
    );
    onRoutingChanged?.();
  };

  return (
    <section className="card" aria-labelledby={`${ids}-title`} data-testid="retraining">
      <div className="card__header">
        <h2 id={`${ids}-title`} className="card__title">
          Retraining <span className="pill small">admin</span>
        </h2>
        <button type="button" className="button" onClick={() => void run()} disabled={starting} data-testid="retrain-now">
          {starting ? <Spinner label="Starting" /> : null} Retrain now
        </button>
      </div>
      <p className="muted small">
        Once this tenant has enough leads with an outcome, a model is trained on them, checked on held-out months, run in
        the shadow, and promoted only if it is not worse than the active version.
      </p>

      {state.data ? <Readiness jobs={state.data} policy={policy.data ?? null} /> : null}
      {runError ? (
        <p className="notice notice--error" role="alert" data-testid="retrain-run-error">
          {runError}
        </p>
      ) : null}
      <SuccessNotice text={notice} testId="retrain-notice" onDismiss={() => setNotice(null)} />

      <PolicySection
        policy={policy}
        onRetry={reloadPolicy}
        editing={editing}
        onEdit={() => {
          setNotice(null);
          setEditing(true);
        }}
        onCancel={() => setEditing(false)}
        onSaved={(saved) => {
          replacePolicy(saved);
          setEditing(false);
          setNotice('Retrain policy saved.');
          reload(); // the shortfall is counted against the policy
        }}
      />

      {!state.data ? (
        state.status === 'error' ? (
          <ErrorState error={state.error} title="The retrain jobs could not be loaded" onRetry={reload} compact />
        ) : (
          <LoadingBlock label="Loading the retrain jobs" />
        )
      ) : (
        <>
          {state.status === 'error' ? (
            // Kept polling: the next read may well answer.
            <p className="notice notice--muted" data-testid="retrain-stale">
              The retrain jobs could not be read again just now ({state.error.message}); what is shown may be behind.
            </p>
          ) : null}
          <RetrainJobList jobs={jobs} history={state.data.history} onDecided={decided} onStale={reload} />
        </>
      )}
    </section>
  );
}

/** Staying on the global model (how far from enough), or enough to retrain. */
function Readiness({ jobs, policy }: { jobs: RetrainJobs; policy: RetrainPolicy | null }) {
  const { ready, text } = readiness(jobs, policy);
  return (
    <div className="retrain-readiness">
      <p className={`notice ${ready ? 'notice--success' : 'notice--info'}`} data-testid="retrain-readiness" data-ready={ready}>
        {text}
      </p>
      {policy ? (
        <p className="muted small">
          Labelled leads: scored, with an outcome, that qualified in the last {policy.window_months.toLocaleString()} months.
        </p>
      ) : null}
    </div>
  );
}

function PolicySection({
  policy,
  onRetry,
  editing,
  onEdit,
  onCancel,
  onSaved,
}: {
  policy: Loadable<RetrainPolicy>;
  onRetry: () => void;
  editing: boolean;
  onEdit: () => void;
  onCancel: () => void;
  onSaved: (saved: RetrainPolicy) => void;
}) {
  const ids = useId();
  if (!policy.data) {
    return policy.status === 'error' ? (
      <ErrorState error={policy.error} title="The retrain policy could not be loaded" onRetry={onRetry} compact />
    ) : (
      <LoadingBlock label="Loading the retrain policy" />
    );
  }
  return (
    <div aria-labelledby={`${ids}-title`} role="group">
      <div className="card__header">
        <h3 id={`${ids}-title`} className="imports__subtitle">
          Policy
        </h3>
        {!editing ? (
          <button type="button" className="button" onClick={onEdit} data-testid="edit-retrain-policy">
            Edit policy
          </button>
        ) : null}
      </div>
      {editing ? <PolicyForm policy={policy.data} onCancel={onCancel} onSaved={onSaved} /> : <PolicyView policy={policy.data} />}
    </div>
  );
}
