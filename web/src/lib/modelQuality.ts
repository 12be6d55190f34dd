/**
 * How the admin page reads a model's quality and the thresholds in force:
 * which version to show first, the training window, the score
 * distribution's bins, which Hot/Cold thresholds apply and where they come
 * from, and the thresholds form checked before sending.
 */
import { isNumber } from './lift';
import { formatDate } from './time';
import type { Bands, ModelInfo, Routing } from './types';

/** The version whose quality is shown first: the active one, or with a split the heaviest. */
export function primaryVersion(routing: Routing): string {
  const split = (routing.split ?? []).filter((w) => w.weight > 0);
  if (split.length === 0) return routing.active;
  return split.reduce((a, b) => (b.weight > a.weight ? b : a)).version;
}

/** "1 Oct 2024 – 30 Sep 2026" from `YYYY-MM-DD` days; null when there is no (readable) window. */
export function trainingWindow(window: readonly string[] | null | undefined): string | null {
  if (!Array.isArray(window) || window.length !== 2) return null;
  const [from, to] = window.map((d) => (typeof d === 'string' ? Date.parse(`${d}T12:00:00Z`) : NaN));
  if (Number.isNaN(from) || Number.isNaN(to)) return null;
  return `${formatDate(from)} – ${formatDate(to)}`;
}

export interface DistributionBin {
  /** "0–9", …, "90–100". */
  label: string;
  /** The bin's lowest score: its short label under a narrow bar. */
  from: number;
  count: number;
  /** Height against the fullest bin, 0–1. */
  height: number;
}

/**
 * The tenant's leads by latest score in ten bins of ten points; the last
 * bin takes 100 too. Null when the host sent anything but ten counts.
 */
export function distributionBins(counts: readonly unknown[] | null | undefined): DistributionBin[] | null {
  if (!Array.isArray(counts) || counts.length !== 10 || !counts.every((c) => isNumber(c) && c >= 0)) return null;
  const numbers = counts as number[];
  const max = Math.max(...numbers);
  return numbers.map((count, i) => ({
    label: i === 9 ? '90–100' : `${i * 10}–${i * 10 + 9}`,
    from: i * 10,
    count,
    height: max > 0 ? count / max : 0,
  }));
}

export interface ThresholdsInForce {
  bands: Bands;
  /** The tenant's own (the routing's `bands`), or the active model's. */
  source: 'tenant' | 'model';
  /** The model whose thresholds apply (source "model"), or that they replace. */
  version: string;
}

/** The thresholds badges follow: the routing's own, else the active model's; null when neither is known. */
export function thresholdsInForce(routing: Routing, models: readonly ModelInfo[]): ThresholdsInForce | null {
  const version = primaryVersion(routing);
  if (routing.bands) return { bands: routing.bands, source: 'tenant', version };
  const model = models.find((m) => m.version === version);
  return model?.bands ? { bands: model.bands, source: 'model', version } : null;
}

/** "Hot above 80, Cold below 40". */
export function describeBands(bands: Bands): string {
  return `Hot above ${bands.hot}, Cold below ${bands.cold}`;
}

/**
 * The thresholds form: whole numbers, or the problem. Their order and range
 * (cold ≤ hot ≤ 100) are the host's to judge: its message says what it takes.
 */
export function parseThresholds(hot: string, cold: string): { bands: Bands } | { problem: string } {
  const read = (text: string) => (/^\s*-?\d+\s*$/.test(text) ? Number.parseInt(text, 10) : NaN);
  const h = read(hot);
  const c = read(cold);
  if (Number.isNaN(h) || Number.isNaN(c)) return { problem: 'Both thresholds are whole scores, 0 to 100.' };
  return { bands: { hot: h, cold: c } };
}
