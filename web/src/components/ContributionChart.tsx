/**
 * The contributions as a waterfall that adds up: the average lead, what
 * each feature added or took away, everything else in one bar, and this
 * lead. Drawn in HTML rather than SVG so that long labels wrap instead of
 * being cut; the rows come from `lib/waterfall`, this only draws them.
 *
 * The bars are hidden from screen readers, which read the same numbers, in
 * the same order, from a visually hidden table.
 */
import { useId, useMemo, type CSSProperties } from 'react';

import { buildWaterfall, DEFAULT_BARS, formatLogOdds, type Waterfall, type WaterfallRow } from '../lib/waterfall';
import type { Contribution } from '../lib/types';

export const UNITS_CAPTION =
  "In log-odds, the model's raw output: each bar adds to or takes from the odds of closing; +0.69 doubles them.";

export function ContributionChart({
  contributions,
  baseValue,
  margin,
  bars = DEFAULT_BARS,
}: {
  contributions: Contribution[];
  baseValue: number | null;
  margin: number | null;
  bars?: number;
}) {
  const captionId = useId();
  const waterfall = useMemo(
    () => buildWaterfall(contributions, baseValue, margin, bars),
    [contributions, baseValue, margin, bars],
  );
  if (!waterfall) {
    return (
      <p className="muted small" data-testid="contribution-chart-missing">
        The score's starting point was not recorded, so its contributions cannot be drawn.
      </p>
    );
  }
  return (
    <figure className="chart waterfall" data-testid="contribution-chart" aria-labelledby={captionId}>
      <figcaption className="chart__caption">
        <span id={captionId}>How the score adds up</span>
        <span className="chart__legend" aria-hidden="true">
          <span className="legend-swatch legend-swatch--up" /> raises
          <span className="legend-swatch legend-swatch--down" /> lowers
        </span>
      </figcaption>
      <p className="waterfall__units" data-testid="chart-units">
        {UNITS_CAPTION}
      </p>
      <Bars waterfall={waterfall} />
      <StepsTable rows={waterfall.rows} />
    </figure>
  );
}

/** A position on the axis as a percentage of the track. */
const at = (w: Waterfall, x: number) => ((x - w.lo) / (w.hi - w.lo)) * 100;

function barClass(row: WaterfallRow): string {
  const sign = row.kind === 'start' || row.kind === 'end' ? 'total' : row.amount < 0 ? 'down' : 'up';
  return `waterfall__bar waterfall__bar--${sign}${row.kind === 'other' ? ' waterfall__bar--other' : ''}`;
}

function Bars({ waterfall }: { waterfall: Waterfall }) {
  const zero = { '--zero': `${at(waterfall, 0)}%` } as CSSProperties;
  return (
    <ol className="waterfall__rows" style={zero} aria-hidden="true">
      {waterfall.rows.map((row) => {
        const left = at(waterfall, Math.min(row.from, row.to));
        const width = at(waterfall, Math.max(row.from, row.to)) - left;
        return (
          <li key={row.key} className={`waterfall__row waterfall__row--${row.kind}`} data-testid="waterfall-row" data-kind={row.kind}>
            <span className="waterfall__label" data-testid="waterfall-label">
              {row.label}
            </span>
            <span className="waterfall__track">
              <span className={barClass(row)} style={{ left: `${left}%`, width: `${width}%` }} />
            </span>
            <span className="waterfall__value">{formatLogOdds(row.amount)}</span>
          </li>
        );
      })}
    </ol>
  );
}

/** The chart for screen readers: each step, what it adds, and where that leaves the total. */
function StepsTable({ rows }: { rows: WaterfallRow[] }) {
  return (
    // Hidden by a wrapper: a table keeps the height of its rows whatever its own height says.
    <div className="visually-hidden">
      <table data-testid="waterfall-table">
        <caption>How the score adds up, in log-odds: from the average lead, step by step, to this lead</caption>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Change</th>
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.label}</th>
              <td>{row.kind === 'start' || row.kind === 'end' ? '' : formatLogOdds(row.amount)}</td>
              <td>{formatLogOdds(row.to)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
