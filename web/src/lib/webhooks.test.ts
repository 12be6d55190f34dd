import { describe, expect, it } from 'vitest';

import type { WebhookDelivery } from './types';
import { deliveryStatus, draftRequest, lastAnswer, timeOf } from './webhooks';

const NOW = Date.parse('2026-11-30T12:00:00');

const row = (over: Partial<WebhookDelivery>): WebhookDelivery => ({
  delivery_id: 'msg_1',
  endpoint_id: 'ep_1',
  event_type: 'lead.scored',
  status: 'delivered',
  attempts: 1,
  next_attempt_at: NOW,
  last_status: 204,
  last_error: null,
  created_at: NOW - 60_000,
  delivered_at: NOW - 59_000,
  ...over,
});

describe('draftRequest', () => {
  it('sends the trimmed URL and the checked events in the host’s order', () => {
    expect(draftRequest({ url: ' https://example.com/hook ', events: ['lead.became_hot', 'lead.scored'] })).toEqual({
      request: { url: 'https://example.com/hook', events: ['lead.scored', 'lead.became_hot'] },
    });
  });

  it('asks for a URL, then for an event, before sending', () => {
    expect(draftRequest({ url: '  ', events: ['lead.scored'] })).toEqual({ problem: 'Enter the URL deliveries go to.' });
    expect(draftRequest({ url: 'https://example.com', events: [] })).toEqual({ problem: 'Pick at least one event to send.' });
  });
});

describe('deliveryStatus', () => {
  it('says each status in words', () => {
    expect(deliveryStatus(row({}), NOW)).toEqual({ tone: 'delivered', label: 'Delivered', detail: null });
    expect(deliveryStatus(row({ status: 'dead', attempts: 9 }), NOW)).toEqual({ tone: 'dead', label: 'Gave up', detail: null });
    const next = NOW + 30_000;
    expect(deliveryStatus(row({ status: 'pending', attempts: 2, next_attempt_at: next }), NOW)).toEqual({
      tone: 'retrying',
      label: 'Retrying',
      detail: `attempt 2, next at ${timeOf(next, NOW)}`,
    });
    expect(deliveryStatus(row({ status: 'pending', attempts: 0, next_attempt_at: next }), NOW).label).toBe('Queued');
    expect(deliveryStatus(row({ status: 'paused' }), NOW)).toEqual({ tone: 'other', label: 'paused', detail: null });
  });
});

describe('lastAnswer', () => {
  it('is the HTTP status when the endpoint answered, else the error, else nothing', () => {
    expect(lastAnswer(row({}))).toBe('HTTP 204');
    expect(lastAnswer(row({ last_status: 500, last_error: 'the endpoint answered 500 Internal Server Error' }))).toBe('HTTP 500');
    expect(lastAnswer(row({ last_status: null, last_error: 'operation timed out' }))).toBe('operation timed out');
    expect(lastAnswer(row({ last_status: null, last_error: null, attempts: 0 }))).toBeNull();
  });
});

describe('timeOf', () => {
  it('is the time of day today, date and time another day', () => {
    expect(timeOf(NOW + 5_000, NOW)).toMatch(/12.00.05/);
    expect(timeOf(NOW + 2 * 86_400_000, NOW)).toMatch(/2026/);
  });
});
