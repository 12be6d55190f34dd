/**
 * Lift (`#/lift?weeks=12`): do leads whose reps saw scores win more often
 * than the control group, whose reps saw none? The headline lift with its
 * 95 % interval, the guardrail, weekly win rates, conversion per band,
 * ranking and calibration, time to first touch, drift, and (for admins)
 * the experiment's settings.
 */
import type { ReactNode } from 'react';

import { AlertIcon, RefreshIcon } from '../components/Icons';
import { LearningSettingsCard } from '../components/LearningSettingsCard';
import { CalibrationChart, WeeklyLiftChart } from '../components/LiftCharts';
import { BandsTable, DriftTable, FirstTouchTable, WeeklyTable } from '../components/LiftTables';
import { ErrorState, LoadingBlock, Spinner } from '../components/States';
import { fetchLift } from '../lib/api';
import { useDocumentTitle, useLoad } from '../lib/hooks';
import { formatDecimal, formatInterval, formatPercent, liftHeadline } from '../lib/lift';
import { hrefWithQuery, navigate } from '../lib/router';
import { formatDateTime } from '../lib/time';
import type { Arm, Comparison, Guardrail, LiftReport } from '../lib/types';

export const WEEK_CHOICES = [4, 12, 26, 52] as const;
export const DEFAULT_WEEKS = 12;

export function weeksFrom(query: URLSearchParams): number {
  const n = Number.parseInt(query.get('weeks') ?? '', 10);
  return (WEEK_CHOICES as readonly number[]).includes(n) ? n : DEFAULT_WEEKS;
}

export function LiftPage({ query }: { query: URLSearchParams }) {
  useDocumentTitle('Lift');
  const weeks = weeksFrom(query);
  const [state, reload] = useLoad((signal) => fetchLift(weeks, signal), [weeks]);
  const report = state.data;

  return (
    <div className="page page--lift">
      <header className="page-header">
        <div>
          <h1 className="page-title">Lift</h1>
          <p className="page-subtitle">
            Do leads win more often when reps see their scores? Compared with the control group, whose reps see none.
          </p>
        </div>
        <div className="page-header__actions">
          <label className="visually-hidden" htmlFor="lift-weeks">
            Weeks shown
          </label>
          <select
            id="lift-weeks"
            className="input input--compact"
            value={weeks}
            onChange={(e) => navigate(hrefWithQuery('/lift', { weeks: Number(e.target.value) === DEFAULT_WEEKS ? null : e.target.value }), { replace: true })}
            data-testid="lift-weeks"
          >
            {WEEK_CHOICES.map((n) => (
              <option key={n} value={n}>
                Last {n} weeks
              </option>
            ))}
          </select>
          <button type="button" className="button button--ghost" onClick={reload} disabled={state.status === 'loading'}>
            {state.status === 'loading' ? <Spinner label="Refreshing" /> : <RefreshIcon />} Refresh
          </button>
        </div>
      </header>

      {state.status === 'error' ? (
        <ErrorState error={state.error} onRetry={reload} scope="crm.read.leads" compact={Boolean(report)} />
      ) : null}
      {report ? <LiftReportView report={report} /> : state.status === 'loading' ? <LoadingBlock label="Loading the lift report" /> : null}

      {/* Settings load on their own: only admins see them. */}
      <LearningSettingsCard onSaved={reload} />
    </div>
  );
}

function LiftReportView({ report }: { report: LiftReport }) {
  const alert = report.guardrail?.status === 'alert';
  return (
    <>
      {alert ? <GuardrailCard guardrail={report.guardrail} /> : null}
      <HeadlineCard overall={report.overall} generatedAt={report.generated_at} />
      {!alert && report.guardrail ? <GuardrailCard guardrail={report.guardrail} /> : null}
      <Section id="weekly" title="Week by week">
        {report.weeks.length === 0 ? (
          <p className="muted">No weekly cohort has leads yet.</p>
        ) : (
          <>
            <WeeklyLiftChart weeks={report.weeks} />
            <details className="details">
              <summary>The numbers, week by week</summary>
              <WeeklyTable weeks={report.weeks} />
            </details>
          </>
        )}
      </Section>
      <div className="lift-grid">
        <Section id="bands" title="Conversion per band">
          <p className="muted small">Both groups: control leads have a band too, it is only hidden from reps.</p>
          <BandsTable bands={report.bands} />
        </Section>
        <Section id="ranking" title="Ranking and calibration">
          <RankingFacts report={report} />
          {report.calibration && report.calibration.bins.length > 0 ? <CalibrationChart bins={report.calibration.bins} /> : null}
        </Section>
        <Section id="first-touch" title="Time to first touch">
          <p className="muted small">Median time from a lead’s arrival to a rep’s first touch.</p>
          <FirstTouchTable touch={report.first_touch} />
        </Section>
        <Section id="drift" title="Drift">
          {report.drift ? (
            <>
              <p className="muted small" data-testid="drift-summary">
                <span className="mono">{report.drift.version}</span>, last {report.drift.window_days} days (
                {report.drift.leads.toLocaleString()} leads) against its training data. PSI above{' '}
                {formatDecimal(report.drift.threshold, 2)} is an alert
                {report.drift.leads < report.drift.min_leads
                  ? `, once there are ${report.drift.min_leads} leads: with fewer, PSI is mostly noise`
                  : ''}
                .
              </p>
              {report.drift.alert ? (
                <p className="notice notice--error" data-testid="drift-alert">
                  The inputs have drifted: the model may need retraining.
                </p>
              ) : null}
              <DriftTable drift={report.drift} />
            </>
          ) : (
            <p className="muted">No drift report yet: it needs recent scored leads.</p>
          )}
        </Section>
      </div>
    </>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="card" aria-labelledby={`${id}-heading`} data-testid={`lift-${id}`}>
      <h2 id={`${id}-heading`} className="card__title">
        {title}
      </h2>
      {children}
    </section>
  );
}

function HeadlineCard({ overall, generatedAt }: { overall: Comparison; generatedAt: number }) {
  const headline = liftHeadline(overall);
  const tone =
    headline.kind === 'insufficient' || !headline.clear ? 'neutral' : headline.kind === 'more' ? 'good' : headline.kind === 'less' ? 'bad' : 'neutral';
  return (
    <section className={`card lift-headline lift-headline--${tone}`} aria-labelledby="lift-overall-heading" data-testid="lift-overall">
      <h2 id="lift-overall-heading" className="card__title">
        Overall
      </h2>
      <p className="lift-headline__text" data-testid="lift-headline" data-kind={headline.kind}>
        {headline.text}
      </p>
      {headline.kind !== 'insufficient' ? (
        <p className="muted small" data-testid="lift-certainty">
          {headline.clear
            ? 'The 95 % interval leaves out zero: the difference is unlikely to be chance.'
            : 'The 95 % interval includes zero: with the outcomes so far, the difference could still be chance.'}
        </p>
      ) : null}
      <dl className="arms">
        <ArmFacts label="Scored leads" testId="arm-treated" arm={overall.treated} />
        <ArmFacts label="Control group" testId="arm-control" arm={overall.control} />
      </dl>
      {Number.isFinite(generatedAt) ? <p className="muted small">Report of {formatDateTime(generatedAt)}.</p> : null}
    </section>
  );
}

function ArmFacts({ label, arm, testId }: { label: string; arm: Arm; testId: string }) {
  return (
    <div className="arms__item" data-testid={testId}>
      <dt>{label}</dt>
      <dd>
        <span className="arms__rate" data-testid="arm-win-rate">
          {formatPercent(arm.win_rate)}
        </span>{' '}
        <span className="muted">won</span>
        <span className="small block">
          {arm.won.toLocaleString()} won of {arm.decided.toLocaleString()} with an outcome · {arm.leads.toLocaleString()}{' '}
          {arm.leads === 1 ? 'lead' : 'leads'}
        </span>
        {arm.ci ? <span className="muted small block">95 % CI {formatInterval(arm.ci)}</span> : null}
      </dd>
    </div>
  );
}

const GUARDRAIL_LABEL: Record<string, string> = { ok: 'OK', waiting: 'Waiting', alert: 'Alert' };

function GuardrailCard({ guardrail }: { guardrail: Guardrail }) {
  const alert = guardrail.status === 'alert';
  return (
    <section
      className={`card guardrail guardrail--${guardrail.status}`}
      aria-labelledby="guardrail-heading"
      data-testid="guardrail"
      data-status={guardrail.status}
      role={alert ? 'alert' : undefined}
    >
      <div className="card__header">
        <h2 id="guardrail-heading" className="card__title">
          {alert ? <AlertIcon /> : null} Guardrail
        </h2>
        <span className={`state-pill guardrail__status guardrail__status--${guardrail.status}`} data-testid="guardrail-status">
          {GUARDRAIL_LABEL[guardrail.status] ?? guardrail.status}
        </span>
      </div>
      <p className="guardrail__message" data-testid="guardrail-message">
        {guardrail.message}
      </p>
      <p className="muted small">
        Running for {formatDecimal(guardrail.days_running, 1)} days
        {guardrail.lift !== null && guardrail.lift !== undefined ? ` · lift judged ${formatPercent(guardrail.lift, { signed: true })}` : ''}
        {guardrail.tripped_at ? ` · tripped ${formatDateTime(guardrail.tripped_at)}` : ''}
      </p>
      {guardrail.routed_to_rules ? (
        <p className="notice notice--error" data-testid="guardrail-routed">
          The guardrail routed this tenant to the rules model (rules-v1): it scores new leads.
        </p>
      ) : null}
    </section>
  );
}

function RankingFacts({ report }: { report: LiftReport }) {
  const { auc, calibration } = report;
  return (
    <>
      <dl className="facts">
        <div className="facts__row">
          <dt>AUC</dt>
          <dd data-testid="auc">
            {auc ? (
              <>
                <strong>{formatDecimal(auc.value, 2)}</strong>{' '}
                <span className="muted">
                  over {auc.leads.toLocaleString()} leads with an outcome ({auc.won.toLocaleString()} won)
                </span>
              </>
            ) : (
              <span className="muted">not enough outcomes yet</span>
            )}
          </dd>
        </div>
        <div className="facts__row">
          <dt>Brier score</dt>
          <dd data-testid="brier">
            {calibration ? <strong>{formatDecimal(calibration.brier, 3)}</strong> : <span className="muted">not enough outcomes yet</span>}
          </dd>
        </div>
      </dl>
      <p className="muted small">
        AUC 0.5 ranks won leads above lost ones no better than chance, 1 perfectly. Brier is the mean squared error of
        the predicted win probabilities: lower is better.
      </p>
    </>
  );
}
