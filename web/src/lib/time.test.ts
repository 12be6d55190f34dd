import { describe, expect, it } from 'vitest';

import { formatAge, parseTime } from './time';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const ago = (seconds: number) => NOW - seconds * 1000;

describe('formatAge', () => {
  it.each([
    [0, 'just now'],
    [44, 'just now'],
    [45, '1 min ago'],
    [89, '1 min ago'],
    [5 * 60, '5 min ago'],
    [59 * 60, '59 min ago'],
    [60 * 60, '1 h ago'],
    [3 * 3600 + 1200, '3 h ago'],
    [23 * 3600 + 3599, '23 h ago'],
    [24 * 3600, 'yesterday'],
    [47 * 3600, 'yesterday'],
    [48 * 3600, '2 days ago'],
    [29 * 86400, '29 days ago'],
  ])('%i s ago → %s', (seconds, text) => {
    expect(formatAge(ago(seconds), NOW)).toBe(text);
  });

  it('says the date for anything older than a month', () => {
    expect(formatAge(ago(45 * 86400), NOW)).toMatch(/^on .*2026/);
  });

  it('treats a clock slightly ahead as just now, and the far future as a date', () => {
    expect(formatAge(NOW + 30_000, NOW)).toBe('just now');
    expect(formatAge(NOW + 86_400_000, NOW)).toMatch(/^on /);
  });

  it('copes with a time it cannot read', () => {
    expect(formatAge(Number.NaN, NOW)).toBe('at an unknown time');
  });
});

describe('parseTime', () => {
  it('reads ISO 8601 and ms', () => {
    expect(parseTime('2026-09-02T15:43:33Z')).toBe(Date.UTC(2026, 8, 2, 15, 43, 33));
    expect(parseTime(1795769752535)).toBe(1795769752535);
  });

  it('returns null for anything else', () => {
    for (const v of ['yesterday', '', null, undefined, {}, Number.NaN]) expect(parseTime(v)).toBeNull();
  });
});
