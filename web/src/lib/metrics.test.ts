import { describe, expect, it } from 'vitest';

import { parseModelMetrics, parsePrometheus } from './metrics';

// As the host renders it (OpenMetrics text from prometheus-client).
const TEXT = `# HELP leadscore_model_calls Calls into a model version (one lead each).
# TYPE leadscore_model_calls counter
leadscore_model_calls_total{version="v12"} 12
leadscore_model_calls_total{version="v11"} 3
# HELP leadscore_model_call_seconds Time of one call, fresh instance included.
# TYPE leadscore_model_call_seconds histogram
leadscore_model_call_seconds_sum{version="v12"} 0.007779809000000001
leadscore_model_call_seconds_count{version="v12"} 12
leadscore_model_call_seconds_bucket{le="0.00005",version="v12"} 0
leadscore_model_call_seconds_bucket{le="+Inf",version="v12"} 12
leadscore_model_call_seconds_sum{version="v11"} 0.3
leadscore_model_call_seconds_count{version="v11"} 3
# HELP leadscore_model_failures Failed calls by kind: deadline, memory, trap, other.
# TYPE leadscore_model_failures counter
leadscore_model_failures_total{version="v12",kind="deadline"} 2
leadscore_model_failures_total{kind="trap",version="v12"} 1
# TYPE leadscore_fallbacks counter
leadscore_fallbacks_total{from="v12",to="v11"} 3
# TYPE leadscore_pool_instances_in_use gauge
leadscore_pool_instances_in_use 0
leadscore_score_cache_total{outcome="miss"} 12
leadscore_score_cache_total{outcome="hit"} 4
# EOF
`;

describe('parsePrometheus', () => {
  it('reads names, labels and values, skipping comments', () => {
    const samples = parsePrometheus(TEXT);
    expect(samples[0]).toEqual({ name: 'leadscore_model_calls_total', labels: { version: 'v12' }, value: 12 });
    expect(samples.find((s) => s.name === 'leadscore_pool_instances_in_use')).toEqual({
      name: 'leadscore_pool_instances_in_use',
      labels: {},
      value: 0,
    });
    expect(samples.some((s) => s.name.startsWith('#'))).toBe(false);
  });

  it('reads +Inf, NaN, timestamps and escaped label values', () => {
    const samples = parsePrometheus(
      [
        'a{le="+Inf"} +Inf',
        'b NaN',
        'c{path="/x\\"y\\\\z",msg="line\\nbreak"} 3 1700000000000',
        'd{empty=""} -1.5e-3',
      ].join('\n'),
    );
    expect(samples[0].value).toBe(Infinity);
    expect(samples[1].value).toBeNaN();
    expect(samples[2]).toEqual({ name: 'c', labels: { path: '/x"y\\z', msg: 'line\nbreak' }, value: 3 });
    expect(samples[3]).toEqual({ name: 'd', labels: { empty: '' }, value: -0.0015 });
  });

  it('skips malformed lines instead of failing', () => {
    const samples = parsePrometheus('ok 1\n{nolabel} 2\nbad{x="unterminated} 3\nnovalue\nalso_ok{a="b"} 4\n');
    expect(samples.map((s) => s.name)).toEqual(['ok', 'also_ok']);
  });

  it('accepts CRLF and blank input', () => {
    expect(parsePrometheus('')).toEqual([]);
    expect(parsePrometheus('x 1\r\ny 2\r\n').map((s) => s.value)).toEqual([1, 2]);
  });
});

describe('parseModelMetrics', () => {
  const m = parseModelMetrics(TEXT);

  it('counts calls per version', () => {
    expect(m.versions.v12.calls).toBe(12);
    expect(m.versions.v11.calls).toBe(3);
  });

  it('computes the mean latency in ms from _sum / _count', () => {
    expect(m.versions.v12.meanLatencyMs).toBeCloseTo(0.6483, 3);
    expect(m.versions.v11.meanLatencyMs).toBeCloseTo(100, 6);
  });

  it('adds failures by kind, whatever the label order', () => {
    expect(m.versions.v12.failures).toEqual({ deadline: 2, trap: 1 });
    expect(m.versions.v12.failuresTotal).toBe(3);
    expect(m.versions.v11.failuresTotal).toBe(0);
  });

  it('lists fallbacks and credits both sides', () => {
    expect(m.fallbacks).toEqual([{ from: 'v12', to: 'v11', count: 3 }]);
    expect(m.versions.v12.fellBackFrom).toBe(3);
    expect(m.versions.v11.answeredAsFallback).toBe(3);
  });

  it('reads the score cache', () => {
    expect(m.cache).toEqual({ hit: 4, miss: 12 });
  });

  it('also reads counters without the _total suffix (classic Prometheus text)', () => {
    const classic = parseModelMetrics('leadscore_model_calls{version="v9"} 5\nleadscore_model_failures{version="v9",kind="memory"} 1\n');
    expect(classic.versions.v9.calls).toBe(5);
    expect(classic.versions.v9.failures).toEqual({ memory: 1 });
  });

  it('has no mean latency before the first call', () => {
    const none = parseModelMetrics('leadscore_model_calls_total{version="v1"} 0\n');
    expect(none.versions.v1.meanLatencyMs).toBeNull();
  });
});
