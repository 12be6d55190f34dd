// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { WebhookDelivery, WebhookEndpoint, WebhookEndpoints } from '../lib/types';
import { timeOf } from '../lib/webhooks';
import { AdminPage } from '../pages/AdminPage';
import { apiError, mockFetch, type FetchCall } from '../test/fetchMock';
import { ONE_MODEL } from '../test/models';
import { WebhooksCard } from './WebhooksCard';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const HOUR = 3_600_000;
const CRM: WebhookEndpoint = {
  id: 'ep_0123456789abcdef0123456789abcdef',
  url: 'https://crm.example.com/hooks/leadscore',
  events: ['lead.scored', 'lead.became_hot'],
  created_at: Date.now() - 3 * HOUR,
};
const SLACK: WebhookEndpoint = {
  id: 'ep_fedcba9876543210fedcba9876543210',
  url: 'https://hooks.example.org/hot-leads',
  events: ['lead.became_hot'],
  created_at: Date.now() - 50 * HOUR,
};
const LIST: WebhookEndpoints = { endpoints: [CRM, SLACK] };
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const DELIVERIES = `/integrations/webhooks/${CRM.id}/deliveries?limit=100`;

const delivery = (over: Partial<WebhookDelivery>): WebhookDelivery => ({
  delivery_id: 'msg_1',
  endpoint_id: CRM.id,
  event_type: 'lead.scored',
  status: 'delivered',
  attempts: 1,
  next_attempt_at: Date.now() - 60_000,
  last_status: 204,
  last_error: null,
  created_at: Date.now() - 60_000,
  delivered_at: Date.now() - 59_000,
  ...over,
});

const item = (endpoint: WebhookEndpoint) =>
  document.querySelector(`[data-testid="webhook"][data-endpoint="${endpoint.id}"]`) as HTMLElement;
/** The endpoint's item once it is listed. */
const listed = (endpoint: WebhookEndpoint) =>
  waitFor(() => {
    const el = item(endpoint);
    if (!el) throw new Error(`${endpoint.id} is not listed`);
    return el;
  });
const sent = (calls: FetchCall[], method: string) => calls.filter((c) => c.method === method);
const button = (name: string | RegExp) => screen.getByRole('button', { name }) as HTMLButtonElement;

/** Opens the form and fills it in. */
async function fillForm(url: string, events: string[]) {
  fireEvent.click(await screen.findByRole('button', { name: 'Register an endpoint' }));
  fireEvent.change(screen.getByLabelText('Endpoint URL'), { target: { value: url } });
  for (const e of events) fireEvent.click(screen.getByRole('checkbox', { name: new RegExp(`^${e.replace('.', '\\.')} `) }));
}

describe('WebhooksCard', () => {
  it('lists the endpoints: URL, events, when registered', async () => {
    mockFetch({ 'GET /integrations/webhooks': { body: LIST } });
    render(<WebhooksCard />);
    const crm = await listed(CRM);
    expect(within(crm).getByTestId('webhook-url').textContent).toBe(CRM.url);
    expect(within(crm).getAllByTestId('webhook-event').map((e) => e.textContent)).toEqual(['lead.scored', 'lead.became_hot']);
    expect(within(crm).getByTestId('webhook-registered').textContent).toBe('Registered 3 h ago');
    expect(within(item(SLACK)).getByTestId('webhook-registered').textContent).toBe('Registered 2 days ago');
    expect(screen.getByRole('heading', { name: /Endpoints/ }).textContent).toBe('Endpoints 2');
    expect(screen.queryByTestId('webhook-secret')).toBeNull();
  });

  it('says when there is no endpoint', async () => {
    mockFetch({ 'GET /integrations/webhooks': { body: { endpoints: [] } } });
    render(<WebhooksCard />);
    expect((await screen.findByTestId('webhooks-empty')).textContent).toBe('No endpoint yet: no lead events are sent.');
  });

  it('registers an endpoint and shows its secret once: gone after a reload', async () => {
    const calls = mockFetch({
      'GET /integrations/webhooks': { body: LIST },
      'POST /integrations/webhooks': (init) => {
        const body = JSON.parse(String(init?.body)) as { url: string; events: string[] };
        return { status: 201, body: { id: 'ep_new', created_at: Date.now(), secret: SECRET, ...body } };
      },
    });
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    const first = render(<WebhooksCard />);
    // Every event has its words.
    fireEvent.click(await screen.findByRole('button', { name: 'Register an endpoint' }));
    expect(screen.getAllByRole('checkbox').map((c) => c.closest('label')?.textContent)).toEqual([
      'lead.scoredevery new score',
      'lead.band_changedHot/Warm/Cold changed',
      'lead.became_hotturned Hot',
      'lead.trend_changedImproving/Steady/Declining changed',
    ]);
    fireEvent.click(button('Cancel'));
    await fillForm(' https://hooks.example.net/in ', ['lead.trend_changed', 'lead.scored']);
    fireEvent.click(screen.getByTestId('register-webhook'));

    const secret = await screen.findByTestId('webhook-secret');
    expect(sent(calls, 'POST').map((c) => [c.path, c.body])).toEqual([
      ['/integrations/webhooks', { url: 'https://hooks.example.net/in', events: ['lead.scored', 'lead.trend_changed'] }],
    ]);
    const field = within(secret).getByLabelText('Signing secret') as HTMLInputElement;
    expect(field.value).toBe(SECRET);
    expect(field.readOnly).toBe(true);
    expect(document.activeElement).toBe(field);
    expect(within(secret).getByTestId('webhook-secret-note').textContent).toBe(
      'Shown once: store it now; your receiver verifies each delivery’s webhook-signature with it (Standard Webhooks).',
    );
    fireEvent.click(within(secret).getByRole('button', { name: 'Copy' }));
    await waitFor(() => expect(within(secret).getByTestId('copy-status').textContent).toBe('Copied.'));
    expect(writeText).toHaveBeenCalledWith(SECRET);
    // Listed, without its secret; the form closed.
    expect(within(item({ ...CRM, id: 'ep_new' })).getByTestId('webhook-url').textContent).toBe('https://hooks.example.net/in');
    expect(screen.queryByTestId('webhook-form')).toBeNull();
    expect(document.body.innerHTML.split(SECRET)).toHaveLength(2);

    // A reload (the list never carries secrets): nothing to show.
    first.unmount();
    render(<WebhooksCard />);
    await listed(CRM);
    expect(screen.queryByTestId('webhook-secret')).toBeNull();
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it('“I have stored it” puts the secret away', async () => {
    mockFetch({
      'GET /integrations/webhooks': { body: LIST },
      'POST /integrations/webhooks': { status: 201, body: { ...SLACK, id: 'ep_new', secret: SECRET } },
    });
    render(<WebhooksCard />);
    await fillForm('https://hooks.example.org/hot-leads', ['lead.became_hot']);
    fireEvent.click(screen.getByTestId('register-webhook'));
    fireEvent.click(await screen.findByRole('button', { name: 'I have stored it' }));
    expect(screen.queryByTestId('webhook-secret')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(button('Register an endpoint')));
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it('shows the host’s 400 message as it is, and keeps what was typed', async () => {
    const message = 'url: https only (http needs --webhook-allow-private)';
    mockFetch({
      'GET /integrations/webhooks': { body: LIST },
      'POST /integrations/webhooks': apiError(400, 'invalid_webhook', message),
    });
    render(<WebhooksCard />);
    await fillForm('http://hooks.example.net/in', ['lead.became_hot']);
    fireEvent.click(screen.getByTestId('register-webhook'));
    const error = await screen.findByTestId('webhook-error');
    expect(error.textContent).toBe(`The endpoint was refused: ${message}`);
    expect(error.getAttribute('role')).toBe('alert');
    expect((screen.getByLabelText('Endpoint URL') as HTMLInputElement).value).toBe('http://hooks.example.net/in');
    const checked = screen.getAllByRole('checkbox').filter((c) => (c as HTMLInputElement).checked);
    expect(checked.map((c) => c.dataset.event)).toEqual(['lead.became_hot']);
    expect(screen.queryByTestId('webhook-secret')).toBeNull();
    expect(button('Register endpoint').disabled).toBe(false);
  });

  it('asks for a URL and an event before sending', async () => {
    const calls = mockFetch({ 'GET /integrations/webhooks': { body: LIST } });
    render(<WebhooksCard />);
    await fillForm('', []);
    fireEvent.click(screen.getByTestId('register-webhook'));
    expect(screen.getByTestId('webhook-problem').textContent).toBe('Enter the URL deliveries go to.');
    fireEvent.change(screen.getByLabelText('Endpoint URL'), { target: { value: 'https://hooks.example.net/in' } });
    fireEvent.click(screen.getByTestId('register-webhook'));
    expect(screen.getByTestId('webhook-problem').textContent).toBe('Pick at least one event to send.');
    expect(sent(calls, 'POST')).toHaveLength(0);
  });

  it('disables the form while registering', async () => {
    let answer: (r: Response) => void = () => {};
    mockFetch({ 'GET /integrations/webhooks': { body: LIST } });
    const get = globalThis.fetch;
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string, init?: RequestInit) =>
        init?.method === 'POST' ? new Promise<Response>((resolve) => (answer = resolve)) : get(url, init),
      ),
    );
    render(<WebhooksCard />);
    await fillForm('https://hooks.example.net/in', ['lead.scored']);
    fireEvent.click(screen.getByTestId('register-webhook'));
    await waitFor(() => expect((screen.getByTestId('register-webhook') as HTMLButtonElement).disabled).toBe(true));
    expect(button('Cancel').disabled).toBe(true);
    expect((screen.getByLabelText('Endpoint URL') as HTMLInputElement).readOnly).toBe(true);
    expect(screen.getAllByRole('checkbox').every((c) => (c as HTMLInputElement).disabled)).toBe(true);
    const created = { ...CRM, id: 'ep_new', secret: SECRET };
    answer(new Response(JSON.stringify(created), { status: 201, headers: { 'Content-Type': 'application/json' } }));
    expect(await screen.findByTestId('webhook-secret')).toBeTruthy();
  });

  it('deletes an endpoint only after a confirmation', async () => {
    const calls = mockFetch({
      'GET /integrations/webhooks': { body: LIST },
      [`DELETE /integrations/webhooks/${CRM.id}`]: { status: 204 },
    });
    render(<WebhooksCard />);
    const crm = await listed(CRM);
    fireEvent.click(within(crm).getByRole('button', { name: `Delete the endpoint ${CRM.url}` }));
    expect(sent(calls, 'DELETE')).toHaveLength(0);
    const confirm = within(crm).getByTestId('webhook-delete-confirm');
    expect(confirm.textContent).toContain(`Delete the endpoint for ${CRM.url}?`);
    expect(document.activeElement).toBe(within(confirm).getByRole('button', { name: 'Yes, delete' }));

    fireEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(within(crm).queryByTestId('webhook-delete-confirm')).toBeNull();
    expect(document.activeElement).toBe(within(crm).getByRole('button', { name: /^Delete/ }));
    expect(sent(calls, 'DELETE')).toHaveLength(0);

    fireEvent.click(within(crm).getByRole('button', { name: /^Delete/ }));
    fireEvent.click(within(crm).getByRole('button', { name: 'Yes, delete' }));
    await waitFor(() => expect(item(CRM)).toBeNull());
    expect(sent(calls, 'DELETE').map((c) => c.path)).toEqual([`/integrations/webhooks/${CRM.id}`]);
    expect(screen.getByTestId('webhooks-notice').textContent).toContain(`Deleted the endpoint for ${CRM.url}.`);
    expect(item(SLACK)).toBeTruthy();
  });

  it('a deletion the host refuses: its message, and the endpoint stays', async () => {
    mockFetch({
      'GET /integrations/webhooks': { body: LIST },
      [`DELETE /integrations/webhooks/${CRM.id}`]: apiError(403, 'forbidden', 'the token lacks the scope crm.admin.models'),
    });
    render(<WebhooksCard />);
    const crm = await listed(CRM);
    fireEvent.click(within(crm).getByRole('button', { name: /^Delete/ }));
    fireEvent.click(within(crm).getByRole('button', { name: 'Yes, delete' }));
    expect((await within(crm).findByTestId('webhook-delete-error')).textContent).toBe(
      'You need the “crm.admin.models” scope to change webhooks. the token lacks the scope crm.admin.models',
    );
    expect(item(CRM)).toBeTruthy();
  });

  it('shows each delivery’s status in words, its attempts and last answer', async () => {
    const next = Date.now() + 40_000;
    const rows = [
      delivery({ delivery_id: 'msg_retry', status: 'pending', attempts: 2, next_attempt_at: next, last_status: 503, last_error: 'the endpoint answered 503 Service Unavailable', delivered_at: null }),
      delivery({ delivery_id: 'msg_dead', event_type: 'lead.became_hot', status: 'dead', attempts: 14, last_status: null, last_error: 'error sending request: connection refused', delivered_at: null }),
      delivery({ delivery_id: 'msg_new', status: 'pending', attempts: 0, next_attempt_at: next, last_status: null, delivered_at: null }),
      delivery({ delivery_id: 'msg_ok' }),
    ];
    mockFetch({ 'GET /integrations/webhooks': { body: LIST }, [`GET ${DELIVERIES}`]: { body: { deliveries: rows } } });
    render(<WebhooksCard />);
    const crm = await listed(CRM);
    const toggle = within(crm).getByRole('button', { name: `Deliveries to ${CRM.url}` });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(document.getElementById(toggle.getAttribute('aria-controls') ?? '')).toBe(within(crm).getByTestId('delivery-log'));

    await within(crm).findAllByTestId('delivery');
    const shown = within(crm)
      .getAllByTestId('delivery')
      .map((r) => ({
        id: r.dataset.delivery,
        event: r.querySelector('th')?.textContent,
        status: within(r).getByTestId('delivery-status').textContent,
        attempts: within(r).getByTestId('delivery-attempts').textContent,
        answer: within(r).getByTestId('delivery-answer').textContent,
      }));
    expect(shown).toEqual([
      { id: 'msg_retry', event: 'lead.scored', status: `Retrying (attempt 2, next at ${timeOf(next, Date.now())})`, attempts: '2', answer: 'HTTP 503' },
      { id: 'msg_dead', event: 'lead.became_hot', status: 'Gave up', attempts: '14', answer: 'error sending request: connection refused' },
      { id: 'msg_new', event: 'lead.scored', status: `Queued (first attempt at ${timeOf(next, Date.now())})`, attempts: '0', answer: '—' },
      { id: 'msg_ok', event: 'lead.scored', status: 'Delivered', attempts: '1', answer: 'HTTP 204' },
    ]);

    fireEvent.click(toggle);
    expect(within(crm).queryByTestId('delivery-log')).toBeNull();
  });

  it('says when an endpoint has no deliveries yet', async () => {
    mockFetch({ 'GET /integrations/webhooks': { body: LIST }, [`GET ${DELIVERIES}`]: { body: { deliveries: [] } } });
    render(<WebhooksCard />);
    fireEvent.click(within(await listed(CRM)).getByTestId('webhook-deliveries'));
    expect((await screen.findByTestId('deliveries-empty')).textContent).toContain('No deliveries yet');
  });

  it('replays a delivery by its id, then reads the log again; Refresh reads it too', async () => {
    const before = delivery({ delivery_id: 'msg_2b1c', status: 'dead', attempts: 14, last_status: 500 });
    const after = { ...before, status: 'pending', next_attempt_at: Date.now() };
    const calls = mockFetch({
      'GET /integrations/webhooks': { body: LIST },
      [`GET ${DELIVERIES}`]: [{ body: { deliveries: [before] } }, { body: { deliveries: [after] } }],
      'POST /integrations/webhooks/deliveries/msg_2b1c/replay': { status: 202 },
    });
    const reads = () => calls.filter((c) => c.method === 'GET' && c.path === DELIVERIES).length;
    render(<WebhooksCard />);
    const crm = await listed(CRM);
    fireEvent.click(within(crm).getByTestId('webhook-deliveries'));
    expect((await within(crm).findByTestId('delivery-status')).textContent).toBe('Gave up');
    expect(reads()).toBe(1);

    fireEvent.click(within(crm).getByRole('button', { name: /^Replay/ }));
    await waitFor(() => expect(within(crm).getByTestId('delivery-status').textContent).toMatch(/^Retrying \(attempt 14, next at /));
    expect(sent(calls, 'POST').map((c) => c.path)).toEqual(['/integrations/webhooks/deliveries/msg_2b1c/replay']);
    expect(reads()).toBe(2);

    fireEvent.click(within(crm).getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(reads()).toBe(3));
  });

  it('a replay the host refuses says why', async () => {
    mockFetch({
      'GET /integrations/webhooks': { body: LIST },
      [`GET ${DELIVERIES}`]: { body: { deliveries: [delivery({})] } },
      'POST /integrations/webhooks/deliveries/msg_1/replay': apiError(404, 'not_found', 'no delivery "msg_1" to replay for this tenant'),
    });
    render(<WebhooksCard />);
    const crm = await listed(CRM);
    fireEvent.click(within(crm).getByTestId('webhook-deliveries'));
    fireEvent.click(await within(crm).findByTestId('delivery-replay'));
    expect((await within(crm).findByTestId('replay-error')).textContent).toBe(
      'This delivery can no longer be replayed: no delivery "msg_1" to replay for this tenant',
    );
  });

  it('is not shown without the scope to read the endpoints', async () => {
    const calls = mockFetch({ 'GET /integrations/webhooks': apiError(403, 'forbidden', 'the token lacks the scope crm.read.leads') });
    const { container } = render(<WebhooksCard />);
    await waitFor(() => expect(calls).toHaveLength(1));
    await waitFor(() => expect(container.innerHTML).toBe(''));
  });

  it('offers a retry when the endpoints cannot be loaded', async () => {
    mockFetch({
      'GET /integrations/webhooks': [apiError(503, 'unavailable', 'the database stayed unavailable'), { body: LIST }],
    });
    render(<WebhooksCard />);
    fireEvent.click(await screen.findByRole('button', { name: 'Try again' }));
    await listed(CRM);
  });
});

describe('the webhooks on the model admin page', () => {
  it('is there', async () => {
    mockFetch({
      'GET /models': { body: ONE_MODEL },
      'GET /integrations/webhooks': { body: LIST },
    });
    render(<AdminPage />);
    const card = await screen.findByTestId('webhooks');
    expect(within(card).getByRole('heading', { name: 'Webhooks' })).toBeTruthy();
    await listed(CRM);
  });
});
