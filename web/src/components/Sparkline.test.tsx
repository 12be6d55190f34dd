// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import { Sparkline, sparkPoints } from './Sparkline';
import { TrendArrow } from './TrendArrow';

afterEach(cleanup);

describe('sparkPoints', () => {
  it('puts 100 at the top and 0 at the bottom, inside a 3 px margin', () => {
    expect(sparkPoints([100, 0], undefined, 56, 20)).toEqual([
      [3, 3],
      [53, 17],
    ]);
  });

  it('spaces the points by time when every point has one, else evenly', () => {
    const byTime = sparkPoints([50, 50, 50], [0, 10, 100], 106, 20).map(([x]) => x);
    expect(byTime).toEqual([3, 13, 103]);
    const even = sparkPoints([50, 50, 50], [0, Number.NaN, 100], 106, 20).map(([x]) => x);
    expect(even).toEqual([3, 53, 103]);
    const sameTime = sparkPoints([40, 60], [5, 5], 106, 20).map(([x]) => x);
    expect(sameTime).toEqual([3, 103]);
  });

  it('puts a single score at the right, where "now" is', () => {
    expect(sparkPoints([70], undefined, 56, 20)).toEqual([[53, 7.2]]);
  });
});

describe('Sparkline', () => {
  it('is hidden from screen readers and says how many points it drew', () => {
    render(<Sparkline values={[62, 71, 80]} tone="improving" />);
    const svg = screen.getByTestId('sparkline');
    expect(svg.getAttribute('aria-hidden')).toBe('true');
    expect(svg.getAttribute('data-points')).toBe('3');
    expect(svg.getAttribute('class')).toContain('sparkline--improving');
    expect(svg.querySelector('polyline')?.getAttribute('points')).toBe('3,8.32 28,7.06 53,5.8');
  });

  it('draws a dot and no line for one score, and nothing for none', () => {
    render(<Sparkline values={[70]} />);
    expect(screen.getByTestId('sparkline').querySelector('polyline')).toBeNull();
    expect(screen.getByTestId('sparkline').querySelector('.sparkline__dot')).not.toBeNull();
    cleanup();
    const { container } = render(<Sparkline values={[]} />);
    expect(container.innerHTML).toBe('');
  });

  it('stretches to its container with the thresholds as faint lines', () => {
    render(<Sparkline values={[40, 90]} width={300} height={72} fluid bands={{ hot: 80, cold: 40 }} testId="chart" />);
    const svg = screen.getByTestId('chart');
    expect(svg.getAttribute('width')).toBe('100%');
    expect(svg.getAttribute('preserveAspectRatio')).toBe('none');
    expect(svg.querySelectorAll('.sparkline__threshold')).toHaveLength(2);
  });
});

describe('TrendArrow', () => {
  it('shows the arrow and the word, the arrow hidden from screen readers', () => {
    render(<TrendArrow trend="declining" />);
    const trend = screen.getByTestId('trend');
    expect(trend.dataset.trend).toBe('declining');
    expect(trend.textContent).toBe('↘Declining');
    expect(trend.querySelector('[aria-hidden="true"]')?.textContent).toBe('↘');
  });

  it('compact: the dash on screen, the words for screen readers only', () => {
    render(<TrendArrow trend="not_enough_history" compact testId="lead-trend" />);
    const trend = screen.getByTestId('lead-trend');
    expect(trend.dataset.trend).toBe('not_enough_history');
    expect(trend.querySelector('.visually-hidden')?.textContent).toBe('Not enough history');
    expect(trend.querySelector('.trend__arrow')?.textContent).toBe('—');
  });
});
