/**
 * "Score history" on the lead page: the lead's scores over time as a line
 * (0–100 up, time across), its trend as an arrow and a word, and the last
 * few scorings (date, score, band, version). A history that cannot be
 * loaded says so in one line; the rest of the page carries on.
 */
import { useId } from 'react';

import { BAND_LABEL } from '../lib/band';
import type { Loadable } from '../lib/hooks';
import { latestFirst, type ScorePoint } from '../lib/history';
import { formatDate, formatDateTime } from '../lib/time';
import { parseTrend, trendSentence } from '../lib/trend';
import type { History } from '../lib/types';
import { RefreshIcon } from './Icons';
import { Sparkline } from './Sparkline';
import { Spinner } from './States';
import { TrendArrow } from './TrendArrow';

/** Scorings listed under the chart. */
const LISTED = 5;

export function ScoreHistoryCard({
  state,
  points,
  onRetry,
}: {
  state: Loadable<History>;
  /** The history's points, read (see lib/history). */
  points: ScorePoint[];
  onRetry: () => void;
}) {
  const id = useId();
  const trend = parseTrend(state.data?.trend);
  const scores = points.map((p) => p.score);
  const first = points[0]?.at ?? 0;
  const last = points[points.length - 1]?.at ?? 0;
  // The axis's two ends by date, or with their times when both fall on one day.
  const end = formatDate(first) === formatDate(last) ? formatDateTime : formatDate;
  return (
    <section className="card history-card" aria-labelledby={id} data-testid="score-history">
      <div className="card__header">
        <h2 id={id} className="card__title">
          Score history {points.length > 0 ? <span className="count">{points.length}</span> : null}
        </h2>
        {trend ? <TrendArrow trend={trend} testId="lead-trend" /> : null}
      </div>
      {state.status === 'error' && !state.data ? (
        <p className="notice notice--muted" data-testid="history-error">
          <span>Score history unavailable: {state.error.message}</span>
          <button type="button" className="button button--small" onClick={onRetry}>
            <RefreshIcon /> Try again
          </button>
        </p>
      ) : !state.data ? (
        <Spinner label="Loading the score history" />
      ) : points.length === 0 ? (
        <p className="muted">No scores yet.</p>
      ) : (
        <>
          <figure className="history-chart">
            <div className="history-chart__plot">
              <span className="history-chart__axis" aria-hidden="true">
                <span>100</span>
                <span>0</span>
              </span>
              <Sparkline
                values={scores}
                times={points.map((p) => p.at)}
                width={300}
                height={72}
                fluid
                tone={trend}
                testId="history-sparkline"
              />
            </div>
            <figcaption className="history-chart__caption muted small">
              {points.length === 1 ? (
                <span>One score so far, {formatDate(points[0].at)}</span>
              ) : (
                <>
                  <span>{end(first)}</span>
                  <span className="visually-hidden">
                    {' '}
                    to {end(last)}: {trendSentence(trend, scores)}
                  </span>
                  <span aria-hidden="true">{end(last)}</span>
                </>
              )}
            </figcaption>
          </figure>
          <ol className="history-list" aria-label="Latest scores, newest first" data-testid="history-points">
            {latestFirst(points, LISTED).map((p) => (
              <li key={p.requestId || p.at} className="history-list__item">
                <time className="history-list__date" dateTime={new Date(p.at).toISOString()}>
                  {formatDateTime(p.at)}
                </time>
                <span className="history-list__score">{p.score}</span>
                <span className={`band-word band-word--${p.band ?? 'none'}`}>{p.band ? BAND_LABEL[p.band] : '—'}</span>
                <span className="pill mono small">{p.version || 'unknown'}</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
