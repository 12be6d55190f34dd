/**
 * Shadow versions on the model admin page: start one, read its comparison
 * with the active version, promote it (with a confirmation), roll back.
 * Needs the learning API: `npm run e2e:learning` runs these alone; on an
 * older host they skip.
 */
import type { Routing, ShadowReport } from '../src/lib/types';
import { apiJson, expect, LEARNING, test } from './fixtures';

test.describe('shadow version', LEARNING, () => {
  let start: Routing;

  test.beforeEach(async ({ request }) => {
    start = await apiJson<Routing>(request, '/models/routing');
    expect(start.active).toBe('v12');
    expect(start.shadow ?? null).toBeNull();
  });

  test.afterEach(async ({ request }) => {
    // Whatever happened, the next test starts from the routing this one found.
    const restored = await request.put('/models/routing', { data: { ...start, shadow: null } });
    expect(restored.ok()).toBeTruthy();
  });

  test('start a shadow, compare it, promote it after confirming, then roll back', async ({ page, request }) => {
    await page.goto('/#/admin');
    const card = page.getByTestId('shadow');
    await expect(card.getByTestId('no-shadow')).toBeVisible();
    await expect(page.getByTestId('routing-shadow')).toHaveText('None');

    // Start v11 as the shadow: the full routing goes out, with it.
    await card.getByTestId('shadow-choice').selectOption('v11');
    const put = page.waitForRequest((r) => r.method() === 'PUT' && new URL(r.url()).pathname === '/models/routing');
    await card.getByTestId('set-shadow').click();
    expect((await put).postDataJSON()).toEqual({ ...start, shadow: 'v11' });
    await expect(page.getByTestId('admin-notice')).toContainText('v11 now scores beside v12 as a shadow');
    await expect(page.getByTestId('routing-shadow')).toHaveText('v11');
    expect((await apiJson<Routing>(request, '/models/routing')).shadow).toBe('v11');

    // The comparison, as the host reports it.
    const report = await apiJson<ShadowReport>(request, '/reports/shadow');
    expect([report.active, report.shadow]).toEqual(['v12', 'v11']);
    const comparison = card.getByTestId('shadow-report');
    await expect(comparison).toBeVisible();
    await expect(comparison.getByTestId('shadow-metric')).toHaveCount(3);
    await expect(comparison.getByTestId('shadow-leads')).toContainText(`(${report.decided.toLocaleString('en-US')} with an outcome)`);

    // Promote: a confirmation first; Cancel sends nothing.
    let promotes = 0;
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/models/routing/promote') promotes++;
    });
    await card.getByRole('button', { name: 'Promote v11 to active' }).click();
    await card.getByTestId('promote-confirm').getByRole('button', { name: 'Cancel' }).click();
    expect(promotes).toBe(0);
    await card.getByRole('button', { name: 'Promote v11 to active' }).click();
    await card.getByRole('button', { name: 'Yes, promote v11' }).click();
    await expect(page.getByTestId('admin-notice')).toContainText('v11 is now the active version for new scores; v12 is first in the fallback chain.');
    expect(promotes).toBe(1);
    await expect(page.getByTestId('routing-active')).toHaveText('v11');
    await expect(page.getByTestId('routing-shadow')).toHaveText('None');
    await expect(card.getByTestId('no-shadow')).toBeVisible();
    const promoted = await apiJson<Routing>(request, '/models/routing');
    expect(promoted.active).toBe('v11');
    expect(promoted.fallback?.[0]).toBe('v12');
    expect(promoted.shadow ?? null).toBeNull();

    // The routing it replaced is one click away.
    await page.getByTestId('rollback').click();
    await expect(page.getByTestId('routing-active')).toHaveText('v12');
    expect(await apiJson<Routing>(request, '/models/routing')).toEqual({ ...start, shadow: null });
  });

  test('promoting when the shadow is already gone (409 no_shadow) says so inline and refreshes the routing', async ({
    page,
    request,
  }) => {
    const set = await request.put('/models/routing', { data: { ...start, shadow: 'v11' } });
    expect(set.ok()).toBeTruthy();
    await page.goto('/#/admin');
    const card = page.getByTestId('shadow');
    await expect(card.getByTestId('shadow-version')).toHaveText('v11');

    // Someone else stops the shadow meanwhile.
    expect((await request.put('/models/routing', { data: { ...start, shadow: null } })).ok()).toBeTruthy();
    const models = page.waitForRequest((r) => r.method() === 'GET' && new URL(r.url()).pathname === '/models');
    await card.getByRole('button', { name: 'Promote v11 to active' }).click();
    await card.getByRole('button', { name: 'Yes, promote v11' }).click();
    await expect(card.getByTestId('shadow-error')).toContainText('There is no shadow version to promote');
    await models;
    await expect(page.getByTestId('routing-shadow')).toHaveText('None');
    await expect(page.getByTestId('routing-active')).toHaveText('v12');
  });
});
