import { test as base, expect, type APIRequestContext, type Page } from '@playwright/test';

import type { LeadRow, WorkQueue } from '../src/lib/types';
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

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}
