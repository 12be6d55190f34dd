/**
 * Where a lead's score is going, as an arrow and a word: ↗ Improving,
 * → Steady, ↘ Declining; no arrow ("—") while there is not enough history.
 * The host decides the trend (its window and minimum change); the UI only
 * says it.
 */
import type { Trend } from './types';

export const TRENDS: readonly Trend[] = ['improving', 'steady', 'declining', 'not_enough_history'];

export interface TrendLook {
  /** What a sighted reader scans: the arrow, or a dash without a trend. */
  arrow: string;
  /** The trend in words (shown beside the arrow, or read to screen readers). */
  label: string;
}

const LOOK: Record<Trend, TrendLook> = {
  improving: { arrow: '↗', label: 'Improving' },
  steady: { arrow: '→', label: 'Steady' },
  declining: { arrow: '↘', label: 'Declining' },
  not_enough_history: { arrow: '—', label: 'Not enough history' },
};

/** A trend as the API spells it, or null for anything else (an older host sends none). */
export function parseTrend(value: unknown): Trend | null {
  return typeof value === 'string' && (TRENDS as readonly string[]).includes(value) ? (value as Trend) : null;
}

export function trendLook(trend: Trend): TrendLook {
  return LOOK[trend];
}

/** True for a trend that has a direction (an arrow worth colouring). */
export function hasDirection(trend: Trend | null): trend is 'improving' | 'steady' | 'declining' {
  return trend !== null && trend !== 'not_enough_history';
}

/**
 * The scores of a sparkline, read defensively: finite numbers only, each
 * kept to 0–100 (a row from an older host has none).
 */
export function readScores(value: unknown): number[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).map((v) => Math.min(100, Math.max(0, v)));
}

/**
 * The trend and its scores in one sentence, for a screen reader or a
 * tooltip: "Improving: 62 → 71 → 80", "Not enough history yet".
 */
export function trendSentence(trend: Trend | null, scores: readonly number[]): string {
  if (trend === null) return scores.length > 1 ? `Scores ${scores.join(' → ')}` : '';
  if (trend === 'not_enough_history') return 'Not enough history yet';
  const label = LOOK[trend].label;
  return scores.length > 1 ? `${label}: ${scores.join(' → ')}` : label;
}
