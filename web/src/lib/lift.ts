/**
 * How the learning loop's numbers read: win rates, lift and its 95 %
 * interval, hours to first touch, the weekly chart's points and the drift
 * table's rows.
 */
import type { Comparison, DriftReport, Interval, Week } from './types';

const MINUS = '−';

export function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** `v` rounded to `digits` decimals, with no trailing ".0". */
function trimmed(v: number, digits: number): string {
  return v.toFixed(digits).replace(/\.0+$/, '');
}

/**
 * A share as a percent: 0.153 → "15 %", 0.045 → "4.5 %", −0.12 → "−12 %";
 * `signed` adds "+" to gains. "—" when there is no number.
 */
export function formatPercent(value: number | null | undefined, { signed = false } = {}): string {
  if (!isNumber(value)) return '—';
  const abs = Math.abs(value * 100);
  const text = abs < 9.95 ? trimmed(abs, 1) : String(Math.round(abs));
  const sign = text === '0' ? '' : value < 0 ? MINUS : signed ? '+' : '';
  return `${sign}${text} %`;
}

/** A 95 % interval of shares: "5 % – 40 %"; "—" without one. */
export function formatInterval(ci: Interval | null | undefined): string {
  if (!ci || !isNumber(ci[0]) || !isNumber(ci[1])) return '—';
  return `${formatPercent(ci[0])} – ${formatPercent(ci[1])}`;
}

/** A number with fixed decimals (AUC 0.81, Brier 0.070), or "—". */
export function formatDecimal(value: number | null | undefined, digits = 2): string {
  return isNumber(value) ? value.toFixed(digits) : '—';
}

export function formatCount(value: number | null | undefined): string {
  return isNumber(value) ? value.toLocaleString() : '—';
}

export type LiftHeadline =
  | { kind: 'insufficient'; text: string }
  | {
      kind: 'more' | 'less' | 'same';
      text: string;
      /** The interval leaves out 0: the difference is unlikely to be chance. */
      clear: boolean;
    };

/** Why lift cannot be measured yet, in words. */
function missingData(c: Comparison): string {
  if (c.treated.decided === 0 && c.control.decided === 0) return 'no lead has a reported outcome yet';
  if (c.control.leads === 0) return 'the control group has no leads yet';
  if (c.control.decided === 0) return 'no lead in the control group has an outcome yet';
  if (c.treated.decided === 0) return 'no scored lead has an outcome yet';
  if (c.control.won === 0) return 'no lead in the control group has been won yet, so there is nothing to compare with';
  return 'the outcomes so far do not allow a comparison';
}

/** The headline sentence: "Scored leads win 21 % more often (95 % CI 5 % – 40 %)". */
export function liftHeadline(c: Comparison): LiftHeadline {
  if (!isNumber(c.lift)) {
    return { kind: 'insufficient', text: `Not enough data to measure lift yet: ${missingData(c)}.` };
  }
  const ci = c.lift_ci && isNumber(c.lift_ci[0]) && isNumber(c.lift_ci[1]) ? c.lift_ci : null;
  const interval = ci ? ` (95 % CI ${formatInterval(ci)})` : '';
  const clear = ci !== null && (ci[0] > 0 || ci[1] < 0);
  const size = formatPercent(Math.abs(c.lift));
  if (size === '0 %') {
    return { kind: 'same', text: `Scored leads win about as often as the control group${interval}`, clear };
  }
  return c.lift > 0
    ? { kind: 'more', text: `Scored leads win ${size} more often${interval}`, clear }
    : { kind: 'less', text: `Scored leads win ${size} less often${interval}`, clear };
}

/** Hours as a person reads them: "45 min", "5.8 h", "30 h", "3.5 days". */
export function formatHours(hours: number | null | undefined): string {
  if (!isNumber(hours)) return '—';
  if (hours < 1) return `${Math.max(1, Math.round(hours * 60))} min`;
  if (hours < 48) return `${hours < 10 ? trimmed(hours, 1) : Math.round(hours)} h`;
  const days = hours / 24;
  return `${days < 10 ? trimmed(days, 1) : Math.round(days).toLocaleString()} days`;
}

const weekFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
const weekYearFormat = new Intl.DateTimeFormat(undefined, {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});

function weekDate(weekStart: string): Date | null {
  const d = new Date(`${weekStart}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "2026-11-23" → "23 Nov" (the host's text when it is not a date). */
export function weekLabel(weekStart: string, { year = false } = {}): string {
  const d = weekDate(weekStart);
  if (!d) return weekStart;
  return (year ? weekYearFormat : weekFormat).format(d);
}

export type ArmName = 'treated' | 'control';

/** A point of the weekly chart: x is the week's index, nudged so the two groups' bars do not overlap. */
export interface WeekPoint {
  x: number;
  week: string;
  /** Win rate, percent. */
  rate: number;
  /** Distances from `rate` down and up to the interval's ends (percent), as ErrorBar wants them. */
  error: [number, number];
  low: number;
  high: number;
  decided: number;
  won: number;
}

/** One group's weekly win rates; weeks without a win rate are left out. */
export function weeklyPoints(weeks: Week[], arm: ArmName, nudge = 0): WeekPoint[] {
  const points: WeekPoint[] = [];
  weeks.forEach((w, i) => {
    const a = w[arm];
    if (!a || !isNumber(a.win_rate)) return;
    const rate = a.win_rate * 100;
    const ci = a.ci && isNumber(a.ci[0]) && isNumber(a.ci[1]) ? a.ci : null;
    const low = ci ? Math.min(rate, ci[0] * 100) : rate;
    const high = ci ? Math.max(rate, ci[1] * 100) : rate;
    points.push({ x: i + nudge, week: w.week_start, rate, error: [rate - low, high - rate], low, high, decided: a.decided, won: a.won });
  });
  return points;
}

export interface DriftRow {
  key: string;
  /** What the table shows. */
  label: string;
  /** The model's feature name; null for the score itself. */
  feature: string | null;
  psi: number | null;
  alert: boolean;
}

/** Score PSI first, then the features by PSI, largest first (no number last, then by name). */
export function driftRows(drift: DriftReport): DriftRow[] {
  const scorePsi = isNumber(drift.score_psi) ? drift.score_psi : null;
  const score: DriftRow = {
    key: '(score)',
    label: 'Score',
    feature: null,
    psi: scorePsi,
    alert: drift.score_alert === true,
  };
  const features = (drift.features ?? [])
    .map<DriftRow>((f) => ({
      key: f.feature,
      label: f.feature.replace(/[_-]+/g, ' ').trim(),
      feature: f.feature,
      psi: isNumber(f.psi) ? f.psi : null,
      alert: Boolean(f.alert),
    }))
    .sort((a, b) => (b.psi ?? -Infinity) - (a.psi ?? -Infinity) || a.key.localeCompare(b.key));
  return [score, ...features];
}
