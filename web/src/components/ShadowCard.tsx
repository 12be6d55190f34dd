/**
 * The shadow version: a version that scores live traffic beside the active
 * one without reps ever seeing its scores. Start or stop one, compare it
 * with the active version on the same leads (GET /reports/shadow), and
 * promote it (POST /models/routing/promote) after a confirmation. Errors
 * show here, beside the buttons that caused them.
 */
import { useEffect, useId, useRef, useState } from 'react';

import { fetchShadowReport, promoteShadow, putRouting, type ApiError } from '../lib/api';
import { toApiError, useLoad } from '../lib/hooks';
import { formatDecimal, formatPercent, isNumber } from '../lib/lift';
import { withShadow } from '../lib/routing';
import { metricRows } from '../lib/shadow';
import type { Routing, ShadowReport } from '../lib/types';
import { Spinner } from './States';

const ADMIN_SCOPE = 'crm.admin.models';

type Busy = 'set' | 'clear' | 'promote' | null;

export function shadowErrorText(action: 'set' | 'clear' | 'promote', error: ApiError): string {
  if (action === 'promote' && error.status === 409 && error.code === 'no_shadow') {
    return 'There is no shadow version to promote any more (it may have been cleared meanwhile). The routing has been refreshed.';
  }
  if (error.status === 403) return `You need the “${ADMIN_SCOPE}” scope for this. ${error.message}`;
  if (error.status === 401) return `Please sign in again. ${error.message}`;
  const what = action === 'promote' ? 'The promotion failed' : action === 'set' ? 'The shadow could not be set' : 'The shadow could not be stopped';
  return `${what}: ${error.message}`;
}

export function ShadowCard({
  routing,
  installed,
  disabled,
  onChanged,
  onStale,
}: {
  routing: Routing;
  installed: string[];
  /** Another routing change is being saved. */
  disabled: boolean;
  /** The host saved a new routing; `message` says what changed. */
  onChanged: (saved: Routing, message: string) => void;
  /** The routing shown is out of date: load it again. */
  onStale: () => void;
}) {
  const shadow = routing.shadow ?? null;
  // Compared only while there is a shadow.
  const [report, reloadReport] = useLoad<ShadowReport | null>(
    (signal) => (shadow ? fetchShadowReport(signal) : Promise.resolve(null)),
    [shadow, routing.active],
  );
  const [busy, setBusy] = useState<Busy>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const candidates = installed.filter((v) => v !== routing.active && v !== shadow);
  const [choice, setChoice] = useState('');
  const selected = candidates.includes(choice) ? choice : (candidates[0] ?? '');
  const ids = useId();

  const run = async (action: Exclude<Busy, null>, call: () => Promise<Routing>, message: (r: Routing) => string) => {
    setBusy(action);
    setError(null);
    try {
      const saved = await call();
      setConfirming(false);
      onChanged(saved, message(saved));
    } catch (e) {
      const err = toApiError(e);
      setError(shadowErrorText(action, err));
      if (action === 'promote' && err.status === 409) {
        setConfirming(false);
        onStale();
      }
    } finally {
      setBusy(null);
    }
  };

  const setShadow = (version: string | null) =>
    run(
      version ? 'set' : 'clear',
      () => putRouting(withShadow(routing, version)),
      (r) =>
        r.shadow
          ? `${r.shadow} now scores beside ${r.active} as a shadow; reps never see its scores.`
          : `The shadow stopped: only ${r.active} scores leads.`,
    );

  const promote = () =>
    run(
      'promote',
      () => promoteShadow(),
      (r) =>
        `${r.active} is now the active version for new scores${r.fallback?.[0] ? `; ${r.fallback[0]} is first in the fallback chain` : ''}.`,
    );

  const locked = disabled || busy !== null;
  const shown = report.data && report.data.shadow === shadow && report.data.active === routing.active ? report.data : null;

  return (
    <section className="card" aria-labelledby={`${ids}-heading`} data-testid="shadow">
      <div className="card__header">
        <h2 id={`${ids}-heading`} className="card__title">
          Shadow version
        </h2>
        {shadow ? (
          <span className="state-pill state-pill--shadow mono" data-testid="shadow-version">
            {shadow}
          </span>
        ) : null}
      </div>

      {shadow ? (
        <p className="small">
          <span className="mono">{shadow}</span> scores every lead beside <span className="mono">{routing.active}</span>;
          reps never see its scores. Compare them on the same leads, then promote it or stop it.
        </p>
      ) : (
        <p className="small muted" data-testid="no-shadow">
          No shadow version. A shadow scores live traffic beside {routing.active} without reps ever seeing its scores, so
          it can be compared on real outcomes before it is promoted.
        </p>
      )}

      {shadow ? (
        <ShadowComparison
          report={shown}
          loading={report.status === 'loading'}
          error={report.status === 'error' ? report.error : null}
          onRetry={reloadReport}
        />
      ) : null}

      {error ? (
        <p className="notice notice--error" role="alert" data-testid="shadow-error">
          {error}
        </p>
      ) : null}

      {shadow && confirming ? (
        <PromoteConfirm
          shadow={shadow}
          active={routing.active}
          busy={busy === 'promote'}
          onCancel={() => setConfirming(false)}
          onConfirm={() => void promote()}
        />
      ) : null}

      <div className="shadow-actions">
        {shadow && !confirming ? (
          <button
            type="button"
            className="button button--primary"
            disabled={locked}
            onClick={() => {
              setError(null);
              setConfirming(true);
            }}
            data-testid="promote"
          >
            Promote {shadow} to active
          </button>
        ) : null}
        {shadow ? (
          <button type="button" className="button" disabled={locked} onClick={() => void setShadow(null)} data-testid="clear-shadow">
            {busy === 'clear' ? <Spinner label="Stopping" /> : null} Stop the shadow
          </button>
        ) : null}
        {candidates.length > 0 ? (
          <div className="inline-add">
            <label className="visually-hidden" htmlFor={`${ids}-choice`}>
              {shadow ? 'Another shadow version' : 'Shadow version'}
            </label>
            <select
              id={`${ids}-choice`}
              className="input input--compact"
              value={selected}
              onChange={(e) => setChoice(e.target.value)}
              disabled={locked}
              data-testid="shadow-choice"
            >
              {candidates.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
            <button
              type="button"
              className="button"
              disabled={locked || !selected}
              onClick={() => void setShadow(selected)}
              data-testid="set-shadow"
            >
              {busy === 'set' ? <Spinner label="Saving" /> : null} {shadow ? 'Shadow this instead' : 'Start shadow'}
            </button>
          </div>
        ) : null}
      </div>
    </section>
  );
}

function PromoteConfirm({
  shadow,
  active,
  busy,
  onCancel,
  onConfirm,
}: {
  shadow: string;
  active: string;
  busy: boolean;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => confirmRef.current?.focus(), []);
  return (
    <div className="confirm" role="group" aria-labelledby="promote-confirm-text" data-testid="promote-confirm">
      <p id="promote-confirm-text" className="confirm__text">
        Promote <strong className="mono">{shadow}</strong>? It becomes the active version and scores every new lead that reps
        see; <span className="mono">{active}</span> goes first in the fallback chain and the shadow is cleared.
      </p>
      <div className="confirm__actions">
        <button type="button" className="button button--ghost" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button
          ref={confirmRef}
          type="button"
          className="button button--primary"
          onClick={onConfirm}
          disabled={busy}
          data-testid="promote-confirm-button"
        >
          {busy ? <Spinner label="Promoting" /> : null} Yes, promote {shadow}
        </button>
      </div>
    </div>
  );
}

function ShadowComparison({
  report,
  loading,
  error,
  onRetry,
}: {
  report: ShadowReport | null;
  loading: boolean;
  error: ApiError | null;
  onRetry: () => void;
}) {
  if (!report) {
    if (error) {
      return (
        <p className="notice notice--muted" data-testid="shadow-report-error">
          <span>The comparison is unavailable right now ({error.message}).</span>
          <button type="button" className="button button--small" onClick={onRetry}>
            Try again
          </button>
        </p>
      );
    }
    return loading ? <Spinner label="Loading the comparison" /> : null;
  }
  const rows = metricRows(report);
  return (
    <div className="shadow-report" data-testid="shadow-report">
      <div className="table-wrap">
        <table className="table">
          <caption className="visually-hidden">
            The active version against the shadow on the same {report.leads.toLocaleString()} leads
          </caption>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col" className="num">
                <span className="mono">{report.active}</span> <span className="muted">active</span>
              </th>
              <th scope="col" className="num">
                <span className="mono">{report.shadow}</span> <span className="muted">shadow</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} data-testid="shadow-metric" data-metric={r.key}>
                <th scope="row">
                  {r.label}
                  <span className="th-note small block">{r.help}</span>
                </th>
                <td className="num" data-testid="metric-active">
                  {r.active}
                </td>
                <td className="num">
                  <span data-testid="metric-shadow">{r.shadow}</span>
                  {r.delta !== null ? (
                    <span className="small block" data-testid="metric-delta">
                      {r.delta}
                      {r.shadowBetter !== null ? (
                        <span className={r.shadowBetter ? 'text-good' : 'text-bad'}>
                          {r.shadowBetter ? ' better' : ' worse'}
                        </span>
                      ) : null}
                    </span>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <dl className="facts">
        <div className="facts__row">
          <dt>Leads compared</dt>
          <dd data-testid="shadow-leads">
            {report.leads.toLocaleString()} ({report.decided.toLocaleString()} with an outcome)
          </dd>
        </div>
        <div className="facts__row">
          <dt>Same band</dt>
          <dd data-testid="shadow-band-agreement">{formatPercent(report.band_agreement)} of leads</dd>
        </div>
        <div className="facts__row">
          <dt>Mean |score diff|</dt>
          <dd data-testid="shadow-score-diff">
            {isNumber(report.mean_abs_score_diff) ? `${formatDecimal(report.mean_abs_score_diff, 1)} points` : '—'}
          </dd>
        </div>
      </dl>
    </div>
  );
}
