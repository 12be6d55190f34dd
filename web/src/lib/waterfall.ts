/**
 * The rows of the contribution waterfall, in log-odds (the model's margin
 * units), as shap's waterfall plot draws them: the average lead
 * (`base_value`), the largest contributions one bar each (largest |shap|
 * first), the rest folded into one "All other features" bar, and this lead
 * (`margin`).
 *
 * The picture must add up exactly: start + Σ bars = end. The host keeps
 * base_value + Σ shap = margin, but only the shown bars are summed here, so
 * the folded bar is whatever closes the gap (margin − base − Σ shown), never
 * a second sum that could drift from it.
 */
import { topContributions } from './explanation';
import { humanize } from './format';
import type { Contribution } from './types';

export type WaterfallKind = 'start' | 'feature' | 'other' | 'end';

export interface WaterfallRow {
  kind: WaterfallKind;
  /** Unique within the chart. */
  key: string;
  /** What the bar is, with the lead's value: "Pricing page views, last 7 days: 5 views". */
  label: string;
  /** Start and end: the total; the others: what the bar adds (signed). */
  amount: number;
  /** Where the bar starts and ends on the axis (start and end bars grow from 0). */
  from: number;
  to: number;
}

export interface Waterfall {
  rows: WaterfallRow[];
  /** The axis: every bar and 0 lie within [lo, hi], lo < hi. */
  lo: number;
  hi: number;
}

/** Bars the chart shows one by one, besides start, "All other features" and end. */
export const DEFAULT_BARS = 8;

export const START_LABEL = 'Average lead';
export const END_LABEL = 'This lead';
export const OTHER_LABEL = 'All other features';

/** What a gap must reach before it gets a bar of its own: it shows as ±0.01. */
const VISIBLE = 0.005;

/** A log-odds amount with its sign: `+0.85`, `−0.30` (a real minus), `0.00`. */
export function formatLogOdds(v: number): string {
  const text = Math.abs(v).toFixed(2);
  if (text === '0.00') return text;
  return `${v > 0 ? '+' : '−'}${text}`;
}

/** The raw value, for a contribution from a host that sends no `display`. */
function rawValue(value: Contribution['value']): string {
  if (value === null) return 'missing';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  return value;
}

/** "<label>: <display>", each half falling back on its own to the feature name and the raw value. */
export function contributionLabel(c: Contribution): string {
  return `${c.label || humanize(c.feature)}: ${c.display || rawValue(c.value)}`;
}

/**
 * The waterfall of an explanation's contributions. A missing `base_value`
 * or `margin` is found from the other (base + Σ shap = margin); with both
 * missing there is nothing to start or end at: null.
 */
export function buildWaterfall(
  contributions: Contribution[],
  baseValue: number | null,
  margin: number | null,
  bars = DEFAULT_BARS,
): Waterfall | null {
  const total = contributions.reduce((sum, c) => sum + c.shap, 0);
  const start = baseValue ?? (margin === null ? null : margin - total);
  const end = margin ?? (start === null ? null : start + total);
  if (start === null || end === null) return null;

  const shown = topContributions(contributions, bars);
  const rest = contributions.length - shown.length;
  const rows: WaterfallRow[] = [{ kind: 'start', key: 'start', label: START_LABEL, amount: start, from: 0, to: start }];
  let running = start;
  shown.forEach((c, i) => {
    rows.push({ kind: 'feature', key: `f${i}-${c.feature}`, label: contributionLabel(c), amount: c.shap, from: running, to: running + c.shap });
    running += c.shap;
  });
  const other = end - running;
  // Only data that breaks base + Σ shap = margin leaves a gap with nothing left to fold.
  if (rest > 0 || Math.abs(other) >= VISIBLE) {
    const label = rest > 0 ? `${OTHER_LABEL} (${rest})` : 'Not attributed to a feature';
    rows.push({ kind: 'other', key: 'other', label, amount: other, from: running, to: end });
  }
  rows.push({ kind: 'end', key: 'end', label: END_LABEL, amount: end, from: 0, to: end });

  const ends = rows.flatMap((r) => [r.from, r.to]);
  const lo = Math.min(0, ...ends);
  const hi = Math.max(0, ...ends);
  return { rows, lo, hi: hi > lo ? hi : lo + 1 };
}
