/** The bearer token, kept in localStorage under `leadscore.token`. */
import { useSyncExternalStore } from 'react';

export const TOKEN_KEY = 'leadscore.token';
const CHANGED = 'leadscore:token-changed';

function storage(): Storage | null {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null; // storage disabled: act as signed out
  }
}

export function getToken(): string | null {
  const token = storage()?.getItem(TOKEN_KEY)?.trim();
  return token ? token : null;
}

export function setToken(token: string | null): void {
  const s = storage();
  if (!s) return;
  const t = token?.trim().replace(/^Bearer\s+/i, '');
  if (t) s.setItem(TOKEN_KEY, t);
  else s.removeItem(TOKEN_KEY);
  window.dispatchEvent(new Event(CHANGED));
}

function subscribe(onChange: () => void): () => void {
  const onStorage = (e: StorageEvent) => {
    if (e.key === TOKEN_KEY) onChange();
  };
  window.addEventListener(CHANGED, onChange);
  window.addEventListener('storage', onStorage);
  return () => {
    window.removeEventListener(CHANGED, onChange);
    window.removeEventListener('storage', onStorage);
  };
}

export function useToken(): string | null {
  return useSyncExternalStore(subscribe, getToken, () => null);
}

export interface TokenInfo {
  org: string | null;
  subject: string | null;
  scopes: string[];
  expiresAt: number | null;
}

/** What a JWT says about itself (unverified: for display only). */
export function describeToken(token: string): TokenInfo | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims = JSON.parse(json) as Record<string, unknown>;
    const scope = typeof claims.scope === 'string' ? claims.scope : '';
    return {
      org: typeof claims.org === 'string' ? claims.org : null,
      subject: typeof claims.sub === 'string' ? claims.sub : null,
      scopes: scope.split(/\s+/).filter(Boolean),
      expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : null,
    };
  } catch {
    return null;
  }
}
