/** The shadow comparison: how the shadow version fares against the active one on the same leads. */
import { formatDecimal, isNumber } from './lift';
import type { ShadowReport, VersionMetrics } from './types';

export interface MetricRow {
  key: keyof VersionMetrics;
  label: string;
  help: string;
  active: string;
  shadow: string;
  /** shadow − active, signed ("+0.04"); null when either is missing. */
  delta: string | null;
  /** Whether the shadow does better on this metric; null when it does not apply or is a tie. */
  shadowBetter: boolean | null;
}

const RULES: { key: keyof VersionMetrics; label: string; help: string; digits: number; higherIsBetter: boolean | null }[] = [
  { key: 'auc', label: 'AUC', help: 'how well scores rank won above lost leads; higher is better', digits: 2, higherIsBetter: true },
  { key: 'brier', label: 'Brier score', help: 'error of the predicted probabilities; lower is better', digits: 3, higherIsBetter: false },
  { key: 'mean_score', label: 'Mean score', help: 'average 0–100 score', digits: 1, higherIsBetter: null },
];

function signed(v: number, digits: number): string {
  const text = Math.abs(v).toFixed(digits);
  if (Number(text) === 0) return `±${text}`;
  return `${v < 0 ? '−' : '+'}${text}`;
}

export function metricRows(report: ShadowReport): MetricRow[] {
  return RULES.map(({ key, label, help, digits, higherIsBetter }) => {
    const a = report.active_metrics?.[key];
    const s = report.shadow_metrics?.[key];
    const both = isNumber(a) && isNumber(s);
    const diff = both ? s - a : 0;
    const tie = both && Number(Math.abs(diff).toFixed(digits)) === 0;
    return {
      key,
      label,
      help,
      active: formatDecimal(a, digits),
      shadow: formatDecimal(s, digits),
      delta: both ? signed(diff, digits) : null,
      shadowBetter: !both || higherIsBetter === null || tie ? null : higherIsBetter ? diff > 0 : diff < 0,
    };
  });
}
