/**
 * The webhooks card's words: the event types an endpoint can subscribe to,
 * the registration form's draft, and a delivery's status and last answer
 * as a sentence (never a colour alone).
 */
import { formatDateTime } from './time';
import type { NewWebhookEndpoint, WebhookDelivery } from './types';

/** The host's event types (`EVENT_TYPES`), in its order, each in plain words. */
export const EVENT_TYPES = [
  { type: 'lead.scored', description: 'every new score' },
  { type: 'lead.band_changed', description: 'Hot/Warm/Cold changed' },
  { type: 'lead.became_hot', description: 'turned Hot' },
  { type: 'lead.trend_changed', description: 'Improving/Steady/Declining changed' },
] as const;

export interface WebhookDraft {
  url: string;
  events: string[];
}

export const EMPTY_DRAFT: WebhookDraft = { url: '', events: [] };

/**
 * The request for a draft, or what to fix first. Only what the form can
 * know: whether the URL is allowed (https, private addresses) is the
 * host's to say, as it depends on how it runs.
 */
export function draftRequest(draft: WebhookDraft): { request: NewWebhookEndpoint } | { problem: string } {
  const url = draft.url.trim();
  if (url === '') return { problem: 'Enter the URL deliveries go to.' };
  const [first, ...rest] = EVENT_TYPES.map((e) => e.type).filter((t) => draft.events.includes(t));
  if (first === undefined) return { problem: 'Pick at least one event to send.' };
  return { request: { url, events: [first, ...rest] } };
}

export type DeliveryTone = 'delivered' | 'retrying' | 'dead' | 'other';

export interface DeliveryStatus {
  tone: DeliveryTone;
  /** The badge's word. */
  label: string;
  /** What follows it, in brackets: the attempts and when the next is due. */
  detail: string | null;
}

/**
 * A delivery's status in words. Pending with attempts behind it is a
 * retry: "attempt n" counts the attempts made, as the Attempts column
 * does; pending with none (new, or not tried yet) is queued.
 */
export function deliveryStatus(row: WebhookDelivery, now: number): DeliveryStatus {
  switch (row.status) {
    case 'delivered':
      return { tone: 'delivered', label: 'Delivered', detail: null };
    case 'dead':
      return { tone: 'dead', label: 'Gave up', detail: null };
    case 'pending':
      return row.attempts > 0
        ? { tone: 'retrying', label: 'Retrying', detail: `attempt ${row.attempts}, next at ${timeOf(row.next_attempt_at, now)}` }
        : { tone: 'retrying', label: 'Queued', detail: `first attempt at ${timeOf(row.next_attempt_at, now)}` };
    default:
      // A status this UI does not know yet: the host's word.
      return { tone: 'other', label: row.status, detail: null };
  }
}

/** The endpoint's last HTTP status, or why there was none; null before any attempt. */
export function lastAnswer(row: WebhookDelivery): string | null {
  // A non-2xx answer's error only repeats the status ("the endpoint answered 500 …").
  if (row.last_status != null) return `HTTP ${row.last_status}`;
  return row.last_error ?? null;
}

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** The time of day when it is today (retries are seconds to an hour apart), else date and time. */
export function timeOf(ms: number, now: number): string {
  const sameDay = new Date(ms).toDateString() === new Date(now).toDateString();
  return sameDay ? clock.format(new Date(ms)) : formatDateTime(ms);
}
