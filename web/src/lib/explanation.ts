/**
 * The explanation contract (see DESIGN.md): reasons (sentences with a
 * direction) and contributions (signed SHAP per feature, with the feature's
 * label and the lead's value in words), as the score's `explanation`
 * carries them (`StoredExplanation` in the OpenAPI document), and the facts
 * beside them: probability, base rate, data completeness, data notes.
 * That is read defensively: a stored explanation that no longer reads as a
 * score (the host passes on its text), a partial one, or one that breaks
 * the document (a proxy, an older host) must never break the page, only
 * turn into an "Explanation unavailable" stub.
 */
import type { Contribution, DataNote, FeatureValue, Reason, Score, ScoreRow, StoredExplanation } from './types';

export type Explanation =
  | {
      available: true;
      reasons: Reason[];
      contributions: Contribution[];
      baseValue: number | null;
      margin: number | null;
    }
  | { available: false; why: string };

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const nonEmpty = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);

function unavailable(why: string): Explanation {
  return { available: false, why };
}

/** A feature name as a person reads it: `docs_views_30d` → `docs views 30d`. */
export function featureLabel(feature: string): string {
  return feature.replace(/[_-]+/g, ' ').trim();
}

/*
 * Entries are typed as the document has them; every field is still checked,
 * because what arrives may break the document (e2e/04-graceful.spec.ts sends
 * such explanations): a reason or contribution that does not hold up is
 * dropped, what can be mended is.
 */
function readReason(reason: Reason): Reason | null {
  if (!isObject(reason)) return null;
  const shap = finite(reason.shap);
  const feature = typeof reason.feature === 'string' && reason.feature ? reason.feature : null;
  if (shap === null || feature === null) return null;
  const text = nonEmpty(reason.text) ?? featureLabel(feature);
  const direction = reason.direction === 'up' || reason.direction === 'down' ? reason.direction : shap >= 0 ? 'up' : 'down';
  return { feature, text, direction, shap };
}

function readContribution(contribution: Contribution): Contribution | null {
  if (!isObject(contribution)) return null;
  const shap = finite(contribution.shap);
  const feature = typeof contribution.feature === 'string' && contribution.feature ? contribution.feature : null;
  if (shap === null || feature === null) return null;
  const v = contribution.value;
  const value: FeatureValue = typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) ? v : null;
  // Older hosts and stored scores have neither: the chart falls back to the feature name and raw value.
  const field = nonEmpty(contribution.field);
  return {
    feature,
    value,
    shap,
    label: nonEmpty(contribution.label),
    display: nonEmpty(contribution.display),
    // Only features read from a lead field have one (the lead details use it).
    ...(field ? { field } : {}),
  };
}

/** The score's `reasons` and `contributions` when both are lists (null in a score the model could not explain). */
function lists(score: Score): { reasons: Reason[]; contributions: Contribution[] } | null {
  const { reasons, contributions } = score;
  return Array.isArray(reasons) && Array.isArray(contributions) ? { reasons, contributions } : null;
}

/**
 * Reads a score's `explanation` (null or undefined: the lead has no score).
 * Unavailable when it is a string (a stored explanation that no longer
 * reads as a score comes back as its text), says `explanation_unavailable`,
 * lacks `reasons` or `contributions` or has them as something other than
 * lists, or has no usable entry at all. Entries without a feature or a
 * finite `shap` are dropped; a value that is not a number or a string reads
 * as missing.
 */
export function parseExplanation(explanation: StoredExplanation | null | undefined): Explanation {
  if (explanation === null || explanation === undefined) return unavailable('No explanation was recorded for this score.');
  if (typeof explanation === 'string') return unavailable('The stored explanation could not be read.');
  if (!isObject(explanation)) return unavailable('The explanation is not in the expected format.');
  const why = nonEmpty(explanation.explanation_unavailable);
  if (why) return unavailable(`The model could not explain this score: ${why}`);
  const found = lists(explanation);
  if (!found) return unavailable('The explanation is incomplete.');
  const reasons = found.reasons.map(readReason).filter((r) => r !== null);
  const contributions = found.contributions.map(readContribution).filter((c) => c !== null);
  if (reasons.length === 0 && contributions.length === 0) {
    return unavailable(
      found.reasons.length + found.contributions.length === 0
        ? 'The explanation is empty.'
        : 'The explanation is not in the expected format.',
    );
  }
  return {
    available: true,
    reasons,
    contributions,
    baseValue: finite(explanation.base_value),
    margin: finite(explanation.margin),
  };
}

/** The `n` contributions that moved the score most (largest |shap| first), zeros left out. */
export function topContributions(contributions: Contribution[], n = 10): Contribution[] {
  return contributions
    .filter((c) => c.shap !== 0)
    .slice()
    .sort((a, b) => Math.abs(b.shap) - Math.abs(a.shap))
    .slice(0, n);
}

/** A data note as the page shows it: its text, and its kind when it is one this UI knows. */
export interface Note {
  kind: DataNote['kind'] | null;
  text: string;
}

const NOTE_KINDS: readonly string[] = [
  'unseen_category',
  'activities_after_as_of',
  'missing_important',
] satisfies DataNote['kind'][];

/** What the score card says beside the badge, read from the stored score and its explanation. */
export interface ScoreFacts {
  /** Calibrated probability of closing, 0–1. */
  probability: number | null;
  /** The training population's conversion rate, 0–1 (older scores lack it). */
  baseRate: number | null;
  /** `probability / baseRate`; null without a base rate. */
  vsBaseRate: number | null;
  /** Share of the signals this model uses that the lead has, 0–1. */
  dataCompleteness: number | null;
  notes: Note[];
}

const probabilityIn = (v: unknown): number | null => {
  const p = finite(v);
  return p !== null && p >= 0 && p <= 1 ? p : null;
};

/**
 * The facts of a stored score. The row's own fields come first, then the
 * explanation's (a string when it no longer reads as a score: then only the
 * row's). `data_completeness` is new: the old `confidence`, which the API
 * keeps, stands in for it. A note without a text is dropped; one of a kind
 * this UI does not know is still shown (its text says what it is).
 */
export function readScoreFacts(row: ScoreRow | null | undefined): ScoreFacts {
  const score: Partial<Score> = row && isObject(row.explanation) ? row.explanation : {};
  const probability = probabilityIn(row?.probability) ?? probabilityIn(score.probability);
  const rate = finite(score.base_rate);
  const baseRate = rate !== null && rate > 0 && rate <= 1 ? rate : null;
  const dataCompleteness =
    finite(row?.data_completeness) ?? finite(score.data_completeness) ?? finite(row?.confidence) ?? finite(score.confidence);
  const notes: Note[] = (Array.isArray(score.notes) ? score.notes : []).flatMap((n: DataNote) => {
    const text = isObject(n) ? nonEmpty(n.text) : null;
    if (text === null) return [];
    return [{ kind: NOTE_KINDS.includes(n.kind) ? n.kind : null, text }];
  });
  return { probability, baseRate, vsBaseRate: ratio(finite(score.vs_base_rate), probability, baseRate), dataCompleteness, notes };
}

/** The ratio to the base rate as given, else worked out; none without a base rate. */
function ratio(given: number | null, probability: number | null, baseRate: number | null): number | null {
  if (baseRate === null) return null;
  if (given !== null && given >= 0) return given;
  return probability === null ? null : probability / baseRate;
}

/**
 * How the lead details show a CRM field the model reads: by the feature's
 * display name and the value as the reasons write it, so that details and
 * reasons say the same ("Seniority: VP", "Uses a competitor: Yes"). Null
 * for a field no contribution names, or one whose value the model could not
 * read (the details then show what the CRM sent; a data note says why).
 */
export function modelField(
  explanation: Explanation,
  field: string,
): { label: string; display: string } | null {
  if (!explanation.available) return null;
  const c = explanation.contributions.find((x) => x.field === field);
  if (!c || c.value === null || !c.label || !c.display) return null;
  return { label: c.label, display: c.display };
}
