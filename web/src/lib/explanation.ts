/**
 * The explanation contract (see DESIGN.md): reasons (sentences with a
 * direction) and contributions (signed SHAP per feature). What the API
 * returns is read defensively: a corrupt or partial explanation must never
 * break the page, only turn into an "Explanation unavailable" stub.
 */

export type Direction = 'up' | 'down';

export interface Reason {
  feature: string;
  text: string;
  direction: Direction;
  shap: number;
}

export type FeatureValue = string | number | boolean | null;

export interface Contribution {
  feature: string;
  value: FeatureValue;
  shap: number;
}

export type Explanation =
  | {
      available: true;
      reasons: Reason[];
      contributions: Contribution[];
      baseValue: number | null;
      margin: number | null;
    }
  | { available: false; why: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function unavailable(why: string): Explanation {
  return { available: false, why };
}

/** A feature name as a person reads it: `docs_views_30d` → `docs views 30d`. */
export function featureLabel(feature: string): string {
  return feature.replace(/[_-]+/g, ' ').trim();
}

function parseReason(raw: unknown): Reason | null {
  if (!isObject(raw)) return null;
  const shap = finite(raw.shap);
  const feature = typeof raw.feature === 'string' && raw.feature ? raw.feature : null;
  if (shap === null || feature === null) return null;
  const text = typeof raw.text === 'string' && raw.text.trim() ? raw.text.trim() : featureLabel(feature);
  const direction: Direction =
    raw.direction === 'up' || raw.direction === 'down' ? raw.direction : shap >= 0 ? 'up' : 'down';
  return { feature, text, direction, shap };
}

function parseContribution(raw: unknown): Contribution | null {
  if (!isObject(raw)) return null;
  const shap = finite(raw.shap);
  const feature = typeof raw.feature === 'string' && raw.feature ? raw.feature : null;
  if (shap === null || feature === null) return null;
  const v = raw.value;
  const value: FeatureValue =
    typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) ? v : null;
  return { feature, value, shap };
}

/**
 * Reads `score.explanation` as the API returned it. Unavailable when it is
 * not an object (a stored explanation that no longer parses comes back as
 * its text), says `explanation_unavailable`, lacks `reasons` or
 * `contributions`, has them as something other than arrays, or has no
 * usable entry at all. Entries without a feature or a finite numeric `shap`
 * are dropped.
 */
export function parseExplanation(raw: unknown): Explanation {
  if (raw === null || raw === undefined) return unavailable('No explanation was recorded for this score.');
  if (typeof raw === 'string') return unavailable('The stored explanation could not be read.');
  if (!isObject(raw)) return unavailable('The explanation is not in the expected format.');
  if (typeof raw.explanation_unavailable === 'string' && raw.explanation_unavailable.trim()) {
    return unavailable(`The model could not explain this score: ${raw.explanation_unavailable.trim()}`);
  }
  if (!Array.isArray(raw.reasons) || !Array.isArray(raw.contributions)) {
    return unavailable('The explanation is incomplete.');
  }
  const reasons = raw.reasons.map(parseReason).filter((r): r is Reason => r !== null);
  const contributions = raw.contributions.map(parseContribution).filter((c): c is Contribution => c !== null);
  if (reasons.length === 0 && contributions.length === 0) {
    return unavailable(
      raw.reasons.length + raw.contributions.length === 0
        ? 'The explanation is empty.'
        : 'The explanation is not in the expected format.',
    );
  }
  return {
    available: true,
    reasons,
    contributions,
    baseValue: finite(raw.base_value),
    margin: finite(raw.margin),
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
