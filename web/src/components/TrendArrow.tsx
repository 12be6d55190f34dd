/**
 * The trend as an arrow with its word: ↗ Improving, → Steady, ↘ Declining,
 * "—" without enough history. The arrow is decoration (aria-hidden); the
 * word is always there for screen readers, and shown unless `compact`.
 */
import { trendLook } from '../lib/trend';
import type { Trend } from '../lib/types';

export function TrendArrow({
  trend,
  compact = false,
  testId = 'trend',
}: {
  trend: Trend;
  /** Only the arrow on screen; the word stays for screen readers. */
  compact?: boolean;
  testId?: string;
}) {
  const { arrow, label } = trendLook(trend);
  return (
    <span className={`trend trend--${trend}`} data-testid={testId} data-trend={trend}>
      <span className="trend__arrow" aria-hidden="true">
        {arrow}
      </span>
      <span className={compact ? 'visually-hidden' : 'trend__label'}>{label}</span>
    </span>
  );
}
