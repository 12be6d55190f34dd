/** Routing edits and the remembered previous routing (for "Roll back to vX"). */
import type { Bands, Routing } from './types';

export const PREVIOUS_ROUTING_KEY = 'leadscore.previousRouting';

/**
 * A routing with every version part spelled out: the document lets `split`
 * and `fallback` be left out (empty) and `shadow` be absent (none). The
 * tenant's own `bands` are there only when it has them.
 */
export type FullRouting = Required<Omit<Routing, 'bands'>> & Pick<Routing, 'bands'>;

/** `{bands}` when the routing has its own thresholds, else nothing (spread into a routing). */
function bandsOf(r: Routing): Pick<Routing, 'bands'> {
  return r.bands ? { bands: { hot: r.bands.hot, cold: r.bands.cold } } : {};
}

export interface RememberedRouting {
  routing: FullRouting;
  /** When it was replaced (ms). */
  replacedAt: number;
}

export function normalizeRouting(r: Routing): FullRouting {
  return {
    active: r.active,
    split: (r.split ?? []).map((w) => ({ version: w.version, weight: w.weight })),
    fallback: [...(r.fallback ?? [])],
    shadow: r.shadow ?? null,
    ...bandsOf(r),
  };
}

export function sameRouting(a: Routing, b: Routing): boolean {
  return JSON.stringify(normalizeRouting(a)) === JSON.stringify(normalizeRouting(b));
}

/**
 * The same versions serve reps' scores (active, split, fallback); the shadow
 * and the thresholds aside (a change of thresholds is no version to roll
 * back to).
 */
export function sameServing(a: Routing, b: Routing): boolean {
  return sameRouting({ ...a, shadow: null, bands: null }, { ...b, shadow: null, bands: null });
}

/**
 * Rolling back to `previous` restores what served reps' scores; the current
 * shadow keeps scoring beside it, unless it is the version rolled back to.
 */
export function rollbackTo(previous: Routing, current: Routing): FullRouting {
  const shadow = current.shadow ?? null;
  // Thresholds are not what is rolled back: the current ones stay.
  const { bands: _previous, ...versions } = normalizeRouting(previous);
  return { ...versions, shadow: shadow === previous.active ? null : shadow, ...bandsOf(current) };
}

/**
 * `version` made the active version: no split, and the fallback chain as it
 * was, without the new active version; the shadow stays unless it is the
 * version made active.
 */
export function withActive(current: Routing, version: string): FullRouting {
  const shadow = current.shadow ?? null;
  return {
    active: version,
    split: [],
    fallback: (current.fallback ?? []).filter((v) => v !== version),
    shadow: shadow === version ? null : shadow,
    // The tenant's thresholds are not the versions': a switch keeps them.
    ...bandsOf(current),
  };
}

/**
 * The routing as it is, with the tenant's own Hot/Cold thresholds (null:
 * none, the active model's apply). The host takes the whole routing.
 */
export function withBands(current: Routing, bands: Bands | null): FullRouting {
  const { bands: _old, ...versions } = normalizeRouting(current);
  return bands ? { ...versions, bands: { hot: bands.hot, cold: bands.cold } } : versions;
}

/** The routing as it is, with `shadow` as the shadow version (null: none). */
export function withShadow(current: Routing, shadow: string | null): FullRouting {
  return { ...normalizeRouting(current), shadow };
}

/** What a person reads as the version in charge: the active one, or the split. */
export function describePrimary(r: Routing): string {
  const split = r.split ?? [];
  if (split.length === 0) return r.active;
  return split.map((w) => w.version).join(' / ');
}

/** Problems that the host would refuse, said before sending. */
export function routingProblems(routing: Routing, installed: string[]): string[] {
  const r = normalizeRouting(routing);
  const problems: string[] = [];
  const named = [r.active, ...r.split.map((w) => w.version), ...r.fallback, ...(r.shadow ? [r.shadow] : [])];
  for (const v of new Set(named)) {
    if (!installed.includes(v)) problems.push(`${v || '(empty)'} is not an installed version.`);
  }
  if (r.split.some((w) => !Number.isInteger(w.weight) || w.weight < 0 || w.weight > 4_294_967_295)) {
    problems.push('Split weights are whole numbers, 0 or more.');
  } else if (r.split.length > 0 && r.split.reduce((s, w) => s + w.weight, 0) === 0) {
    problems.push('The split’s weights add up to 0: give at least one version some traffic.');
  }
  if (r.shadow && r.shadow === r.active && r.split.length === 0) {
    problems.push(`${r.shadow} is already the active version: a shadow scores beside it.`);
  }
  const seen = new Set<string>();
  for (const w of r.split) {
    if (seen.has(w.version)) problems.push(`${w.version} appears twice in the split.`);
    seen.add(w.version);
  }
  return problems;
}

export function loadPrevious(): RememberedRouting | null {
  try {
    const raw = window.localStorage.getItem(PREVIOUS_ROUTING_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as RememberedRouting;
    if (typeof parsed?.routing?.active !== 'string') return null;
    return { routing: normalizeRouting(parsed.routing), replacedAt: Number(parsed.replacedAt) || 0 };
  } catch {
    return null;
  }
}

export function savePrevious(routing: Routing | null): void {
  try {
    if (routing) {
      const value: RememberedRouting = { routing: normalizeRouting(routing), replacedAt: Date.now() };
      window.localStorage.setItem(PREVIOUS_ROUTING_KEY, JSON.stringify(value));
    } else {
      window.localStorage.removeItem(PREVIOUS_ROUTING_KEY);
    }
  } catch {
    // storage unavailable: rollback only lasts as long as the page
  }
}
