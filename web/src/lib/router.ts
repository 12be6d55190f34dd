/**
 * Hash routing (`#/`, `#/leads/<id>`, `#/lift`, `#/admin`): the API lives under
 * `/leads/...` on the same origin, so the UI keeps its routes in the hash.
 */
import { useSyncExternalStore } from 'react';

export interface Location {
  /** The path inside the hash, e.g. `/leads/lead-1`. */
  path: string;
  query: URLSearchParams;
}

export type Route =
  | { page: 'queue' }
  | { page: 'lead'; leadId: string }
  | { page: 'lift' }
  | { page: 'admin' }
  | { page: 'not-found'; path: string };

export function parseHash(hash: string): Location {
  const raw = hash.replace(/^#/, '') || '/';
  const [pathPart, queryPart = ''] = raw.split('?', 2);
  const path = pathPart.startsWith('/') ? pathPart : `/${pathPart}`;
  return { path, query: new URLSearchParams(queryPart) };
}

export function matchRoute(path: string): Route {
  if (path === '/' || path === '') return { page: 'queue' };
  if (path === '/admin' || path === '/admin/') return { page: 'admin' };
  if (path === '/lift' || path === '/lift/') return { page: 'lift' };
  const lead = /^\/leads\/([^/]+)\/?$/.exec(path);
  if (lead) {
    try {
      return { page: 'lead', leadId: decodeURIComponent(lead[1]) };
    } catch {
      return { page: 'not-found', path };
    }
  }
  return { page: 'not-found', path };
}

export function leadHref(leadId: string): string {
  return `#/leads/${encodeURIComponent(leadId)}`;
}

export function hrefWithQuery(path: string, params: Record<string, string | number | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') query.set(k, String(v));
  }
  const q = query.toString();
  return `#${path}${q ? `?${q}` : ''}`;
}

export function navigate(href: string, { replace = false } = {}): void {
  const target = href.startsWith('#') ? href : `#${href}`;
  if (replace) {
    window.history.replaceState(window.history.state, '', target);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = target;
  }
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

const getHash = () => window.location.hash;

/** The current hash; re-renders on every change. */
export function useHash(): string {
  return useSyncExternalStore(subscribe, getHash, () => '');
}
