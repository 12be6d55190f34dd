/**
 * The score as a chance a rep can act on: "5.7 % likely to close — 1.3×
 * the average lead". The percentage keeps a decimal while it is small (the
 * difference between 0.4 % and 0.9 % matters there) and never claims 0 %
 * or 100 %: a calibrated model is never certain.
 */
import type { ScoreFacts } from './explanation';

/** A probability (0–1) as a percentage: `under 0.1 %`, `5.7 %`, `62 %`, `over 99 %`. */
export function formatProbability(p: number): string {
  const percent = p * 100;
  if (percent < 0.1) return 'under 0.1 %';
  if (percent < 9.95) return `${percent.toFixed(1)} %`;
  if (percent < 99.5) return `${Math.round(percent)} %`;
  return 'over 99 %';
}

/** A ratio to the base rate: `under 0.1×`, `0.4×`, `1.3×`, `14×`. */
export function formatRatio(r: number): string {
  if (r < 0.095) return 'under 0.1×';
  if (r < 9.95) return `${r.toFixed(1)}×`;
  return `${Math.round(r).toLocaleString('en-US')}×`;
}

/**
 * "5.7 % likely to close — 1.3× the average lead"; only the first half
 * without a base rate (older models and stored scores); null without a
 * probability.
 */
export function likelihoodSentence(facts: Pick<ScoreFacts, 'probability' | 'vsBaseRate'>): string | null {
  if (facts.probability === null) return null;
  const chance = `${formatProbability(facts.probability)} likely to close`;
  return facts.vsBaseRate === null ? chance : `${chance} — ${formatRatio(facts.vsBaseRate)} the average lead`;
}
