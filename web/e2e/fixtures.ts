import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type APIRequestContext, type Page } from '@playwright/test';

import type { Accepted, Activity, Lead, LeadDetail, LeadRow, RequestStatus, ScoreRequest, WorkQueue } from '../src/lib/types';
import { hostInfo, type HostInfo } from './host';

export const BAND_TEXT: Record<string, string> = { hot: 'Hot', warm: 'Warm', cold: 'Cold' };

export const CONTROL_PILL_TEXT = 'Not scored — control group';
export const CONTROL_DESCRIPTION = 'This lead is in the holdout group used to measure lift; its score is hidden.';

/** Tags the specs that need the learning API (control group, lift, shadow): `npm run e2e:learning`. */
export const LEARNING = { tag: '@learning' } as const;

export const test = base.extend<{ host: HostInfo }>({
  host: async ({}, use) => {
    await use(hostInfo());
  },
  baseURL: async ({}, use) => {
    await use(hostInfo().url);
  },
});

export { expect };

export async function apiJson<T>(request: APIRequestContext, path: string): Promise<T> {
  const response = await request.get(path);
  expect(response.ok(), `GET ${path} → ${response.status()}`).toBeTruthy();
  return (await response.json()) as T;
}

export async function allLeads(request: APIRequestContext): Promise<LeadRow[]> {
  return (await apiJson<WorkQueue>(request, '/leads?limit=200')).leads;
}

/** The leads reps see scores for (not in the control group), hottest first. */
export async function treatedLeads(request: APIRequestContext): Promise<LeadRow[]> {
  return (await allLeads(request)).filter((l) => l.control_group !== true);
}

/** The control group's leads, newest first. */
export async function controlLeads(request: APIRequestContext): Promise<LeadRow[]> {
  return (await allLeads(request)).filter((l) => l.control_group === true);
}

export function leadUrl(leadId: string): string {
  return `/#/leads/${encodeURIComponent(leadId)}`;
}

/** Opens a lead's page and waits until its score card shows a badge (or the control-group pill). */
export async function openLead(page: Page, leadId: string): Promise<void> {
  await page.goto(leadUrl(leadId));
  await expect(page.getByTestId('score-card').getByTestId(/^(badge|control-pill)$/)).toBeVisible();
}

/** Rescoring from the page: PENDING, then SUCCESS. */
export async function rescoreOnPage(page: Page): Promise<void> {
  await page.getByTestId('rescore').click();
  const status = page.getByTestId('rescore-status');
  await expect(status.getByText('PENDING')).toBeVisible();
  await expect(status.getByText('SUCCESS')).toBeVisible({ timeout: 15_000 });
}

/**
 * Scores a lead through the API, as the CRM would, and waits until the host
 * has stored the score (SUCCESS); a FAILED request or no answer in 15 s
 * fails the test.
 */
export async function scoreViaApi(
  request: APIRequestContext,
  leadId: string,
  context: Lead,
  overrides: ScoreRequest['overrides'] = { force_refresh: true },
): Promise<RequestStatus> {
  const body: ScoreRequest = { lead_id: leadId, context, overrides };
  const posted = await request.post('/leads/score', { data: body });
  expect(posted.ok(), `POST /leads/score for ${leadId} → ${posted.status()}: ${await posted.text()}`).toBeTruthy();
  const accepted = (await posted.json()) as Accepted;
  const statusUrl = accepted.status_url ?? `/leads/score/${accepted.request_id}/status`;
  let status: RequestStatus | null = null;
  await expect
    .poll(
      async () => {
        status = await apiJson<RequestStatus>(request, statusUrl);
        return status.status;
      },
      { message: `scoring ${leadId}`, timeout: 15_000, intervals: [100, 200, 300] },
    )
    .toMatch(/^(SUCCESS|FAILED)$/);
  expect(status!.status, `scoring ${leadId}: ${status!.error ?? ''}`).toBe('SUCCESS');
  return status!;
}

/** `n` views of /pricing in the minutes just before `asOf` (the lead's as-of time): activity a scoring counts. */
export function pricingViews(asOf: string, n = 3): Activity[] {
  const at = Date.parse(asOf);
  return Array.from({ length: n }, (_, i) => {
    const view = { kind: 'page_view', page: '/pricing', at: new Date(at - (i + 1) * 60_000).toISOString() };
    return view as Activity;
  });
}

/** The lead's stored context (`GET /leads/{id}`) with the activities `extra` makes of it appended. */
export async function contextWith(
  request: APIRequestContext,
  leadId: string,
  extra: (context: Lead) => Activity[],
): Promise<Lead> {
  const { context } = await apiJson<LeadDetail>(request, `/leads/${encodeURIComponent(leadId)}`);
  return { ...context, activities: [...(context.activities ?? []), ...extra(context)] };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/** What in the element with `testId` reaches past either side of a window `width` px wide. */
export function widerThan(page: Page, testId: string, width: number): Promise<string[]> {
  return page.getByTestId(testId).evaluate((card, max) => {
    const outside = (el: Element) => {
      const box = el.getBoundingClientRect();
      return box.width > 1 && (box.left < -0.5 || box.right > max + 0.5); // 1 px: the visually hidden
    };
    return [card, ...Array.from(card.querySelectorAll('*'))]
      .filter(outside)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`);
  }, width);
}

/** Axe's serious and critical findings in the element with `testId`, as the accessibility spec counts them. */
export async function seriousProblems(page: Page, testId: string): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .include(`[data-testid="${testId}"]`)
    .withTags(['wcag2a', 'wcag2aa', 'wcag21aa'])
    .analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}
