/**
 * A lead's score history and "what changed" as the lead page shows them:
 * the points read defensively, the last few newest first, and a change's
 * parts split into the rows (the model's first) and the float rounding
 * left over, which is a footnote rather than a row.
 */
import { displayBand } from './band';
import { parseTime } from './time';
import type { Band, ChangePart, Changes, History } from './types';

export interface ScorePoint {
  requestId: string;
  /** When it was scored (ms). */
  at: number;
  score: number;
  band: Band | null;
  version: string;
}

/** The history's points that can be drawn (a score and a time), oldest first. */
export function readPoints(history: History | null | undefined): ScorePoint[] {
  const points = Array.isArray(history?.points) ? history.points : [];
  const read: ScorePoint[] = [];
  for (const p of points) {
    const at = parseTime(p?.scored_at);
    if (at === null || typeof p.score !== 'number' || !Number.isFinite(p.score)) continue;
    read.push({
      requestId: String(p.request_id ?? ''),
      at,
      score: p.score,
      // The host writes each point's band by the thresholds in force now.
      band: displayBand(p.band, p.score),
      version: typeof p.model_version === 'string' ? p.model_version : '',
    });
  }
  // The host sends them oldest first; a stable sort keeps equal times in its order.
  return read.sort((a, b) => a.at - b.at);
}

/** The last `n` points, newest first (the list under the chart). */
export function latestFirst(points: readonly ScorePoint[], n = 5): ScorePoint[] {
  return points.slice(-n).reverse();
}

/** When the scoring `requestId` happened, from the history; null when the history does not have it. */
export function scoredAt(points: readonly ScorePoint[], requestId: string): number | null {
  return points.find((p) => p.requestId === requestId)?.at ?? null;
}

/**
 * XGBoost adds its trees up in 32 bits, so the host closes the sum with a
 * tiny part (|delta| ~1e-7) saying so. It is not a reason for the change:
 * the panel folds it into a footnote.
 */
export function isRoundingPart(part: ChangePart): boolean {
  return typeof part.text === 'string' && part.text.startsWith('Float32 rounding');
}

export interface ChangeRows {
  /** The parts shown as rows: the model's first, then the features' as the host ordered them (by size). */
  rows: ChangePart[];
  /** The float rounding part, if the host sent one. */
  rounding: ChangePart | null;
  /** to.margin − from.margin: what the parts add up to. */
  total: number;
}

export function changeRows(changes: Changes): ChangeRows {
  const parts = (Array.isArray(changes.parts) ? changes.parts : []).filter(
    (p) => typeof p?.delta === 'number' && Number.isFinite(p.delta) && typeof p.text === 'string',
  );
  const rounding = parts.find(isRoundingPart) ?? null;
  const rest = parts.filter((p) => p !== rounding);
  // The model's part first, whatever order the parts came in (the host already does).
  const rows = [...rest.filter((p) => p.kind === 'model'), ...rest.filter((p) => p.kind !== 'model')];
  return { rows, rounding, total: changes.to.margin - changes.from.margin };
}

/** Σ delta of the parts, rounding included: equals to.margin − from.margin. */
export function sumOfDeltas(parts: readonly ChangePart[]): number {
  return parts.reduce((s, p) => s + p.delta, 0);
}

/**
 * A change in log-odds with its sign and a real minus: two decimals from
 * 0.1 up ("+0.45", "−2.09"), else two significant digits ("+0.044",
 * "−0.0021", "−0.0000010"), so a small part never reads as "0.00".
 */
export function formatDelta(delta: number): string {
  if (!Number.isFinite(delta)) return '—';
  const abs = Math.abs(delta);
  if (abs === 0) return '0';
  const digits = abs >= 0.1 ? 2 : Math.min(12, Math.ceil(-Math.log10(abs)) + 1);
  return `${delta > 0 ? '+' : '−'}${abs.toFixed(digits)}`;
}

/** "93 → 96 (+3)", "96 → 81 (−15)", "70 → 70 (no change)". */
export function scoreMove(from: number, to: number): string {
  const step = to - from;
  const change = step === 0 ? 'no change' : step > 0 ? `+${step}` : `−${-step}`;
  return `${from} → ${to} (${change})`;
}
