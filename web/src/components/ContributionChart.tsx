/**
 * Signed SHAP contributions as horizontal bars: what pushed this lead's
 * score up (warm colour, right of zero) and down (cool colour, left).
 */
import { useMemo } from 'react';
import { Bar, BarChart, LabelList, Rectangle, ReferenceLine, XAxis, YAxis, type BarShapeProps } from 'recharts';

import { featureLabel, topContributions } from '../lib/explanation';
import type { Contribution } from '../lib/types';
import { useElementWidth } from '../lib/hooks';

export const UP_COLOUR = '#c2410c';
export const DOWN_COLOUR = '#1d4ed8';

interface Row {
  label: string;
  feature: string;
  shap: number;
  value: string;
}

function formatValue(value: Contribution['value']): string {
  if (value === null) return 'missing';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  return value;
}

const formatShap = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : ''}${Math.abs(v).toFixed(2)}`;

interface LabelProps {
  x?: number | string;
  y?: number | string;
  width?: number | string;
  height?: number | string;
  value?: unknown;
}

/** The signed value at the outer end of its bar. */
function ValueLabel({ x = 0, y = 0, width = 0, height = 0, value }: LabelProps) {
  if (typeof value !== 'number') return null;
  const [bx, by, bw, bh] = [Number(x), Number(y), Number(width), Number(height)];
  const negative = value < 0;
  const tip = negative ? Math.min(bx, bx + bw) - 4 : Math.max(bx, bx + bw) + 4;
  return (
    <text x={tip} y={by + bh / 2} dy="0.35em" textAnchor={negative ? 'end' : 'start'} className="chart__value">
      {formatShap(value)}
    </text>
  );
}

interface TickProps {
  x?: number | string;
  y?: number | string;
  payload?: { value?: unknown };
}

/** A feature label on one line, cut to the axis width (the full name in a tooltip). */
function makeTick(maxChars: number) {
  return function FeatureTick({ x = 0, y = 0, payload }: TickProps) {
    const full = String(payload?.value ?? '');
    const text = full.length > maxChars ? `${full.slice(0, maxChars - 1).trimEnd()}…` : full;
    return (
      <text x={Number(x) - 6} y={Number(y)} dy="0.35em" textAnchor="end" className="chart__tick">
        <title>{full}</title>
        {text}
      </text>
    );
  };
}

function BarShape(props: BarShapeProps) {
  const row = props.payload as Row | undefined;
  return <Rectangle {...props} fill={row && row.shap < 0 ? DOWN_COLOUR : UP_COLOUR} />;
}

export function ContributionChart({
  contributions,
  limit = 10,
  initialWidth,
}: {
  contributions: Contribution[];
  limit?: number;
  /** The width to draw at before the chart can be measured (e.g. while hidden). */
  initialWidth?: () => number;
}) {
  const [wrapperRef, width] = useElementWidth<HTMLDivElement>(initialWidth);
  const labelWidth = width < 360 ? 118 : 160;
  // About 7 px a character at 12 px (DejaVu Sans, the widest of the usual UI fonts).
  const Tick = useMemo(() => makeTick(Math.floor((labelWidth - 8) / 7.1)), [labelWidth]);
  const rows: Row[] = topContributions(contributions, limit).map((c) => ({
    label: featureLabel(c.feature),
    feature: c.feature,
    shap: c.shap,
    value: formatValue(c.value),
  }));

  if (rows.length === 0) {
    return <p className="muted small">No single signal moved this score.</p>;
  }
  // Room past the longest bar on each side for its value label.
  const lo = Math.min(0, ...rows.map((r) => r.shap));
  const hi = Math.max(0, ...rows.map((r) => r.shap));
  const pad = (hi - lo) * 0.28;
  const domain = [lo < 0 ? lo - pad : 0, hi > 0 ? hi + pad : 0];
  const height = rows.length * 28 + 16;
  const summary = rows.map((r) => `${r.label} ${formatShap(r.shap)}`).join(', ');

  return (
    <figure className="chart" data-testid="contribution-chart">
      <figcaption className="chart__caption">
        <span>Contributions</span>
        <span className="chart__legend" aria-hidden="true">
          <span className="legend-swatch" style={{ background: UP_COLOUR }} /> raises
          <span className="legend-swatch" style={{ background: DOWN_COLOUR }} /> lowers
        </span>
      </figcaption>
      <div ref={wrapperRef} className="chart__canvas" role="img" aria-label={`Contributions to the score: ${summary}`}>
        {width > 0 ? (
          <BarChart
            layout="vertical"
            width={width}
            height={height}
            data={rows}
            margin={{ top: 4, right: 8, bottom: 4, left: 4 }}
            barCategoryGap={5}
            accessibilityLayer={false}
          >
            <XAxis type="number" dataKey="shap" domain={domain} hide />
            <YAxis
              type="category"
              dataKey="label"
              width={labelWidth}
              tickLine={false}
              axisLine={false}
              interval={0}
              tick={Tick}
            />
            <ReferenceLine x={0} stroke="#94a3b8" />
            <Bar dataKey="shap" isAnimationActive={false} shape={BarShape}>
              <LabelList dataKey="shap" content={ValueLabel} />
            </Bar>
          </BarChart>
        ) : null}
      </div>
    </figure>
  );
}
