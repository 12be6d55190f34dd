// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { apiError, mockFetch } from '../test/fetchMock';
import { LearningSettingsCard } from './LearningSettingsCard';
import { DEFAULT_SETTINGS } from '../test/learning';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const type = (testId: string, value: string) => fireEvent.change(screen.getByTestId(testId), { target: { value } });

describe('LearningSettingsCard', () => {
  it('is not shown at all without the admin scope (403)', async () => {
    const calls = mockFetch({ 'GET /learning/settings': apiError(403, 'forbidden', 'the token lacks the scope crm.admin.models') });
    const { container } = render(<LearningSettingsCard />);
    await waitFor(() => expect(calls).toHaveLength(1));
    await waitFor(() => expect(container.innerHTML).toBe(''));
    expect(screen.queryByTestId('learning-settings')).toBeNull();
    expect(screen.queryByTestId('error')).toBeNull();
  });

  it('shows the settings, refuses out-of-range values before sending, and saves the full object', async () => {
    const calls = mockFetch({
      'GET /learning/settings': { body: DEFAULT_SETTINGS },
      'PUT /learning/settings': (init) => ({ body: JSON.parse(String(init?.body)) }),
    });
    const onSaved = vi.fn();
    render(<LearningSettingsCard onSaved={onSaved} />);
    expect((await screen.findByTestId('setting-holdout_share')).textContent).toBe('10 %');
    expect(screen.getByTestId('setting-guardrail_after_days').textContent).toBe('30 days');

    fireEvent.click(screen.getByTestId('edit-learning-settings'));
    expect((screen.getByTestId('input-holdout_share') as HTMLInputElement).value).toBe('10');
    type('input-holdout_share', '60');
    type('input-guardrail_min_outcomes', '2.5');
    fireEvent.click(screen.getByTestId('save-learning-settings'));
    expect(screen.getByTestId('problem-holdout_share').textContent).toBe('Enter a value from 0 % to 50 %.');
    expect(screen.getByTestId('problem-guardrail_min_outcomes').textContent).toMatch(/whole number/);
    expect(screen.getByTestId('input-holdout_share').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(screen.getByTestId('input-holdout_share'));
    expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(0);

    type('input-holdout_share', '20');
    type('input-guardrail_min_outcomes', '40');
    fireEvent.click(screen.getByTestId('input-guardrail_to_rules'));
    fireEvent.click(screen.getByTestId('save-learning-settings'));
    await waitFor(() => expect(screen.getByTestId('learning-settings-notice').textContent).toContain('Settings saved'));
    const put = calls.find((c) => c.method === 'PUT');
    expect(put?.body).toEqual({ ...DEFAULT_SETTINGS, holdout_share: 0.2, guardrail_min_outcomes: 40, guardrail_to_rules: true });
    expect(onSaved).toHaveBeenCalledWith(put?.body);
    expect(screen.getByTestId('setting-holdout_share').textContent).toBe('20 %');
    expect(screen.getByTestId('setting-guardrail_to_rules').textContent).toContain('rules-v1');
  });

  it('shows the host’s message when it refuses the settings (400)', async () => {
    mockFetch({
      'GET /learning/settings': { body: DEFAULT_SETTINGS },
      'PUT /learning/settings': apiError(400, 'invalid_settings', 'drift_threshold 0.0005: expected 0.001 – 10'),
    });
    render(<LearningSettingsCard />);
    fireEvent.click(await screen.findByTestId('edit-learning-settings'));
    fireEvent.click(screen.getByTestId('save-learning-settings'));
    const error = await screen.findByTestId('learning-settings-error');
    expect(error.textContent).toBe('The settings were refused: drift_threshold 0.0005: expected 0.001 – 10');
    expect(screen.getByTestId('learning-settings-form')).toBeTruthy();
  });
});
