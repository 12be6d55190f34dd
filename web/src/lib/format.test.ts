import { describe, expect, it } from 'vitest';

import { activityAttributes, activityLabel, completenessPercent, fieldLabel, formatFieldValue, newestFirst } from './format';
import { matchRoute, parseHash } from './router';
import {
  normalizeRouting,
  rollbackTo,
  routingProblems,
  sameRouting,
  sameServing,
  withActive,
  withBands,
  withShadow,
} from './routing';
import type { Activity } from './types';

/** Activities a CRM sent that the document does not allow: read defensively (the cast is the point). */
const offContract = (json: unknown) => json as Activity[];

describe('completenessPercent ("Data completeness: N % of the signals this model uses")', () => {
  it.each([
    [0.9568, 96],
    [0.92, 92],
    [1, 100],
    [0, 0],
    [0.005, 1],
    [1.2, 100],
  ])('%d → %d', (completeness, percent) => {
    expect(completenessPercent(completeness)).toBe(percent);
  });

  it('is null when unknown', () => {
    expect(completenessPercent(null)).toBeNull();
    expect(completenessPercent(Number.NaN)).toBeNull();
  });
});

describe('lead fields and activity', () => {
  it('labels and formats fields', () => {
    expect(fieldLabel('annual_revenue_musd')).toBe('Annual revenue (M USD)');
    expect(fieldLabel('deal_stage')).toBe('Deal stage');
    expect(formatFieldValue('uses_competitor', false)).toBe('No');
    expect(formatFieldValue('region', 'latam')).toBe('LATAM');
    expect(formatFieldValue('lead_source', 'paid_search')).toBe('Paid search');
    expect(formatFieldValue('company', 'Stark Health')).toBe('Stark Health');
    expect(formatFieldValue('employees', null)).toBe('—');
  });

  it('sorts activity newest first, unreadable times last', () => {
    const sorted = newestFirst(offContract([
      { at: '2026-05-07T06:39:17Z', kind: 'email_send' },
      { at: 'garbage', kind: 'call' },
      { at: '2026-09-01T10:00:00Z', kind: 'page_view', page: '/pricing' },
      { kind: 42 },
      null,
    ]));
    expect(sorted.map((a) => a.kind)).toEqual(['page_view', 'email_send', 'call']);
    expect(newestFirst(offContract('nope'))).toEqual([]);
    expect(newestFirst(null)).toEqual([]);
  });

  it('names activity kinds and lists their attributes', () => {
    expect(activityLabel('email_click')).toBe('Email link clicked');
    expect(activityLabel('trial_started')).toBe('Trial started');
    // Attributes beyond `at` and `kind` (the document does not list them).
    const webinar = { at: 'x', kind: 'webinar', minutes: 8, page: '/x' };
    expect(activityAttributes(webinar)).toEqual([
      ['Minutes', '8'],
      ['Page', '/x'],
    ]);
  });
});

describe('hash routes', () => {
  it('routes the three pages', () => {
    expect(matchRoute(parseHash('').path)).toEqual({ page: 'queue' });
    expect(matchRoute(parseHash('#/').path)).toEqual({ page: 'queue' });
    expect(matchRoute(parseHash('#/admin').path)).toEqual({ page: 'admin' });
    expect(matchRoute(parseHash('#/lift?weeks=26').path)).toEqual({ page: 'lift' });
    expect(matchRoute(parseHash('#/leads/lead-047075').path)).toEqual({ page: 'lead', leadId: 'lead-047075' });
    expect(matchRoute(parseHash('#/leads/a%2Fb').path)).toEqual({ page: 'lead', leadId: 'a/b' });
    expect(matchRoute('/nowhere')).toEqual({ page: 'not-found', path: '/nowhere' });
  });

  it('keeps the queue’s filters in the hash', () => {
    const { path, query } = parseHash('#/?band=hot&q=stark&page=2');
    expect(path).toBe('/');
    expect([query.get('band'), query.get('q'), query.get('page')]).toEqual(['hot', 'stark', '2']);
  });
});

describe('routing edits', () => {
  const current = { active: 'v12', split: [], fallback: ['v11', 'rules-v1'] };
  const installed = ['v12', 'v11', 'rules-v1'];

  it('makes a version active, keeping the rest of the chain', () => {
    expect(withActive(current, 'v11')).toEqual({ active: 'v11', split: [], fallback: ['rules-v1'], shadow: null });
    expect(withActive({ ...current, split: [{ version: 'v11', weight: 1 }] }, 'v12').split).toEqual([]);
  });

  it('keeps the shadow when another version is made active, and clears it when the shadow is', () => {
    expect(withActive({ ...current, shadow: 'v13' }, 'v11').shadow).toBe('v13');
    expect(withActive({ ...current, shadow: 'v11' }, 'v11').shadow).toBeNull();
  });

  it('sends the whole routing with its shadow, set or cleared', () => {
    expect(normalizeRouting(current)).toEqual({ ...current, shadow: null });
    expect(withShadow(current, 'v13')).toEqual({ active: 'v12', split: [], fallback: ['v11', 'rules-v1'], shadow: 'v13' });
    expect(withShadow({ ...current, shadow: 'v13' }, null).shadow).toBeNull();
  });

  it('tells a change of the shadow alone from a change of what serves reps', () => {
    expect(sameServing(current, { ...current, shadow: 'v13' })).toBe(true);
    expect(sameRouting(current, { ...current, shadow: 'v13' })).toBe(false);
    expect(sameServing(current, withActive(current, 'v11'))).toBe(false);
  });

  it('sets or clears the tenant’s thresholds, keeping the versions; a change of thresholds is no change of what serves', () => {
    const banded = withBands({ ...current, shadow: 'v13' }, { hot: 70, cold: 30 });
    expect(banded).toEqual({ ...current, shadow: 'v13', bands: { hot: 70, cold: 30 } });
    expect(withBands(banded, null)).toEqual({ ...current, shadow: 'v13' });
    expect('bands' in withBands(banded, null)).toBe(false);
    expect(sameServing(current, banded)).toBe(true);
    expect(sameRouting(current, banded)).toBe(false);
    // Switching versions keeps them.
    expect(withActive(banded, 'v11').bands).toEqual({ hot: 70, cold: 30 });
  });

  it('rolls back what serves reps, keeping the current shadow unless it is the version restored', () => {
    const promoted = { active: 'v13', split: [], fallback: ['v12', 'v11'], shadow: 'v14' };
    expect(rollbackTo(current, promoted)).toEqual({ ...current, shadow: 'v14' });
    expect(rollbackTo(current, { ...promoted, shadow: 'v12' }).shadow).toBeNull();
  });

  it('finds what the host would refuse', () => {
    expect(routingProblems(current, installed)).toEqual([]);
    expect(routingProblems({ ...current, active: 'v99' }, installed)).toEqual(['v99 is not an installed version.']);
    expect(
      routingProblems({ ...current, split: [{ version: 'v12', weight: 0 }, { version: 'v11', weight: 0 }] }, installed),
    ).toEqual(['The split’s weights add up to 0: give at least one version some traffic.']);
    expect(routingProblems({ ...current, split: [{ version: 'v12', weight: 1.5 }] }, installed)).toEqual([
      'Split weights are whole numbers, 0 or more.',
    ]);
    expect(
      routingProblems({ ...current, split: [{ version: 'v12', weight: 1 }, { version: 'v12', weight: 2 }] }, installed),
    ).toEqual(['v12 appears twice in the split.']);
    expect(routingProblems({ ...current, shadow: 'v99' }, installed)).toEqual(['v99 is not an installed version.']);
    expect(routingProblems({ ...current, shadow: 'v12' }, installed)).toEqual([
      'v12 is already the active version: a shadow scores beside it.',
    ]);
  });

  it('compares routings by content', () => {
    expect(sameRouting(current, { fallback: ['v11', 'rules-v1'], split: [], active: 'v12' })).toBe(true);
    expect(sameRouting(current, { ...current, fallback: ['rules-v1', 'v11'] })).toBe(false);
  });
});
