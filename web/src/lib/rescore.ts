/**
 * Rescoring a lead: `POST /leads/score` with `force_refresh`, then polling
 * the request's status every 300 ms until SUCCESS or FAILED. A request that
 * has not finished within the timeout stops polling and offers a retry.
 * A lead in the control group ends in SUCCESS without a score (`control`):
 * it was scored, but its score stays hidden.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

import { ApiError, fetchScore, fetchStatus, requestScore } from './api';
import { toApiError } from './hooks';
import type { Overrides, ScoreRequest, ScoreRow } from './types';

export type RescoreState =
  | { phase: 'idle' }
  | { phase: 'submitting' }
  | { phase: 'pending'; requestId: string; attempts: number }
  | { phase: 'success'; score: ScoreRow }
  | { phase: 'control' }
  | { phase: 'failed'; message: string }
  | { phase: 'timeout'; requestId: string | null }
  | { phase: 'error'; error: ApiError };

export const POLL_INTERVAL_MS = 300;
export const RESCORE_TIMEOUT_MS = 10_000;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      window.clearTimeout(t);
      reject(signal.reason);
    };
    const t = window.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** The status URL the host gave, if it is a path on this origin; else built from the id. */
export function statusPath(statusUrl: string | undefined, requestId: string): string {
  if (typeof statusUrl === 'string' && /^\/[^/]/.test(statusUrl)) return statusUrl;
  return `/leads/score/${encodeURIComponent(requestId)}/status`;
}

/** A 404 from `GET /leads/{id}/score` that means "scored, but in the control group". */
export function isControlGroupError(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404 && e.code === 'control_group';
}

/** `onScored` gets the new score, or null when the lead is in the control group (its score is hidden). */
export function useRescore(
  leadId: string,
  context: ScoreRequest['context'] | null,
  onScored: (score: ScoreRow | null) => void,
  { pollMs = POLL_INTERVAL_MS, timeoutMs = RESCORE_TIMEOUT_MS } = {},
) {
  const [state, setState] = useState<RescoreState>({ phase: 'idle' });
  const controllerRef = useRef<AbortController | null>(null);
  const onScoredRef = useRef(onScored);
  onScoredRef.current = onScored;

  useEffect(() => () => controllerRef.current?.abort(), []);

  const start = useCallback(
    async (overrides: Pick<Overrides, 'model_version'> = {}) => {
      if (!context) return;
      controllerRef.current?.abort();
      const controller = new AbortController();
      controllerRef.current = controller;
      const { signal } = controller;
      let requestId: string | null = null;
      let timedOut = false;
      // No answer in time: stop (whatever is in flight) and offer a retry.
      const timer = window.setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      setState({ phase: 'submitting' });
      try {
        const accepted = await requestScore(leadId, context, { ...overrides, force_refresh: true }, signal);
        requestId = accepted.request_id;
        const path = statusPath(accepted.status_url, accepted.request_id);
        setState({ phase: 'pending', requestId, attempts: 0 });
        for (;;) {
          await sleep(pollMs, signal);
          let status;
          try {
            status = await fetchStatus(path, signal);
          } catch (e) {
            // A lost poll is retried until the timeout; an answer that says
            // no (4xx) is final.
            if (e instanceof ApiError && e.status >= 400 && e.status < 500) throw e;
            if (signal.aborted) throw e;
            continue;
          }
          if (status.status === 'SUCCESS') {
            let score: ScoreRow | null = null;
            if (status.control_group !== true) {
              try {
                score = status.result ?? (await fetchScore(leadId, signal));
              } catch (e) {
                if (!isControlGroupError(e)) throw e;
              }
            }
            setState(score ? { phase: 'success', score } : { phase: 'control' });
            onScoredRef.current(score);
            return;
          }
          if (status.status === 'FAILED') {
            setState({ phase: 'failed', message: status.error?.trim() || 'Scoring failed for an unknown reason.' });
            return;
          }
          setState({ phase: 'pending', requestId, attempts: status.attempts });
        }
      } catch (e) {
        if (timedOut) setState({ phase: 'timeout', requestId });
        else if (!signal.aborted) setState({ phase: 'error', error: toApiError(e) });
      } finally {
        window.clearTimeout(timer);
      }
    },
    [leadId, context, pollMs, timeoutMs],
  );

  const reset = useCallback(() => {
    controllerRef.current?.abort();
    setState({ phase: 'idle' });
  }, []);

  return { state, start, reset };
}
