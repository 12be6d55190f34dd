/**
 * Test helper: `fetch` answered by route ("GET /leads/lead-1" → body), with
 * every call recorded. Unknown routes answer 404, as the host would.
 */
import { vi } from 'vitest';

export type Reply = { status?: number; body?: unknown } | ((init: RequestInit | undefined, url: string) => Reply);

export interface FetchCall {
  method: string;
  path: string;
  /** A JSON body parsed; any other (a File, FormData) as it was sent. */
  body: unknown;
  headers: Headers;
}

export function json(body: unknown, status = 200): Response {
  // A 204 (DELETE) has no body: `new Response` refuses one.
  const text = status === 204 || status === 205 || status === 304 ? null : JSON.stringify(body);
  return new Response(text, { status, headers: { 'Content-Type': 'application/json' } });
}

export function apiError(status: number, code: string, message: string): { status: number; body: unknown } {
  return { status, body: { error: { code, message } } };
}

/** Stubs `fetch`; `routes` maps "METHOD /path" (query ignored unless given) to replies, a list is used in turn. */
export function mockFetch(routes: Record<string, Reply | Reply[]>): FetchCall[] {
  const calls: FetchCall[] = [];
  const queues = new Map(Object.entries(routes).map(([k, v]) => [k, Array.isArray(v) ? [...v] : [v]]));
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      const path = String(url);
      const body = typeof init?.body === 'string' ? JSON.parse(init.body) : (init?.body ?? undefined);
      calls.push({ method, path, body, headers: new Headers(init?.headers) });
      const queue = queues.get(`${method} ${path}`) ?? queues.get(`${method} ${path.split('?')[0]}`);
      if (!queue || queue.length === 0) return json({ error: { code: 'not_found', message: `no route ${method} ${path}` } }, 404);
      let reply = queue.length > 1 ? queue.shift()! : queue[0];
      if (typeof reply === 'function') reply = reply(init, path);
      const r = reply as { status?: number; body?: unknown };
      return json(r.body ?? {}, r.status ?? 200);
    }),
  );
  return calls;
}
