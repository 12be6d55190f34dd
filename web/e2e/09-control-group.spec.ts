/**
 * Leads in the control group (holdout): reps see no score for them, on the
 * queue or the lead page, and rescoring one ends on the pill again. The
 * global setup adds leads that fall in the group. Needs the learning API:
 * `npm run e2e:learning` runs these alone.
 */
import type { ErrorBody, LeadRow } from '../src/lib/types';
import {
  allLeads,
  CONTROL_DESCRIPTION,
  CONTROL_PILL_TEXT,
  controlLeads,
  expect,
  LEARNING,
  leadUrl,
  test,
} from './fixtures';

test.describe('control group', LEARNING, () => {
  let control: LeadRow[] = [];

  test.beforeEach(async ({ request, host }) => {
    control = await controlLeads(request);
    expect(
      control.length,
      `no lead in the control group: the global setup adds ${host.holdout.join(', ')} for it; has the holdout hash changed?`,
    ).toBeGreaterThan(0);
  });

  test('the API hides their score: no score or band, and GET /score answers 404 control_group', async ({ request }) => {
    for (const lead of control) {
      expect(lead.score).toBeNull();
      expect(lead.band).toBeNull();
      const response = await request.get(`/leads/${encodeURIComponent(lead.lead_id)}/score`);
      expect(response.status()).toBe(404);
      expect(((await response.json()) as ErrorBody).error.code).toBe('control_group');
    }
  });

  test('the queue shows the grey pill, described, with no score; after every scored lead', async ({ page, request }) => {
    const leads = await allLeads(request);
    await page.goto('/#/');
    await expect(page.getByTestId('queue-row')).toHaveCount(leads.length);
    const ids = await page.getByTestId('queue-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-lead-id')));
    expect(ids.slice(-control.length).sort()).toEqual(control.map((l) => l.lead_id).sort());

    for (const lead of control) {
      const row = page.locator(`[data-testid="queue-row"][data-lead-id="${lead.lead_id}"]`);
      const pill = row.getByTestId('control-pill');
      await expect(pill).toHaveText(CONTROL_PILL_TEXT);
      await expect(pill).toHaveAttribute('title', CONTROL_DESCRIPTION);
      await expect(row.getByTestId('badge')).toHaveCount(0);
      await expect(row.getByTestId('queue-score')).toHaveCount(0);
      await expect(row).toHaveAccessibleDescription(CONTROL_DESCRIPTION);
    }

    // A band filter never lists them.
    await page.getByTestId('filter-hot').click();
    await expect(page.getByTestId('queue-row').getByTestId('control-pill')).toHaveCount(0);
  });

  test('the lead page shows the pill and why, no reasons; rescoring ends on the pill again', async ({ page }) => {
    const [lead] = control;
    await page.goto(leadUrl(lead.lead_id));
    const card = page.getByTestId('score-card');
    const pill = card.getByTestId('control-pill');
    await expect(pill).toHaveText(CONTROL_PILL_TEXT);
    await expect(pill).toHaveAccessibleDescription(CONTROL_DESCRIPTION);
    await expect(card.getByTestId('control-description')).toHaveText(CONTROL_DESCRIPTION);
    await expect(card.getByTestId('badge')).toHaveCount(0);
    await expect(card.getByTestId('score')).toHaveCount(0);
    await expect(page.getByTestId('why-button')).toHaveCount(0);
    await expect(page.getByTestId('reasons-popover')).toHaveCount(0);

    await card.getByTestId('rescore').click();
    const status = page.getByTestId('rescore-status');
    await expect(status.getByText('SUCCESS')).toBeVisible({ timeout: 15_000 });
    await expect(status).toHaveAttribute('data-phase', 'control');
    await expect(status).toContainText('control group');
    await expect(pill).toHaveText(CONTROL_PILL_TEXT);
    await expect(card.getByTestId('badge')).toHaveCount(0);
    await expect(page.getByTestId('error')).toHaveCount(0);
  });
});
