import { execFileSync } from 'node:child_process';

import type { ScoreRow } from '../src/lib/types';
import { allLeads, apiJson, BAND_TEXT, expect, leadUrl, openLead, rescoreOnPage, test, treatedLeads } from './fixtures';

test('a corrupted stored explanation shows the badge and "Explanation unavailable"', async ({ page, request, host }) => {
  const leads = await treatedLeads(request);
  const lead = leads[leads.length - 1];
  const sql = `UPDATE lead_scores SET explanation_json = '{not json' WHERE lead_id = '${lead.lead_id}'`;
  execFileSync('sqlite3', [host.db, sql]);
  const corrupted = await apiJson<ScoreRow>(request, `/leads/${lead.lead_id}/score`);
  expect(typeof corrupted.explanation).toBe('string');

  await openLead(page, lead.lead_id);
  const card = page.getByTestId('score-card');
  await expect(card.getByTestId('badge')).toHaveText(BAND_TEXT[corrupted.band]);
  await expect(card.getByTestId('score')).toContainText(String(corrupted.score));
  await expect(card.getByTestId('explanation-unavailable-inline')).toContainText('Explanation unavailable');
  await page.getByTestId('why-button').click();
  const popover = page.getByTestId('reasons-popover');
  await expect(popover.getByTestId('explanation-unavailable')).toContainText('Explanation unavailable');
  await expect(popover.getByTestId('reasons')).toHaveCount(0);
  await expect(popover.getByTestId('contribution-chart')).toHaveCount(0);

  // Rescoring brings the reasons back.
  await page.keyboard.press('Escape');
  await rescoreOnPage(page);
  await expect(card.getByTestId('explanation-unavailable-inline')).toHaveCount(0);
  await page.getByTestId('why-button').click();
  await expect(popover.getByTestId('reasons')).toBeVisible();
});

const MALFORMED: [string, unknown][] = [
  ['a string', 'garbage'],
  ['null', null],
  ['explanation_unavailable', { explanation_unavailable: 'deadline', contributions: null, reasons: null }],
  ['arrays missing', { final_score: 50, band: 'warm' }],
  ['not arrays', { contributions: { a: 1 }, reasons: 'up' }],
  ['non-numeric shap', { contributions: [{ feature: 'a', value: 1, shap: 'x' }], reasons: [{ feature: 'a', text: 'A', direction: 'up', shap: null }] }],
  ['empty', { contributions: [], reasons: [] }],
];

for (const [name, explanation] of MALFORMED) {
  test(`a malformed explanation (${name}) still shows the badge and the stub`, async ({ page, request }) => {
    const [lead] = await treatedLeads(request);
    await page.route(
      (url) => url.pathname === `/leads/${lead.lead_id}`,
      async (route) => {
        const response = await route.fetch();
        const body = await response.json();
        body.score.explanation = explanation;
        await route.fulfill({ response, json: body });
      },
    );
    await openLead(page, lead.lead_id);
    const card = page.getByTestId('score-card');
    await expect(card.getByTestId('badge')).toHaveText(BAND_TEXT[lead.band ?? '']);
    await expect(card.getByTestId('explanation-unavailable-inline')).toBeVisible();
    await page.getByTestId('why-button').click();
    await expect(page.getByTestId('reasons-popover').getByTestId('explanation-unavailable')).toBeVisible();
  });
}

test('an API error shows a message and a retry that works', async ({ page, request }) => {
  const leads = await allLeads(request);
  let fail = true;
  await page.route(
    (url) => url.pathname === '/leads',
    async (route) => {
      if (fail) await route.fulfill({ status: 503, json: { error: { code: 'unavailable', message: 'The database stayed unavailable' } } });
      else await route.fallback();
    },
  );
  await page.goto('/#/');
  const error = page.getByTestId('error');
  await expect(error).toContainText('The database stayed unavailable');
  await expect(page.getByTestId('sign-in-hint')).toHaveCount(0);
  fail = false;
  await error.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByTestId('queue-row')).toHaveCount(leads.length);
});

test('401 and 403 show a sign-in hint', async ({ page, request }) => {
  const [lead] = await treatedLeads(request);
  await page.route(
    (url) => url.pathname === `/leads/${lead.lead_id}`,
    (route) => route.fulfill({ status: 401, json: { error: { code: 'unauthorized', message: 'missing or invalid bearer token' } } }),
  );
  await page.goto(leadUrl(lead.lead_id));
  await expect(page.getByTestId('error')).toContainText('missing or invalid bearer token');
  await expect(page.getByTestId('sign-in-hint')).toBeVisible();

  await page.route(
    (url) => url.pathname === '/models',
    (route) => route.fulfill({ status: 403, json: { error: { code: 'forbidden', message: 'the token lacks the scope crm.admin.models' } } }),
  );
  await page.goto('/#/admin');
  await expect(page.getByTestId('sign-in-hint')).toContainText('crm.admin.models');
  await page.getByRole('main').getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('dialog', { name: 'Sign in' })).toBeVisible();
});

test('a stored token goes out as a bearer token; a bad one gets the sign-in hint', async ({ page }) => {
  await page.goto('/#/');
  await expect(page.getByTestId('queue-row').first()).toBeVisible();
  await page.getByRole('button', { name: 'Sign in' }).click();
  const dialog = page.getByRole('dialog', { name: 'Sign in' });
  await dialog.getByLabel('API token').fill('not-a-valid-token');
  const sent = page.waitForRequest((r) => new URL(r.url()).pathname === '/leads');
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  expect((await sent).headers().authorization).toBe('Bearer not-a-valid-token');
  expect(await page.evaluate(() => localStorage.getItem('leadscore.token'))).toBe('not-a-valid-token');
  await expect(page.getByTestId('sign-in-hint')).toBeVisible();

  // Signing out: calls go out without the header again (the dev host's demo tenant).
  await page.getByRole('banner').getByRole('button', { name: /Signed in|Sign in/ }).click();
  const again = page.waitForRequest((r) => new URL(r.url()).pathname === '/leads');
  await page.getByRole('button', { name: 'Sign out' }).click();
  expect((await again).headers().authorization).toBeUndefined();
  await expect(page.getByTestId('queue-row').first()).toBeVisible();
});
