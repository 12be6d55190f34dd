/**
 * A lead: who it is, its badge with its chance of closing and the reasons
 * one click away, its data completeness and data notes, its score history
 * and what changed since the previous score, its recent activity, and
 * Rescore. A lead in the control group shows the grey pill instead: no
 * score, no band, no reasons, no history.
 */
import { useCallback, useId, useMemo, useState, type ReactNode } from 'react';

import { Badge } from '../components/Badge';
import { ChangesPanel } from '../components/ChangesPanel';
import { CONTROL_GROUP_DESCRIPTION, ControlGroupPill } from '../components/ControlGroupPill';
import { ReasonsPopover } from '../components/ReasonsPopover';
import { ScoreHistoryCard } from '../components/ScoreHistoryCard';
import { ErrorState, LoadingBlock, Spinner } from '../components/States';
import { ArrowLeftIcon, RefreshIcon } from '../components/Icons';
import { fetchChanges, fetchHistory, fetchLead } from '../lib/api';
import { displayBand } from '../lib/band';
import { modelField, parseExplanation, readScoreFacts, type Note } from '../lib/explanation';
import {
  activityAttributes,
  activityLabel,
  completenessPercent,
  fieldLabel,
  formatFieldValue,
  newestFirst,
} from '../lib/format';
import { readPoints } from '../lib/history';
import { useDocumentTitle, useLoad, useNow } from '../lib/hooks';
import { likelihoodSentence } from '../lib/probability';
import { useRescore, type RescoreState } from '../lib/rescore';
import { formatAge, formatDateTime, parseTime } from '../lib/time';
import type { Lead, LeadDetail, ScoreRow, StoredExplanation } from '../lib/types';

const ACTIVITY_PAGE = 15;
/** Attributes whose value speaks for itself ("/pricing", "webinar-invite"). */
const SELF_EVIDENT = new Set(['Page', 'Campaign']);

export function LeadPage({ leadId, backHref }: { leadId: string; backHref: string }) {
  const [state, reload, replace] = useLoad((signal) => fetchLead(leadId, signal), [leadId]);
  const detail = state.data;
  const fields = detail?.context.fields ?? {};
  const name = typeof fields.name === 'string' && fields.name ? fields.name : leadId;
  useDocumentTitle(detail ? name : 'Lead');

  const onScored = useCallback(
    (score: ScoreRow | null) => {
      if (!detail) return;
      // No score back: scored, but in the control group (its score is hidden).
      replace(score ? { ...detail, score } : { ...detail, score: null, control_group: true });
    },
    [detail, replace],
  );

  return (
    <div className="page page--lead">
      <a className="back-link" href={backHref}>
        <ArrowLeftIcon /> Work queue
      </a>
      {state.status === 'error' && !detail ? (
        <ErrorState
          error={state.error}
          title={state.error.status === 404 ? 'Lead not found' : undefined}
          onRetry={reload}
        />
      ) : !detail ? (
        <LoadingBlock label="Loading the lead" />
      ) : (
        <LeadView detail={detail} name={name} onScored={onScored} />
      )}
    </div>
  );
}

function LeadView({
  detail,
  name,
  onScored,
}: {
  detail: LeadDetail;
  name: string;
  onScored: (s: ScoreRow | null) => void;
}) {
  const fields = detail.context.fields ?? {};
  const company = typeof fields.company === 'string' ? fields.company : null;
  const subtitle = [company, typeof fields.title === 'string' ? fields.title : null].filter(Boolean).join(' · ');
  const control = detail.control_group === true;
  // Each finished rescore adds a point to the history and a new change: load both again.
  const [scorings, setScorings] = useState(0);
  const scored = useCallback(
    (score: ScoreRow | null) => {
      onScored(score);
      setScorings((n) => n + 1);
    },
    [onScored],
  );
  const rescore = useRescore(detail.lead_id, detail.context, scored);

  return (
    <>
      <header className="lead-header">
        <div>
          <h1 className="lead-header__name">{name}</h1>
          <p className="lead-header__meta">
            {subtitle ? <span>{subtitle}</span> : null}
            <span className="mono muted">{detail.lead_id}</span>
          </p>
        </div>
      </header>
      <div className="lead-grid">
        <ScoreCard
          leadId={detail.lead_id}
          score={control ? null : detail.score}
          control={control}
          rescore={rescore}
        />
        <FieldsCard
          fields={fields}
          asOf={detail.context.as_of}
          explanation={control ? null : detail.score?.explanation}
        />
        {!control && detail.score ? <LeadHistory leadId={detail.lead_id} scorings={scorings} /> : null}
        <ActivityCard activities={detail.context.activities} />
      </div>
    </>
  );
}

function ScoreCard({
  leadId,
  score,
  control,
  rescore,
}: {
  leadId: string;
  score: ScoreRow | null | undefined;
  control: boolean;
  rescore: ReturnType<typeof useRescore>;
}) {
  const now = useNow();
  const explanation = useMemo(() => parseExplanation(score?.explanation), [score]);
  const facts = useMemo(() => readScoreFacts(score), [score]);
  const likelihood = likelihoodSentence(facts);
  const band = score ? displayBand(score.band, score.score) : null;
  const completeness = completenessPercent(facts.dataCompleteness);
  const busy = rescore.state.phase === 'submitting' || rescore.state.phase === 'pending';
  const scoredAt = score ? parseTime(score.timestamp) : null;

  return (
    <section className="card score-card" aria-labelledby="score-heading" data-testid="score-card">
      <h2 id="score-heading" className="card__title">
        Lead score
      </h2>
      {control ? (
        <ControlGroupNote />
      ) : score ? (
        <>
          <div className="score-card__main">
            <Badge band={band} size="lg" />
            <ReasonsPopover leadId={leadId} band={band} explanation={explanation} likelihood={likelihood} />
            <p className="score-card__score" data-testid="score">
              <span className="score-card__number">{Number.isFinite(score.score) ? score.score : '—'}</span>
              <span className="score-card__outof">/100</span>
            </p>
          </div>
          {likelihood ? (
            <p className="score-card__likelihood" data-testid="likelihood">
              {likelihood}
            </p>
          ) : null}
          {!explanation.available ? (
            <p className="notice notice--muted" data-testid="explanation-unavailable-inline">
              Explanation unavailable for this score.
            </p>
          ) : null}
          <dl className="facts">
            {completeness !== null ? (
              <div className="facts__row">
                <dt>Data completeness</dt>
                <dd data-testid="data-completeness">{completeness} % of the signals this model uses</dd>
              </div>
            ) : null}
            <div className="facts__row">
              <dt>Model</dt>
              <dd>
                <span className="pill mono" data-testid="model-version">
                  {score.model_version || 'unknown'}
                </span>
              </dd>
            </div>
            {scoredAt !== null ? (
              <div className="facts__row">
                <dt>Scored</dt>
                <dd title={formatDateTime(scoredAt)}>{formatAge(scoredAt, now)}</dd>
              </div>
            ) : null}
          </dl>
          <DataNotes notes={facts.notes} />
        </>
      ) : (
        <p className="muted" data-testid="not-scored">
          This lead has no score yet.
        </p>
      )}
      <div className="score-card__actions">
        <button
          type="button"
          className="button"
          onClick={() => void rescore.start()}
          disabled={busy}
          data-testid="rescore"
        >
          {busy ? <Spinner label="Rescoring" /> : <RefreshIcon />}
          {score || control ? 'Rescore' : 'Score now'}
        </button>
        <RescoreStatus state={rescore.state} onRetry={() => void rescore.start()} onDismiss={rescore.reset} />
      </div>
    </section>
  );
}

/**
 * The score history and what changed since the previous score, loaded
 * beside the lead (never in its way: each says in a line when it cannot
 * load) and again after every rescore (`scorings` counts them).
 */
function LeadHistory({ leadId, scorings }: { leadId: string; scorings: number }) {
  const [history, reloadHistory] = useLoad((signal) => fetchHistory(leadId, signal), [leadId, scorings]);
  const [changes, reloadChanges] = useLoad((signal) => fetchChanges(leadId, {}, signal), [leadId, scorings]);
  const points = useMemo(() => readPoints(history.data), [history.data]);
  return (
    <>
      <ScoreHistoryCard state={history} points={points} onRetry={reloadHistory} />
      <ChangesPanel state={changes} points={points} onRetry={reloadChanges} />
    </>
  );
}

/** What the rep should know about the lead's data (an unseen category, a refused value…), briefly. */
function DataNotes({ notes }: { notes: Note[] }) {
  const id = useId();
  if (notes.length === 0) return null;
  return (
    <section className="data-notes" aria-labelledby={id} data-testid="data-notes">
      <h3 id={id} className="data-notes__title">
        Data notes
      </h3>
      <ul className="data-notes__list">
        {notes.map((n, i) => (
          <li key={i} data-kind={n.kind ?? undefined}>
            {n.text}
          </li>
        ))}
      </ul>
    </section>
  );
}

function ControlGroupNote() {
  const id = useId();
  return (
    <div className="control-note">
      <ControlGroupPill size="lg" describedBy={id} />
      <p id={id} className="muted small" data-testid="control-description">
        {CONTROL_GROUP_DESCRIPTION}
      </p>
    </div>
  );
}

function RescoreStatus({
  state,
  onRetry,
  onDismiss,
}: {
  state: RescoreState;
  onRetry: () => void;
  onDismiss: () => void;
}) {
  let body: ReactNode = null;
  let tone = 'info';
  switch (state.phase) {
    case 'idle':
      break;
    case 'submitting':
      body = <>Sending the lead for scoring…</>;
      break;
    case 'pending':
      body = (
        <>
          <span className="status-chip status-chip--pending">PENDING</span> Scoring in progress
          {state.attempts > 1 ? ` (attempt ${state.attempts})` : ''}…
        </>
      );
      break;
    case 'success':
      tone = 'success';
      body = (
        <>
          <span className="status-chip status-chip--success">SUCCESS</span> Rescored with{' '}
          <span className="mono">{state.score.model_version}</span>.
        </>
      );
      break;
    case 'control':
      tone = 'success';
      body = (
        <>
          <span className="status-chip status-chip--success">SUCCESS</span> Rescored. The lead is in the control
          group, so its score stays hidden.
        </>
      );
      break;
    case 'failed':
      tone = 'error';
      body = (
        <>
          <span className="status-chip status-chip--failed">FAILED</span> {state.message}
        </>
      );
      break;
    case 'timeout':
      tone = 'error';
      body = <>No answer after 10 seconds. The request may still finish; you can try again.</>;
      break;
    case 'error':
      tone = 'error';
      body = <>{state.error.message}</>;
      break;
  }
  const canRetry = state.phase === 'failed' || state.phase === 'timeout' || state.phase === 'error';
  return (
    <div className="rescore-status" aria-live="polite" data-testid="rescore-status" data-phase={state.phase}>
      {body ? (
        <p className={`notice notice--${tone}`}>
          <span>{body}</span>
          {canRetry ? (
            <button type="button" className="button button--small" onClick={onRetry} data-testid="rescore-retry">
              Try again
            </button>
          ) : null}
          {state.phase === 'success' || state.phase === 'control' ? (
            <button type="button" className="link-button" onClick={onDismiss}>
              Dismiss
            </button>
          ) : null}
        </p>
      ) : null}
    </div>
  );
}

function FieldsCard({
  fields,
  asOf,
  explanation,
}: {
  fields: NonNullable<Lead['fields']>;
  asOf: string;
  /** The latest score's, when shown: fields the model reads take its words. */
  explanation: StoredExplanation | null | undefined;
}) {
  const entries = Object.entries(fields).filter(([k]) => k !== 'name');
  const asOfMs = parseTime(asOf);
  const model = useMemo(() => parseExplanation(explanation), [explanation]);
  return (
    <section className="card" aria-labelledby="fields-heading">
      <h2 id="fields-heading" className="card__title">
        Lead details
      </h2>
      {entries.length === 0 ? (
        <p className="muted">The CRM sent no fields for this lead.</p>
      ) : (
        <dl className="fields" data-testid="fields">
          {entries.map(([key, value]) => {
            const read = modelField(model, key);
            return (
              <div className="fields__row" key={key}>
                <dt>{read?.label ?? fieldLabel(key)}</dt>
                <dd>{read?.display ?? formatFieldValue(key, value)}</dd>
              </div>
            );
          })}
        </dl>
      )}
      {asOfMs !== null ? <p className="muted small card__footnote">As of {formatDateTime(asOfMs)}</p> : null}
    </section>
  );
}

function ActivityCard({ activities }: { activities: Lead['activities'] }) {
  const sorted = useMemo(() => newestFirst(activities), [activities]);
  const [shown, setShown] = useState(ACTIVITY_PAGE);
  return (
    <section className="card card--wide" aria-labelledby="activity-heading">
      <h2 id="activity-heading" className="card__title">
        Recent activity <span className="count">{sorted.length}</span>
      </h2>
      {sorted.length === 0 ? (
        <p className="muted">No activity recorded yet.</p>
      ) : (
        <>
          <ol className="timeline" data-testid="activities">
            {sorted.slice(0, shown).map((a, i) => {
              const at = parseTime(a.at);
              const attributes = activityAttributes(a);
              return (
                <li key={`${a.at}-${a.kind}-${i}`} className="timeline__item">
                  <span className={`timeline__dot timeline__dot--${a.kind.split('_')[0]}`} aria-hidden="true" />
                  <div className="timeline__body">
                    <p className="timeline__title">
                      <span className="timeline__kind">{activityLabel(a.kind)}</span>
                      {attributes.map(([k, v]) => (
                        <span key={k} className="timeline__attr">
                          <span className={SELF_EVIDENT.has(k) ? 'visually-hidden' : 'timeline__attr-key'}>{k}: </span>
                          {v}
                        </span>
                      ))}
                    </p>
                    <time className="timeline__time" dateTime={typeof a.at === 'string' ? a.at : undefined}>
                      {at !== null ? formatDateTime(at) : 'time unknown'}
                    </time>
                  </div>
                </li>
              );
            })}
          </ol>
          {sorted.length > shown ? (
            <button type="button" className="button button--ghost" onClick={() => setShown(sorted.length)}>
              Show all {sorted.length} activities
            </button>
          ) : null}
        </>
      )}
    </section>
  );
}
