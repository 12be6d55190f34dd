// @vitest-environment jsdom
import { act, renderHook, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { statusPath, useRescore } from './rescore';
import type { ScoreRow } from './types';

const SCORE: ScoreRow = {
  request_id: 'req_2',
  lead_id: 'lead-1',
  score: 91,
  band: 'hot',
  probability: 0.6,
  confidence: 0.9,
  data_completeness: 0.9,
  model_version: 'v11',
  timestamp: 1,
  explanation: {
    lead_id: 'lead-1',
    final_score: 91,
    band: 'hot',
    probability: 0.6,
    confidence: 0.9,
    margin: 1.2,
    model_version: 'v11',
  },
};

function respond(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

afterEach(() => vi.unstubAllGlobals());

describe('useRescore', () => {
  it('posts with force_refresh, polls PENDING, then hands over the new score', async () => {
    const statuses = ['PENDING', 'PENDING', 'SUCCESS'];
    const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
      if (init?.method === 'POST') {
        expect(JSON.parse(String(init.body))).toEqual({
          lead_id: 'lead-1',
          context: { id: 'lead-1' },
          overrides: { force_refresh: true },
        });
        return respond({ request_id: 'req_2', status: 'PENDING', status_url: '/leads/score/req_2/status' }, 202);
      }
      expect(url).toBe('/leads/score/req_2/status');
      const status = statuses.shift();
      return respond({ request_id: 'req_2', lead_id: 'lead-1', status, ...(status === 'SUCCESS' ? { result: SCORE } : {}) });
    });
    vi.stubGlobal('fetch', fetchMock);
    const onScored = vi.fn();
    const phases: string[] = [];
    const { result } = renderHook(() => {
      const rescore = useRescore('lead-1', { id: 'lead-1' }, onScored, { pollMs: 5 });
      if (phases.at(-1) !== rescore.state.phase) phases.push(rescore.state.phase);
      return rescore;
    });

    act(() => void result.current.start());
    await waitFor(() => expect(result.current.state.phase).toBe('success'));
    expect(phases).toEqual(['idle', 'submitting', 'pending', 'success']);
    expect(onScored).toHaveBeenCalledWith(SCORE);
    expect(fetchMock).toHaveBeenCalledTimes(4);
  });

  it('reports FAILED with the reason', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_url: string, init?: RequestInit) =>
        init?.method === 'POST'
          ? respond({ request_id: 'r', status: 'PENDING', status_url: '/leads/score/r/status' }, 202)
          : respond({ request_id: 'r', status: 'FAILED', error: 'every version failed' }),
      ),
    );
    const { result } = renderHook(() => useRescore('lead-1', { id: 'lead-1' }, () => {}, { pollMs: 5 }));
    act(() => void result.current.start());
    await waitFor(() => expect(result.current.state).toEqual({ phase: 'failed', message: 'every version failed' }));
  });

  it('times out when no answer comes', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_url: string, init?: RequestInit) =>
        init?.method === 'POST'
          ? respond({ request_id: 'r', status: 'PENDING', status_url: '/leads/score/r/status' }, 202)
          : respond({ request_id: 'r', status: 'PENDING' }),
      ),
    );
    const { result } = renderHook(() => useRescore('lead-1', { id: 'lead-1' }, () => {}, { pollMs: 5, timeoutMs: 60 }));
    act(() => void result.current.start());
    await waitFor(() => expect(result.current.state).toEqual({ phase: 'timeout', requestId: 'r' }));
  });

  it('shows an API error (e.g. 403) as an error, not a timeout', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => respond({ error: { code: 'forbidden', message: 'missing scope crm.write.leads' } }, 403)),
    );
    const { result } = renderHook(() => useRescore('lead-1', { id: 'lead-1' }, () => {}, { pollMs: 5 }));
    act(() => void result.current.start());
    await waitFor(() => expect(result.current.state.phase).toBe('error'));
    const state = result.current.state;
    expect(state.phase === 'error' && [state.error.status, state.error.message]).toEqual([403, 'missing scope crm.write.leads']);
  });
});

describe('useRescore and the control group', () => {
  it('ends in `control` when the status says so, without asking for the hidden score', async () => {
    const fetchMock = vi.fn(async (_url: string, init?: RequestInit) =>
      init?.method === 'POST'
        ? respond({ request_id: 'r', status: 'PENDING', status_url: '/leads/score/r/status' }, 202)
        : respond({ request_id: 'r', lead_id: 'lead-1', status: 'SUCCESS', control_group: true }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const onScored = vi.fn();
    const { result } = renderHook(() => useRescore('lead-1', { id: 'lead-1' }, onScored, { pollMs: 5 }));
    act(() => void result.current.start());
    await waitFor(() => expect(result.current.state).toEqual({ phase: 'control' }));
    expect(onScored).toHaveBeenCalledWith(null);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('treats a 404 control_group from GET /leads/{id}/score as the control group, not an error', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        if (init?.method === 'POST') return respond({ request_id: 'r', status: 'PENDING', status_url: '/leads/score/r/status' }, 202);
        if (url === '/leads/lead-1/score') return respond({ error: { code: 'control_group', message: 'hidden' } }, 404);
        return respond({ request_id: 'r', lead_id: 'lead-1', status: 'SUCCESS' });
      }),
    );
    const onScored = vi.fn();
    const { result } = renderHook(() => useRescore('lead-1', { id: 'lead-1' }, onScored, { pollMs: 5 }));
    act(() => void result.current.start());
    await waitFor(() => expect(result.current.state).toEqual({ phase: 'control' }));
    expect(onScored).toHaveBeenCalledWith(null);
  });

  it('still reports any other 404 from the score as an error', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        if (init?.method === 'POST') return respond({ request_id: 'r', status: 'PENDING', status_url: '/leads/score/r/status' }, 202);
        if (url === '/leads/lead-1/score') return respond({ error: { code: 'not_found', message: 'no score' } }, 404);
        return respond({ request_id: 'r', lead_id: 'lead-1', status: 'SUCCESS' });
      }),
    );
    const { result } = renderHook(() => useRescore('lead-1', { id: 'lead-1' }, () => {}, { pollMs: 5 }));
    act(() => void result.current.start());
    await waitFor(() => expect(result.current.state.phase).toBe('error'));
  });
});

describe('statusPath', () => {
  it('follows the host’s status_url on this origin only', () => {
    expect(statusPath('/leads/score/abc/status', 'abc')).toBe('/leads/score/abc/status');
    expect(statusPath('https://evil.example/x', 'abc')).toBe('/leads/score/abc/status');
    expect(statusPath('//evil.example/x', 'abc')).toBe('/leads/score/abc/status');
    expect(statusPath(undefined, 'a b')).toBe('/leads/score/a%20b/status');
  });
});
