/**
 * A score line in inline SVG: scores 0–100 up, time (or order) across.
 * Always aria-hidden: the caller says the trend in words beside it. In the
 * queue it is a small fixed-size glyph; on the lead page (`fluid`) it takes
 * the card's width, with the band thresholds as faint lines.
 */
import type { Bands } from '../lib/types';

export interface SparklineProps {
  /** Scores, oldest first. */
  values: readonly number[];
  /** When each was scored (ms), for spacing across; evenly spaced without. */
  times?: readonly number[];
  width?: number;
  height?: number;
  /** Stretch to the container's width (the height stays). */
  fluid?: boolean;
  /** Faint lines at the Hot and Cold thresholds. */
  bands?: Bands | null;
  /** Colours the line (a trend: improving, steady, declining). */
  tone?: string | null;
  testId?: string;
}

const PAD = 3;

/** The points' coordinates in a width × height box (exported for the tests). */
export function sparkPoints(
  values: readonly number[],
  times: readonly number[] | undefined,
  width: number,
  height: number,
): [number, number][] {
  const n = values.length;
  // Across by time when every point has one and they differ; else evenly.
  const usable = times && times.length === n && times.every(Number.isFinite) ? times : null;
  const t0 = usable ? Math.min(...usable) : 0;
  const span = usable ? Math.max(...usable) - t0 : 0;
  const x = (i: number) => {
    if (n === 1) return width - PAD; // one score: a dot where "now" is
    const share = usable && span > 0 ? (usable[i] - t0) / span : i / (n - 1);
    return PAD + share * (width - 2 * PAD);
  };
  const y = (v: number) => PAD + (1 - Math.min(100, Math.max(0, v)) / 100) * (height - 2 * PAD);
  return values.map((v, i) => [round(x(i)), round(y(v))]);
}

const round = (v: number) => Math.round(v * 100) / 100;

export function Sparkline({
  values,
  times,
  width = 56,
  height = 20,
  fluid = false,
  bands = null,
  tone = null,
  testId = 'sparkline',
}: SparklineProps) {
  if (values.length === 0) return null;
  const points = sparkPoints(values, times, width, height);
  const [lastX, lastY] = points[points.length - 1];
  const y = (v: number) => round(PAD + (1 - v / 100) * (height - 2 * PAD));
  // Fluid: stretched across, so strokes keep their width and the end dot its roundness.
  const keep = fluid ? { vectorEffect: 'non-scaling-stroke' as const } : {};
  return (
    <svg
      className={`sparkline${fluid ? ' sparkline--fluid' : ''}${tone ? ` sparkline--${tone}` : ''}`}
      viewBox={`0 0 ${width} ${height}`}
      width={fluid ? '100%' : width}
      height={height}
      preserveAspectRatio={fluid ? 'none' : undefined}
      aria-hidden="true"
      focusable="false"
      data-testid={testId}
      data-points={values.length}
    >
      {bands
        ? [bands.hot, bands.cold].map((t, i) => (
            <line key={i} className="sparkline__threshold" x1={0} x2={width} y1={y(t)} y2={y(t)} {...keep} />
          ))
        : null}
      {points.length > 1 ? (
        <polyline className="sparkline__line" points={points.map((p) => p.join(',')).join(' ')} {...keep} />
      ) : null}
      <path className="sparkline__dot" d={`M${lastX} ${lastY}h0`} {...keep} />
    </svg>
  );
}
