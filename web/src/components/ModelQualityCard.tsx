/**
 * "Model quality" on the admin page, for the version that serves (or the
 * one picked): held-out ROC-AUC, base rate, held-out leads and wins,
 * calibration by decile, the features it leans on most (share of mean
 * |SHAP|), training window and build date; and the tenant's leads by
 * latest score in ten bars. A model without held-out metrics says so.
 */
import { useId, useState } from 'react';

import { formatCount, formatDecimal, formatPercent } from '../lib/lift';
import { distributionBins, primaryVersion, trainingWindow } from '../lib/modelQuality';
import { formatDate, parseTime } from '../lib/time';
import type { ModelInfo, ModelQuality, Routing, TopFeature } from '../lib/types';
import { CalibrationChart } from './LiftCharts';

export const NO_QUALITY = 'This model shipped without held-out metrics.';

export function ModelQualityCard({
  models,
  routing,
  distribution,
}: {
  models: ModelInfo[];
  routing: Routing;
  /** `GET /models`' `score_distribution`: ten counts. */
  distribution: readonly number[] | null | undefined;
}) {
  const ids = useId();
  const serving = primaryVersion(routing);
  const [picked, setPicked] = useState<string | null>(null);
  const version = picked && models.some((m) => m.version === picked) ? picked : serving;
  const model = models.find((m) => m.version === version) ?? null;
  const built = model ? parseTime(model.built_at) : null;
  const window = model?.quality ? trainingWindow(model.quality.window) : null;

  return (
    <section className="card" aria-labelledby={`${ids}-title`} data-testid="model-quality" data-version={version}>
      <div className="card__header">
        <h2 id={`${ids}-title`} className="card__title">
          Model quality
        </h2>
        {models.length > 1 ? (
          <div className="inline-field">
            <label htmlFor={`${ids}-version`} className="small muted">
              Version
            </label>
            <select
              id={`${ids}-version`}
              className="input input--compact"
              value={version}
              onChange={(e) => setPicked(e.target.value)}
              data-testid="quality-version"
            >
              {models.map((m) => (
                <option key={m.version} value={m.version}>
                  {m.version}
                  {m.version === serving ? ' (serving)' : ''}
                </option>
              ))}
            </select>
          </div>
        ) : null}
      </div>
      {!model ? (
        <p className="muted">{version} is not installed.</p>
      ) : (
        <>
          <dl className="quality-facts">
            {model.quality ? <QualityFacts quality={model.quality} /> : null}
            <div className="quality-facts__item">
              <dt>Training window</dt>
              <dd data-testid="quality-window">{window ?? 'Not recorded'}</dd>
            </div>
            <div className="quality-facts__item">
              <dt>Built</dt>
              <dd data-testid="quality-built">{built !== null ? formatDate(built) : 'Unknown'}</dd>
            </div>
          </dl>
          {model.quality ? null : (
            <p className="notice notice--muted" data-testid="quality-missing">
              {NO_QUALITY}
            </p>
          )}
          <div className="quality-grid">
            {model.quality && model.quality.calibration.length > 0 ? (
              <Calibration quality={model.quality} />
            ) : null}
            <TopFeatures features={model.top_features ?? []} />
          </div>
        </>
      )}
      <ScoreDistribution counts={distribution} />
    </section>
  );
}

function QualityFacts({ quality }: { quality: ModelQuality }) {
  return (
    <>
      <div className="quality-facts__item">
        <dt>Held-out ROC-AUC</dt>
        <dd className="quality-facts__number" data-testid="quality-auc">
          {formatDecimal(quality.roc_auc, 2)}
        </dd>
      </div>
      <div className="quality-facts__item">
        <dt>Base rate</dt>
        <dd className="quality-facts__number" data-testid="quality-base-rate">
          {formatPercent(quality.base_rate)}
        </dd>
      </div>
      <div className="quality-facts__item">
        <dt>Held-out leads</dt>
        <dd data-testid="quality-leads">
          <span className="quality-facts__number">{formatCount(quality.leads)}</span>{' '}
          <span className="muted small">({formatCount(quality.won)} won)</span>
        </dd>
      </div>
    </>
  );
}

/** Predicted against observed conversion by decile: the chart, and its numbers in a table under it. */
function Calibration({ quality }: { quality: ModelQuality }) {
  return (
    <section className="quality-section" aria-label="Calibration by decile" data-testid="quality-calibration">
      <h3 className="quality-section__title">Calibration on held-out leads</h3>
      <CalibrationChart bins={quality.calibration} />
      <details className="quality-details">
        <summary>The numbers by decile</summary>
        <div className="quality-details__table">
          <table className="table table--compact">
            <thead>
              <tr>
                <th scope="col">Decile</th>
                <th scope="col" className="num">
                  Leads
                </th>
                <th scope="col" className="num">
                  Predicted
                </th>
                <th scope="col" className="num">
                  Observed
                </th>
              </tr>
            </thead>
            <tbody>
              {quality.calibration.map((d, i) => (
                <tr key={i} data-testid="calibration-row">
                  <th scope="row">{i + 1}</th>
                  <td className="num">{formatCount(d.leads)}</td>
                  <td className="num">{formatPercent(d.predicted)}</td>
                  <td className="num">{formatPercent(d.observed)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
}

function TopFeatures({ features }: { features: TopFeature[] }) {
  const max = Math.max(0, ...features.map((f) => f.share));
  return (
    <section className="quality-section" aria-label="What the model leans on most">
      <h3 className="quality-section__title">What it leans on most</h3>
      {features.length === 0 ? (
        <p className="muted small">This model shipped without its feature importance.</p>
      ) : (
        <>
          <ol className="share-bars" data-testid="top-features">
            {features.map((f) => (
              <li key={f.feature} className="share-bars__row" data-testid="top-feature" data-feature={f.feature}>
                <span className="share-bars__label">{f.label || f.feature}</span>
                <span className="share-bars__track" aria-hidden="true">
                  <span className="share-bars__fill" style={{ width: `${max > 0 ? (f.share / max) * 100 : 0}%` }} />
                </span>
                <span className="share-bars__value" data-testid="top-feature-share">
                  {formatPercent(f.share)}
                </span>
              </li>
            ))}
          </ol>
          <p className="muted small">Share of the mean |SHAP| on the training data.</p>
        </>
      )}
    </section>
  );
}

/** The tenant's leads by latest score: ten bars, each with its count (and the whole in words for screen readers). */
function ScoreDistribution({ counts }: { counts: readonly number[] | null | undefined }) {
  const bins = distributionBins(counts);
  if (!bins) return null;
  const total = bins.reduce((s, b) => s + b.count, 0);
  return (
    <section className="quality-section" aria-label="Your leads by latest score" data-testid="score-distribution">
      <h3 className="quality-section__title">
        Your leads by latest score <span className="count">{total.toLocaleString()}</span>
      </h3>
      <ol className="histogram">
        {bins.map((b) => (
          <li key={b.label} className="histogram__bin" data-testid="distribution-bin" data-count={b.count}>
            <span className="histogram__count" aria-hidden="true">
              {b.count.toLocaleString()}
            </span>
            <span className="histogram__bar" aria-hidden="true">
              <span className="histogram__fill" style={{ height: `${b.height * 100}%` }} />
            </span>
            {/* Under each bar its lowest score (ten ranges do not fit a phone's width); the range in words for screen readers. */}
            <span className="histogram__label" aria-hidden="true">
              {b.from}
            </span>
            <span className="visually-hidden">
              Score {b.label}: {b.count === 1 ? '1 lead' : `${b.count} leads`}
            </span>
          </li>
        ))}
      </ol>
      <p className="muted small">Latest score in bins of ten points; the last bin takes 90 to 100.</p>
    </section>
  );
}
