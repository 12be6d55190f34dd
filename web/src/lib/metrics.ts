/**
 * Reads the Prometheus / OpenMetrics text of `GET /metrics` and sums up
 * what the model admin page shows per version: calls, mean latency,
 * failures by kind, fallbacks.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
    default:
      return text.trim() === '' ? NaN : Number(text);
  }
}

/** Parses `{a="x",b="y\"z"}` starting at `start` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } | null {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const eq = line.indexOf('=', i);
    if (eq < 0) return null;
    const key = line.slice(i, eq).trim();
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key) || line[eq + 1] !== '"') return null;
    let value = '';
    let j = eq + 2;
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\' && j + 1 < line.length) {
        j++;
        value += line[j] === 'n' ? '\n' : line[j];
      } else {
        value += line[j];
      }
    }
    if (j >= line.length) return null;
    labels[key] = value;
    i = j + 1;
  }
}

/** Every sample of a Prometheus text exposition; comments and malformed lines are skipped. */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name) continue;
    let rest = name.length;
    let labels: Record<string, string> = {};
    if (line[rest] === '{') {
      const parsed = parseLabels(line, rest);
      if (!parsed) continue;
      labels = parsed.labels;
      rest = parsed.end;
    }
    const fields = line.slice(rest).trim().split(/\s+/);
    const value = parseValue(fields[0] ?? '');
    if (Number.isNaN(value) && fields[0] !== 'NaN') continue;
    samples.push({ name, labels, value });
  }
  return samples;
}

export interface VersionMetrics {
  version: string;
  calls: number;
  latencySeconds: number;
  latencyCount: number;
  /** Mean call time in milliseconds, or null before the first call. */
  meanLatencyMs: number | null;
  failures: Record<string, number>;
  failuresTotal: number;
  /** Leads that fell back from this version to another. */
  fellBackFrom: number;
  /** Leads this version answered after another failed. */
  answeredAsFallback: number;
}

export interface Fallback {
  from: string;
  to: string;
  count: number;
}

export interface ModelMetrics {
  versions: Record<string, VersionMetrics>;
  fallbacks: Fallback[];
  cache: { hit: number; miss: number };
}

/** Counters may carry the OpenMetrics `_total` suffix or not. */
const is = (sample: Sample, base: string) => sample.name === base || sample.name === `${base}_total`;

export function summarizeModelMetrics(samples: Sample[]): ModelMetrics {
  const versions: Record<string, VersionMetrics> = {};
  const of = (version: string): VersionMetrics =>
    (versions[version] ??= {
      version,
      calls: 0,
      latencySeconds: 0,
      latencyCount: 0,
      meanLatencyMs: null,
      failures: {},
      failuresTotal: 0,
      fellBackFrom: 0,
      answeredAsFallback: 0,
    });
  const fallbacks: Fallback[] = [];
  const cache = { hit: 0, miss: 0 };
  for (const s of samples) {
    if (!Number.isFinite(s.value)) continue;
    const version = s.labels.version;
    if (is(s, 'leadscore_model_calls') && version) {
      of(version).calls += s.value;
    } else if (s.name === 'leadscore_model_call_seconds_sum' && version) {
      of(version).latencySeconds += s.value;
    } else if (s.name === 'leadscore_model_call_seconds_count' && version) {
      of(version).latencyCount += s.value;
    } else if (is(s, 'leadscore_model_failures') && version) {
      const kind = s.labels.kind || 'other';
      const v = of(version);
      v.failures[kind] = (v.failures[kind] ?? 0) + s.value;
      v.failuresTotal += s.value;
    } else if (is(s, 'leadscore_fallbacks') && s.labels.from && s.labels.to) {
      fallbacks.push({ from: s.labels.from, to: s.labels.to, count: s.value });
      of(s.labels.from).fellBackFrom += s.value;
      of(s.labels.to).answeredAsFallback += s.value;
    } else if (is(s, 'leadscore_score_cache') && (s.labels.outcome === 'hit' || s.labels.outcome === 'miss')) {
      cache[s.labels.outcome] += s.value;
    }
  }
  for (const v of Object.values(versions)) {
    v.meanLatencyMs = v.latencyCount > 0 ? (v.latencySeconds / v.latencyCount) * 1000 : null;
  }
  return { versions, fallbacks, cache };
}

export function parseModelMetrics(text: string): ModelMetrics {
  return summarizeModelMetrics(parsePrometheus(text));
}
