/**
 * The lift page's charts: weekly win rate of treated and control leads with
 * their 95 % intervals as error bars, and calibration (predicted against
 * observed win rate). Each has a text summary for screen readers; the
 * numbers are also in the tables beside them.
 */
import {
  CartesianGrid,
  ErrorBar,
  ReferenceLine,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  type TooltipContentProps,
  type TooltipValueType,
} from 'recharts';

import { useElementWidth } from '../lib/hooks';
import { formatPercent, isNumber, weekLabel, weeklyPoints, type WeekPoint } from '../lib/lift';
import type { CalibrationBin, Week } from '../lib/types';

export const TREATED_COLOUR = '#2563eb';
export const CONTROL_COLOUR = '#64748b';
const GRID = '#e2e8f0';
const TICK = { fill: '#334155', fontSize: 12 };

/** The smallest of 10, 20, 25, 50, 75, 100 (percent) at or above `v`. */
function niceTop(v: number): number {
  return [10, 20, 25, 50, 75, 100].find((t) => t >= v) ?? 100;
}

/** Evenly spaced ticks from 0 to `top`. */
function ticksTo(top: number): number[] {
  const step = top <= 10 ? 2 : top <= 25 ? 5 : top <= 50 ? 10 : 25;
  return Array.from({ length: Math.floor(top / step) + 1 }, (_, i) => i * step);
}

const percentTick = (v: number) => `${v} %`;

function WeekTooltip({ active, payload }: TooltipContentProps<TooltipValueType, string | number>) {
  const item = payload?.[0];
  const point = item?.payload as WeekPoint | undefined;
  if (!active || !point) return null;
  return (
    <div className="chart-tooltip">
      <p className="chart-tooltip__title">
        {item?.name} · week of {weekLabel(point.week, { year: true })}
      </p>
      <p>
        {formatPercent(point.rate / 100)} won ({point.won} of {point.decided})
      </p>
      <p className="muted">
        95 % CI {formatPercent(point.low / 100)} – {formatPercent(point.high / 100)}
      </p>
    </div>
  );
}

export function WeeklyLiftChart({ weeks }: { weeks: Week[] }) {
  const [ref, width] = useElementWidth<HTMLDivElement>();
  // Each group a little to its side of the week, so their error bars stay apart.
  const treated = weeklyPoints(weeks, 'treated', -0.12);
  const control = weeklyPoints(weeks, 'control', 0.12);
  if (treated.length + control.length === 0) {
    return <p className="muted small">No week has a lead with an outcome yet.</p>;
  }
  const top = niceTop(Math.max(...[...treated, ...control].map((p) => p.high)));
  const summary = weeks
    .map(
      (w) =>
        `week of ${weekLabel(w.week_start)}: treated ${formatPercent(w.treated.win_rate)}, control ${formatPercent(
          w.control.win_rate,
        )}`,
    )
    .join('; ');

  return (
    <figure className="chart" data-testid="weekly-chart">
      <figcaption className="chart__caption">
        <span>Win rate by the week leads arrived, with 95 % intervals</span>
        <span className="chart__legend" aria-hidden="true">
          <span className="legend-swatch" style={{ background: TREATED_COLOUR }} /> scored
          <span className="legend-swatch" style={{ background: CONTROL_COLOUR }} /> control
        </span>
      </figcaption>
      <div ref={ref} className="chart__canvas" role="img" aria-label={`Weekly win rate: ${summary}.`}>
        {width > 0 ? (
          <ScatterChart width={width} height={260} margin={{ top: 8, right: 12, bottom: 4, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid vertical={false} stroke={GRID} />
            <XAxis
              type="number"
              dataKey="x"
              domain={[-0.5, weeks.length - 0.5]}
              ticks={weeks.map((_, i) => i)}
              tickFormatter={(i: number) => weekLabel(weeks[Math.round(i)]?.week_start ?? '')}
              interval="preserveStartEnd"
              minTickGap={12}
              tickLine={false}
              tick={TICK}
            />
            <YAxis
              type="number"
              dataKey="rate"
              domain={[0, top]}
              ticks={ticksTo(top)}
              tickFormatter={percentTick}
              width={48}
              tickLine={false}
              axisLine={false}
              tick={TICK}
            />
            <Tooltip content={WeekTooltip} cursor={false} isAnimationActive={false} />
            <Scatter name="Scored" data={treated} fill={TREATED_COLOUR} line={{ stroke: TREATED_COLOUR }} isAnimationActive={false}>
              <ErrorBar dataKey="error" direction="y" stroke={TREATED_COLOUR} width={5} isAnimationActive={false} />
            </Scatter>
            <Scatter
              name="Control"
              data={control}
              fill={CONTROL_COLOUR}
              shape="diamond"
              line={{ stroke: CONTROL_COLOUR, strokeDasharray: '4 3' }}
              isAnimationActive={false}
            >
              <ErrorBar dataKey="error" direction="y" stroke={CONTROL_COLOUR} width={5} isAnimationActive={false} />
            </Scatter>
          </ScatterChart>
        ) : null}
      </div>
    </figure>
  );
}

interface CalibrationPoint {
  predicted: number;
  observed: number;
  leads: number;
}

function CalibrationTooltip({ active, payload }: TooltipContentProps<TooltipValueType, string | number>) {
  const point = payload?.[0]?.payload as CalibrationPoint | undefined;
  if (!active || !point) return null;
  return (
    <div className="chart-tooltip">
      <p>
        Predicted {formatPercent(point.predicted / 100)}, observed {formatPercent(point.observed / 100)}
      </p>
      <p className="muted">{point.leads.toLocaleString()} leads</p>
    </div>
  );
}

export function CalibrationChart({ bins }: { bins: CalibrationBin[] }) {
  const [ref, width] = useElementWidth<HTMLDivElement>();
  const points: CalibrationPoint[] = bins
    .filter((b) => isNumber(b.predicted) && isNumber(b.observed))
    .map((b) => ({ predicted: b.predicted * 100, observed: b.observed * 100, leads: b.leads }));
  if (points.length === 0) return <p className="muted small">No calibration bins yet.</p>;
  const top = niceTop(Math.max(...points.flatMap((p) => [p.predicted, p.observed])));
  const ticks = [0, top / 2, top];
  const summary = points
    .map((p) => `predicted ${formatPercent(p.predicted / 100)}, observed ${formatPercent(p.observed / 100)}`)
    .join('; ');

  return (
    <figure className="chart chart--small" data-testid="calibration-chart">
      <figcaption className="chart__caption">
        <span>Predicted (across) against observed (up) win rate</span>
        <span className="chart__legend" aria-hidden="true">
          <span className="legend-line" /> perfect
        </span>
      </figcaption>
      <div ref={ref} className="chart__canvas" role="img" aria-label={`Calibration by bin: ${summary}.`}>
        {width > 0 ? (
          <ScatterChart
            width={width}
            height={Math.min(240, Math.max(180, width * 0.6))}
            margin={{ top: 8, right: 12, bottom: 4, left: 0 }}
            accessibilityLayer={false}
          >
            <CartesianGrid stroke={GRID} />
            <XAxis
              type="number"
              dataKey="predicted"
              domain={[0, top]}
              ticks={ticks}
              tickFormatter={percentTick}
              tickLine={false}
              tick={TICK}
            />
            <YAxis
              type="number"
              dataKey="observed"
              domain={[0, top]}
              ticks={ticks}
              tickFormatter={percentTick}
              width={48}
              tickLine={false}
              axisLine={false}
              tick={TICK}
            />
            <ReferenceLine
              segment={[
                { x: 0, y: 0 },
                { x: top, y: top },
              ]}
              stroke="#94a3b8"
              strokeDasharray="4 4"
              ifOverflow="hidden"
            />
            <Tooltip content={CalibrationTooltip} cursor={false} isAnimationActive={false} />
            <Scatter data={points} fill={TREATED_COLOUR} line={{ stroke: TREATED_COLOUR }} isAnimationActive={false} />
          </ScatterChart>
        ) : null}
      </div>
    </figure>
  );
}
