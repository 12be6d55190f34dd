import { test as base, expect, type APIRequestContext, type Page } from '@playwright/test';

import { hostInfo, type HostInfo } from './host';

export interface ApiLead {
  lead_id: string;
  name: string | null;
  company: string | null;
  score: number | null;
  band: string | null;
  scored_at: number | null;
}

export interface ApiScore {
  request_id: string;
  lead_id: string;
  score: number;
  band: string;
  confidence: number;
  model_version: string;
  explanation: unknown;
}

export const BAND_TEXT: Record<string, string> = { hot: 'Hot', warm: 'Warm', cold: 'Cold' };

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

export async function allLeads(request: APIRequestContext): Promise<ApiLead[]> {
  return (await apiJson<{ leads: ApiLead[] }>(request, '/leads?limit=200')).leads;
}

export function leadUrl(leadId: string): string {
  return `/#/leads/${encodeURIComponent(leadId)}`;
}

/** Opens a lead's page and waits until its score card shows a badge. */
export async function openLead(page: Page, leadId: string): Promise<void> {
  await page.goto(leadUrl(leadId));
  await expect(page.getByTestId('score-card').getByTestId('badge')).toBeVisible();
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
