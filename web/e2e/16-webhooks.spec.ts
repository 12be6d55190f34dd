/**
 * The webhooks card on the admin page, against the real host (`--dev`
 * allows http and loopback endpoints): an endpoint registered through the
 * card pointing at a receiver this spec runs, a scoring delivered to it
 * signed with the secret the card showed once, the delivery log, a replay
 * with the same webhook-id, the card at 400 px, and the endpoint deleted
 * through the card. The host is shared: the endpoint is deleted however
 * the test ends.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import type { APIRequestContext } from '@playwright/test';

import type { LeadDetail, WebhookEndpoints } from '../src/lib/types';
import { apiJson, expect, scoreViaApi, test, treatedLeads, seriousProblems, widerThan } from './fixtures';

const SHOTS = join(import.meta.dirname, '..', 'screenshots');

/** A request the receiver got, with its Standard Webhooks headers. */
interface Received {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
}

/** An HTTP receiver on 127.0.0.1 that records every request and answers 204. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
      received.push({
        id: header('webhook-id'),
        timestamp: header('webhook-timestamp'),
        signature: header('webhook-signature'),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/leadscore-events`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the host keeps its connections alive
      }),
  };
}

/** Standard Webhooks: `v1,` and base64 HMAC-SHA256 of `id.timestamp.body` under the secret's base64 key. */
function signatureVerifies(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${r.id}.${r.timestamp}.${r.body}`).digest();
  return (r.signature ?? '').split(' ').some((s) => {
    const [version, sig] = s.split(',');
    const given = Buffer.from(sig ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** Deletes the tenant's endpoints for `url` (what this spec registered), through the API. */
async function deleteEndpoints(request: APIRequestContext, url: string): Promise<void> {
  const { endpoints } = await apiJson<WebhookEndpoints>(request, '/integrations/webhooks');
  for (const e of endpoints.filter((e) => e.url === url)) {
    const r = await request.delete(`/integrations/webhooks/${e.id}`);
    expect([204, 404], `DELETE /integrations/webhooks/${e.id}`).toContain(r.status());
  }
}



test('an admin registers an endpoint, sees a scoring delivered and signed, replays it and deletes the endpoint', async ({
  page,
  request,
}) => {
  test.setTimeout(90_000);
  const receiver = await startReceiver();
  try {
    await page.goto('/#/admin');
    const card = page.getByTestId('webhooks');
    await expect(card.getByRole('heading', { name: 'Webhooks' })).toBeVisible();

    // Register: a URL the host refuses first (its words, what was typed kept), then the receiver.
    await card.getByRole('button', { name: 'Register an endpoint' }).click();
    const url = card.getByLabel('Endpoint URL');
    await url.fill('ftp://127.0.0.1/leadscore-events');
    await card.getByRole('checkbox', { name: /^lead\.scored / }).check();
    await card.getByRole('button', { name: 'Register endpoint' }).click();
    const refused = card.getByTestId('webhook-error');
    await expect(refused).toHaveText('The endpoint was refused: url: ftp: is not http(s)');
    await expect(url).toHaveValue('ftp://127.0.0.1/leadscore-events');
    await expect(card.getByRole('checkbox', { name: /^lead\.scored / })).toBeChecked();
    await url.fill(receiver.url);
    await card.getByRole('button', { name: 'Register endpoint' }).click();

    // The secret, once.
    const shown = card.getByTestId('webhook-secret');
    await expect(shown.getByTestId('webhook-secret-note')).toHaveText(
      'Shown once: store it now; your receiver verifies each delivery’s webhook-signature with it (Standard Webhooks).',
    );
    const secret = await shown.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const { endpoints } = await apiJson<WebhookEndpoints>(request, '/integrations/webhooks');
    const endpoint = endpoints.find((e) => e.url === receiver.url);
    expect(endpoint?.events).toEqual(['lead.scored']);
    expect(endpoint?.secret ?? null).toBeNull();
    const item = card.locator(`[data-testid="webhook"][data-endpoint="${endpoint?.id}"]`);
    await expect(item.getByTestId('webhook-url')).toHaveText(receiver.url);
    await expect(item.getByTestId('webhook-registered')).toHaveText('Registered just now');

    // A scoring, as the CRM asks for one: the receiver gets a signed lead.scored.
    const [lead] = await treatedLeads(request);
    const { context } = await apiJson<LeadDetail>(request, `/leads/${encodeURIComponent(lead.lead_id)}`);
    await scoreViaApi(request, lead.lead_id, context);
    const scoredFor = (r: Received) => {
      const body = JSON.parse(r.body) as { type?: string; data?: { lead_id?: string } };
      return body.type === 'lead.scored' && body.data?.lead_id === lead.lead_id;
    };
    await expect.poll(() => receiver.received.filter(scoredFor).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    const first = receiver.received.find(scoredFor) as Received;
    for (const r of receiver.received) {
      expect(r.id, 'webhook-id').toMatch(/\S/);
      expect(r.timestamp, 'webhook-timestamp').toMatch(/^\d+$/);
      expect(r.signature, 'webhook-signature').toMatch(/^v1,/);
      expect(signatureVerifies(secret, r), `the signature of ${r.id} verifies with the secret the card showed`).toBe(true);
    }

    // The delivery log: Delivered, one attempt, the receiver's 204.
    await item.getByRole('button', { name: /^Deliveries/ }).click();
    const log = item.getByTestId('delivery-log');
    const row = log.locator(`[data-testid="delivery"][data-delivery="${first.id}"]`);
    await expect(async () => {
      await log.getByRole('button', { name: 'Refresh' }).click();
      await expect(row.getByTestId('delivery-status')).toHaveText('Delivered', { timeout: 1_000 });
    }).toPass({ timeout: 15_000 });
    await expect(row.locator('th')).toHaveText('lead.scored');
    await expect(row.getByTestId('delivery-attempts')).toHaveText('1');
    await expect(row.getByTestId('delivery-answer')).toHaveText('HTTP 204');
    expect(await seriousProblems(page, 'webhooks')).toEqual([]);
    mkdirSync(SHOTS, { recursive: true });
    await card.screenshot({ path: join(SHOTS, 'admin-webhooks-laptop.png') });

    // Replay: the same webhook-id again, and a second attempt in the log.
    await row.getByRole('button', { name: /^Replay/ }).click();
    await expect.poll(() => receiver.received.filter((r) => r.id === first.id).length, { timeout: 20_000 }).toBe(2);
    const again = receiver.received.filter((r) => r.id === first.id)[1];
    expect(again.body).toBe(first.body);
    expect(signatureVerifies(secret, again)).toBe(true);
    await expect(async () => {
      await log.getByRole('button', { name: 'Refresh' }).click();
      await expect(row.getByTestId('delivery-attempts')).toHaveText('2', { timeout: 1_000 });
    }).toPass({ timeout: 15_000 });
    await expect(row.getByTestId('delivery-status')).toHaveText('Delivered');

    // Narrow, the secret and the log open: nothing in the card wider than the screen. (The page as a
    // whole is measured after the reload below: a chart of the model quality card keeps the width it
    // was drawn at when the window narrows.)
    await page.setViewportSize({ width: 400, height: 800 });
    await expect(shown).toBeVisible();
    await expect(row).toBeVisible();
    expect(await widerThan(page, 'webhooks', 400)).toEqual([]);
    expect(await seriousProblems(page, 'webhooks')).toEqual([]);
    await card.screenshot({ path: join(SHOTS, 'admin-webhooks-narrow.png') });

    // After a reload the secret is gone for good; the endpoint stays.
    await page.reload();
    await expect(item.getByTestId('webhook-url')).toHaveText(receiver.url);
    await expect(card.getByTestId('webhook-secret')).toHaveCount(0);
    expect(await page.content()).not.toContain(secret);
    await item.getByRole('button', { name: /^Deliveries/ }).click();
    await expect(row.getByTestId('delivery-status')).toHaveText('Delivered');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(400);

    // Delete, after a confirmation.
    await item.getByRole('button', { name: /^Delete/ }).click();
    const confirm = item.getByTestId('webhook-delete-confirm');
    await expect(confirm).toContainText(`Delete the endpoint for ${receiver.url}?`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(400);
    await confirm.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(item).toHaveCount(0);
    await expect(card.getByTestId('webhooks-notice')).toContainText(`Deleted the endpoint for ${receiver.url}.`);
    const after = await apiJson<WebhookEndpoints>(request, '/integrations/webhooks');
    expect(after.endpoints.map((e) => e.url)).not.toContain(receiver.url);
  } finally {
    await deleteEndpoints(request, receiver.url);
    await receiver.close();
  }
});
