/**
 * The lift page against the host's real report (the global setup reported an
 * outcome and a first touch for every lead). Needs the learning API:
 * `npm run e2e:learning` runs these alone.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import AxeBuilder from '@axe-core/playwright';

import type { LearningSettings, LiftReport } from '../src/lib/types';
import { apiJson, expect, LEARNING, test } from './fixtures';

const SHOTS = join(import.meta.dirname, '..', 'screenshots');

test.describe('lift page', LEARNING, () => {

  test('shows the host’s report: headline lift, groups, guardrail, bands, ranking, first touch, drift', async ({
    page,
    request,
    host,
  }) => {
    const report = await apiJson<LiftReport>(request, '/reports/lift?weeks=12');
    // The setup reported an outcome for every lead, in both groups.
    const { treated, control } = report.overall;
    expect(treated.decided + control.decided).toBe(host.leads);
    expect(treated.won).toBeGreaterThan(0);

    await page.goto('/#/lift');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Lift');
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Lift' })).toHaveAttribute(
      'aria-current',
      'page',
    );

    const headline = page.getByTestId('lift-headline');
    const lift = report.overall.lift ?? null;
    if (lift === null) {
      await expect(headline).toHaveText(/^Not enough data to measure lift yet: /);
    } else {
      const pct = Math.round(Math.abs(lift) * 100);
      await expect(headline).toContainText(lift > 0 ? 'more often' : 'less often');
      if (pct >= 10) await expect(headline).toContainText(`${pct} %`);
      if (report.overall.lift_ci) await expect(headline).toContainText('(95 % CI ');
    }
    await expect(page.getByTestId('arm-treated')).toContainText(`${treated.won} won of ${treated.decided} with an outcome`);
    await expect(page.getByTestId('arm-control')).toContainText(`${control.won} won of ${control.decided} with an outcome`);

    const guardrail = page.getByTestId('guardrail');
    await expect(guardrail).toHaveAttribute('data-status', report.guardrail.status);
    await expect(guardrail.getByTestId('guardrail-message')).toHaveText(report.guardrail.message);

    if (report.weeks.length > 0) {
      await expect(page.getByTestId('weekly-chart').locator('svg').first()).toBeVisible();
      await page.getByText('The numbers, week by week').click();
      await expect(page.getByTestId('weekly-table').locator('tbody tr')).toHaveCount(report.weeks.length);
    }

    const bands = page.getByTestId('band-row');
    await expect(bands).toHaveCount(report.bands.length);
    for (const band of report.bands) {
      await expect(page.locator(`[data-testid="band-row"][data-band="${band.band}"]`)).toContainText(`${band.won} / ${band.decided}`);
    }

    if (report.auc) await expect(page.getByTestId('auc')).toContainText(report.auc.value.toFixed(2));
    else await expect(page.getByTestId('auc')).toHaveText('not enough outcomes yet');
    if (report.calibration) {
      await expect(page.getByTestId('brier')).toHaveText(report.calibration.brier.toFixed(3));
      await expect(page.getByTestId('calibration-chart').locator('svg').first()).toBeVisible();
    }

    await expect(page.getByTestId('touch-touched-treated')).toHaveText(String(report.first_touch.treated.touched));
    await expect(page.getByTestId('touch-touched-control')).toHaveText(String(report.first_touch.control.touched));
    expect(report.first_touch.treated.touched + report.first_touch.control.touched).toBe(host.leads);

    if (report.drift) {
      const rows = page.getByTestId('drift-row');
      await expect(rows).toHaveCount(report.drift.features.length + 1);
      // The score first, then the features by PSI, largest first.
      await expect(rows.first()).toHaveAttribute('data-feature', '');
      const psis = (await rows.getByTestId('drift-psi').allTextContents()).slice(1).map((t) => (t === '—' ? -1 : Number(t)));
      expect(psis).toEqual([...psis].sort((a, b) => b - a));
    } else {
      await expect(page.getByTestId('lift-drift')).toContainText('No drift report yet');
    }

    await page.getByTestId('lift-weeks').selectOption('26');
    await expect(page).toHaveURL(/#\/lift\?weeks=26$/);
    await expect(page.getByTestId('lift-headline')).toBeVisible();
  });

  test('an admin edits the settings: out-of-range values are refused before sending, the host’s 400 is shown', async ({
    page,
    request,
  }) => {
    const before = await apiJson<LearningSettings>(request, '/learning/settings');
    await page.goto('/#/lift');
    const card = page.getByTestId('learning-settings');
    await expect(card.getByTestId('setting-holdout_share')).toHaveText(`${Math.round(before.holdout_share * 100)} %`);

    await card.getByTestId('edit-learning-settings').click();
    const puts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PUT' && new URL(r.url()).pathname === '/learning/settings') puts.push(r.postData() ?? '');
    });
    await card.getByLabel('Control group share (%)').fill('60');
    await card.getByTestId('save-learning-settings').click();
    await expect(card.getByTestId('problem-holdout_share')).toHaveText('Enter a value from 0 % to 50 %.');
    expect(puts).toHaveLength(0);

    // The host's own refusal, word for word.
    // unroute only removes a route given the very same matcher.
    const settingsUrl = (url: URL) => url.pathname === '/learning/settings';
    await page.route(
      settingsUrl,
      (route) =>
        route.request().method() === 'PUT'
          ? route.fulfill({ status: 400, json: { error: { code: 'invalid_settings', message: 'holdout_share 0.3: refused for this test' } } })
          : route.fallback(),
    );
    await card.getByLabel('Control group share (%)').fill('30');
    await card.getByTestId('save-learning-settings').click();
    await expect(card.getByTestId('learning-settings-error')).toHaveText(
      'The settings were refused: holdout_share 0.3: refused for this test',
    );
    await page.unroute(settingsUrl);

    try {
      await card.getByLabel('Control group share (%)').fill('15');
      await card.getByTestId('save-learning-settings').click();
      await expect(card.getByTestId('learning-settings-notice')).toContainText('Settings saved');
      await expect(card.getByTestId('setting-holdout_share')).toHaveText('15 %');
      expect(await apiJson<LearningSettings>(request, '/learning/settings')).toEqual({ ...before, holdout_share: 0.15 });
    } finally {
      const restored = await request.put('/learning/settings', { data: before });
      expect(restored.ok()).toBeTruthy();
    }
  });

  test('without the admin scope the settings are simply not there', async ({ page }) => {
    await page.route(
      (url) => url.pathname === '/learning/settings',
      (route) => route.fulfill({ status: 403, json: { error: { code: 'forbidden', message: 'the token lacks the scope crm.admin.models' } } }),
    );
    await page.goto('/#/lift');
    await expect(page.getByTestId('lift-headline')).toBeVisible();
    await expect(page.getByTestId('learning-settings')).toHaveCount(0);
    await expect(page.getByTestId('error')).toHaveCount(0);
  });

  for (const width of [1280, 400]) {
    test(`no serious accessibility problems, and a screenshot, at ${width} px`, async ({ page }) => {
      await page.setViewportSize({ width, height: 800 });
      await page.goto('/#/lift');
      await expect(page.getByTestId('lift-headline')).toBeVisible();
      await expect(page.getByTestId('learning-settings')).toBeVisible();
      // Nothing wider than the screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
      const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, `lift-${width === 400 ? 'narrow' : 'laptop'}.png`), fullPage: true });
    });
  }
});
