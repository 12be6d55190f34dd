// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { Routing } from '../lib/types';
import { AdminPage } from '../pages/AdminPage';
import { apiError, mockFetch } from '../test/fetchMock';
import { model } from '../test/models';
import { ThresholdsCard } from './ThresholdsCard';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const ROUTING: Routing = { active: 'v12', split: [], fallback: ['v11'], shadow: null };
const OWN: Routing = { ...ROUTING, bands: { hot: 70, cold: 30 } };

const MODELS = [model('v12'), model('v11')];

const echo = (init: RequestInit | undefined) => ({ body: JSON.parse(String(init?.body)) });

describe('ThresholdsCard', () => {
  it('shows the model’s thresholds when the tenant has none, saying so', () => {
    render(<ThresholdsCard routing={ROUTING} models={MODELS} disabled={false} onSaved={() => {}} />);
    const inForce = screen.getByTestId('thresholds-in-force');
    expect(inForce.textContent).toBe('Hot above 80, Cold below 40 — the model’s own (v12).');
    expect(inForce.dataset.source).toBe('model');
    expect((screen.getByLabelText('Hot above') as HTMLInputElement).value).toBe('80');
    expect((screen.getByLabelText('Cold below') as HTMLInputElement).value).toBe('40');
    expect(screen.queryByTestId('use-model-thresholds')).toBeNull();
  });

  it('saves the tenant’s own with the whole routing', async () => {
    const calls = mockFetch({ 'PUT /models/routing': echo });
    const onSaved = vi.fn();
    render(<ThresholdsCard routing={{ ...ROUTING, shadow: 'v13' }} models={MODELS} disabled={false} onSaved={onSaved} />);
    fireEvent.change(screen.getByLabelText('Hot above'), { target: { value: '70' } });
    fireEvent.change(screen.getByLabelText('Cold below'), { target: { value: '30' } });
    fireEvent.click(screen.getByTestId('save-thresholds'));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ ...OWN, shadow: 'v13' });
    expect(onSaved.mock.calls[0][1]).toBe('Thresholds saved: Hot above 70, Cold below 30. Every badge follows them now.');
  });

  it('goes back to the model’s: the routing without bands', async () => {
    const calls = mockFetch({ 'PUT /models/routing': echo });
    const onSaved = vi.fn();
    render(<ThresholdsCard routing={OWN} models={MODELS} disabled={false} onSaved={onSaved} />);
    expect(screen.getByTestId('thresholds-in-force').textContent).toBe('Hot above 70, Cold below 30 — this tenant’s own thresholds.');
    fireEvent.click(screen.getByTestId('use-model-thresholds'));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    const body = calls.find((c) => c.method === 'PUT')?.body as Routing;
    expect(body).toEqual(ROUTING);
    expect('bands' in body).toBe(false);
  });

  it('shows the host’s words when it refuses (400)', async () => {
    mockFetch({
      'PUT /models/routing': apiError(400, 'invalid_routing', 'bands: cold (50) must be at most hot (30), and hot at most 100'),
    });
    const onSaved = vi.fn();
    render(<ThresholdsCard routing={ROUTING} models={MODELS} disabled={false} onSaved={onSaved} />);
    fireEvent.change(screen.getByLabelText('Hot above'), { target: { value: '30' } });
    fireEvent.change(screen.getByLabelText('Cold below'), { target: { value: '50' } });
    fireEvent.click(screen.getByTestId('save-thresholds'));
    const error = await screen.findByTestId('thresholds-error');
    expect(error.textContent).toBe('The thresholds were refused: bands: cold (50) must be at most hot (30), and hot at most 100');
    expect(error.getAttribute('role')).toBe('alert');
    expect(onSaved).not.toHaveBeenCalled();
  });

  it('asks for whole numbers before sending', () => {
    const calls = mockFetch({ 'PUT /models/routing': echo });
    render(<ThresholdsCard routing={ROUTING} models={MODELS} disabled={false} onSaved={() => {}} />);
    fireEvent.change(screen.getByLabelText('Hot above'), { target: { value: '' } });
    fireEvent.click(screen.getByTestId('save-thresholds'));
    expect(screen.getByTestId('thresholds-error').textContent).toBe('Both thresholds are whole scores, 0 to 100.');
    expect(calls).toHaveLength(0);
  });
});

describe('thresholds on the model admin page', () => {
  it('saving them shows the new ones and offers no rollback (the versions did not change)', async () => {
    const list = (routing: Routing) => ({ body: { models: MODELS, routing, tenants: {}, score_distribution: Array(10).fill(1) } });
    mockFetch({
      'GET /models': [list(ROUTING), list(OWN)],
      'PUT /models/routing': echo,
    });
    render(<AdminPage />);
    const card = await screen.findByTestId('thresholds');
    fireEvent.change(within(card).getByLabelText('Hot above'), { target: { value: '70' } });
    fireEvent.change(within(card).getByLabelText('Cold below'), { target: { value: '30' } });
    fireEvent.click(within(card).getByTestId('save-thresholds'));
    await waitFor(() => expect(within(card).getByTestId('thresholds-in-force').dataset.source).toBe('tenant'));
    expect(screen.getByTestId('admin-notice').textContent).toContain('Thresholds saved: Hot above 70, Cold below 30.');
    expect(screen.queryByTestId('rollback')).toBeNull();
    expect(screen.getByTestId('model-quality')).toBeTruthy();
  });
});
