/** Hot / Warm / Cold: the badge a sales rep sees (the document's `Band`). */
import type { Band } from './types';

export const BANDS: readonly Band[] = ['hot', 'warm', 'cold'];

/**
 * The brief's thresholds (also each model manifest's default): a score
 * above 80 is Hot, below 40 is Cold, anything else Warm.
 */
export const BAND_THRESHOLDS = { hot: 80, cold: 40 } as const;

/** The band a 0–100 score falls in. Agrees with the band the host stores. */
export function bandForScore(score: number, thresholds: { hot: number; cold: number } = BAND_THRESHOLDS): Band {
  if (score > thresholds.hot) return 'hot';
  if (score < thresholds.cold) return 'cold';
  return 'warm';
}

/** A band as the API spells it, or null for anything else. */
export function parseBand(value: unknown): Band | null {
  if (typeof value !== 'string') return null;
  const v = value.trim().toLowerCase();
  return (BANDS as readonly string[]).includes(v) ? (v as Band) : null;
}

export const BAND_LABEL: Record<Band, string> = { hot: 'Hot', warm: 'Warm', cold: 'Cold' };

/**
 * The band to show: the stored band when it is valid (the badge must equal
 * what the API stored), otherwise derived from the score, otherwise null.
 */
export function displayBand(stored: unknown, score: unknown): Band | null {
  const band = parseBand(stored);
  if (band) return band;
  if (typeof score === 'number' && Number.isFinite(score)) return bandForScore(score);
  return null;
}
