// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import { parseExplanation } from '../lib/explanation';
import type { Score } from '../lib/types';
import { Badge } from './Badge';
import { ReasonsPopover } from './ReasonsPopover';

afterEach(cleanup);

const EXPLANATION: Score = {
  lead_id: 'lead-1',
  final_score: 91,
  band: 'hot',
  probability: 0.6,
  confidence: 0.9,
  margin: 0.6,
  base_value: 0,
  model_version: 'v12',
  contributions: [
    { feature: 'pricing_views_7d', value: 3, shap: 0.9 },
    { feature: 'employees', value: null, shap: -0.3 },
  ],
  reasons: [
    { feature: 'pricing_views_7d', text: 'Viewed the pricing page 3 times in the last 7 days', direction: 'up', shap: 0.9 },
    { feature: 'employees', text: 'Company size unknown', direction: 'down', shap: -0.3 },
  ],
};

const nextPaint = () => act(() => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0))));

describe('Badge', () => {
  it.each([
    ['hot', 'Hot'],
    ['warm', 'Warm'],
    ['cold', 'Cold'],
  ] as const)('says %s in words', (band, text) => {
    render(<Badge band={band} />);
    expect(screen.getByTestId('badge').textContent).toBe(text);
    expect(screen.getByTestId('badge').dataset.band).toBe(band);
  });

  it('says when there is no score', () => {
    render(<Badge band={null} />);
    expect(screen.getByTestId('badge').textContent).toBe('Not scored');
  });
});

describe('ReasonsPopover', () => {
  it('lists what raises the score and what holds it back apart, each under its heading', () => {
    const reasons = [
      { feature: 'a', text: 'Requested a demo', direction: 'up' as const, shap: 0.8 },
      { feature: 'b', text: 'Company size unknown', direction: 'down' as const, shap: -0.5 },
      { feature: 'c', text: 'Viewed the pricing page 3 times', direction: 'up' as const, shap: 0.4 },
      { feature: 'd', text: 'Has not opened an email', direction: 'down' as const, shap: -0.1 },
    ];
    render(<ReasonsPopover leadId="lead-1" band="warm" explanation={parseExplanation({ ...EXPLANATION, reasons })} />);
    fireEvent.pointerEnter(screen.getByRole('button', { name: /Why Warm\?/ }).parentElement!);
    const text = (id: string) => [...screen.getByTestId(id).querySelectorAll('.reason__text')].map((e) => e.textContent);
    expect(text('reasons-up')).toEqual(['Requested a demo', 'Viewed the pricing page 3 times']);
    expect(text('reasons-down')).toEqual(['Company size unknown', 'Has not opened an email']);
    expect(screen.getByRole('region', { name: 'Raising the score' })).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Holding it back' })).toBeTruthy();
  });

  it('shows no empty heading when every reason goes one way', () => {
    const reasons = EXPLANATION.reasons!.filter((r) => r.direction === 'up');
    render(<ReasonsPopover leadId="lead-1" band="hot" explanation={parseExplanation({ ...EXPLANATION, reasons })} />);
    fireEvent.pointerEnter(screen.getByRole('button', { name: /Why Hot\?/ }).parentElement!);
    expect(screen.getByTestId('reasons-up')).toBeTruthy();
    expect(screen.queryByTestId('reasons-down')).toBeNull();
  });

  it('opens on hover with the reasons, ↑/↓, and records how long it took', async () => {
    render(<ReasonsPopover leadId="lead-1" band="hot" explanation={parseExplanation(EXPLANATION)} />);
    const button = screen.getByRole('button', { name: /Why Hot\?/ });
    expect(button.getAttribute('aria-expanded')).toBe('false');

    fireEvent.pointerEnter(button.parentElement!);
    const popover = screen.getByTestId('reasons-popover');
    expect(popover.hidden).toBe(false);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    const items = screen.getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual([
      '↑Raises the score:Viewed the pricing page 3 times in the last 7 days',
      '↓Lowers the score:Company size unknown',
    ]);
    expect(screen.getByTestId('contribution-chart')).toBeTruthy();

    await nextPaint();
    expect(Number(popover.getAttribute('data-open-ms'))).toBeGreaterThanOrEqual(0);
    expect(window.__leadscoreTooltipTimings?.at(-1)).toMatchObject({ leadId: 'lead-1', trigger: 'hover' });
  });

  it('shows the stub instead of reasons when the explanation is corrupt', () => {
    render(<ReasonsPopover leadId="lead-2" band="cold" explanation={parseExplanation('{not json')} />);
    fireEvent.click(screen.getByRole('button', { name: /Why Cold\?/ }));
    expect(screen.getByTestId('explanation-unavailable').textContent).toContain('Explanation unavailable');
    expect(screen.queryByTestId('reasons')).toBeNull();
    expect(screen.queryByTestId('contribution-chart')).toBeNull();
  });

  it('draws the waterfall from the average lead to this lead, in words and in a table screen readers read', () => {
    const contributions = [
      { feature: 'pricing_views_7d', value: 5, shap: 0.9, label: 'Pricing page views, last 7 days', display: '5 views' },
      { feature: 'employees', value: null, shap: -0.3 },
      ...Array.from({ length: 9 }, (_, i) => ({ feature: `small_${i}`, value: i, shap: 0.01 })),
    ];
    const score = { ...EXPLANATION, base_value: -2, margin: -2 + 0.9 - 0.3 + 0.09, contributions };
    render(<ReasonsPopover leadId="lead-1" band="hot" explanation={parseExplanation(score)} />);
    fireEvent.click(screen.getByRole('button', { name: /Why Hot\?/ }));

    const labels = screen.getAllByTestId('waterfall-label').map((e) => e.textContent);
    expect(labels[0]).toBe('Average lead');
    expect(labels[1]).toBe('Pricing page views, last 7 days: 5 views');
    expect(labels[2]).toBe('Employees: missing');
    expect(labels.at(-2)).toBe('All other features (3)');
    expect(labels.at(-1)).toBe('This lead');
    expect(labels).toHaveLength(11); // start, 8 bars, the rest, end
    expect(screen.getByTestId('chart-units').textContent).toContain('log-odds');

    const table = screen.getByRole('table', { name: /How the score adds up/ });
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((r) => [...r.children].map((cell) => cell.textContent));
    expect(rows[0]).toEqual(['Average lead', '', '−2.00']);
    expect(rows[1]).toEqual(['Pricing page views, last 7 days: 5 views', '+0.90', '−1.10']);
    expect(rows[2]).toEqual(['Employees: missing', '−0.30', '−1.40']);
    expect(rows.at(-2)).toEqual(['All other features (3)', '+0.03', '−1.31']);
    expect(rows.at(-1)).toEqual(['This lead', '', '−1.31']);
    // The bars themselves are for the eye only.
    expect(screen.getByTestId('contribution-chart').querySelector('.waterfall__rows')?.getAttribute('aria-hidden')).toBe('true');
  });

  it('says the chance of closing under its title', () => {
    render(
      <ReasonsPopover
        leadId="lead-1"
        band="hot"
        explanation={parseExplanation(EXPLANATION)}
        likelihood="5.7 % likely to close — 1.3× the average lead"
      />,
    );
    fireEvent.click(screen.getByRole('button', { name: /Why Hot\?/ }));
    expect(screen.getByTestId('popover-likelihood').textContent).toBe('5.7 % likely to close — 1.3× the average lead');
  });

  it('keeps within the window: no taller than the room below its row', () => {
    render(<ReasonsPopover leadId="lead-1" band="hot" explanation={parseExplanation(EXPLANATION)} />);
    fireEvent.click(screen.getByRole('button', { name: /Why Hot\?/ }));
    const popover = screen.getByTestId('reasons-popover');
    // jsdom lays nothing out: the row is at the top of a 768 px window.
    expect(popover.style.maxHeight).toBe(`${window.innerHeight - 18}px`);
    expect(popover.className).toContain('popover--below');
  });

  it('stays open once clicked and closes on Escape', () => {
    render(<ReasonsPopover leadId="lead-3" band="warm" explanation={parseExplanation(EXPLANATION)} />);
    const button = screen.getByRole('button', { name: /Why Warm\?/ });
    fireEvent.click(button);
    const popover = screen.getByTestId('reasons-popover');
    fireEvent.pointerLeave(button.parentElement!);
    expect(popover.hidden).toBe(false);
    fireEvent.keyDown(button, { key: 'Escape' });
    expect(popover.hidden).toBe(true);
  });
});
