import { BAND_LABEL } from '../lib/band';
import type { Band } from '../lib/types';
import { FlameIcon, SnowIcon, SunIcon } from './Icons';

const ICON = { hot: FlameIcon, warm: SunIcon, cold: SnowIcon } as const;

/** The Hot / Warm / Cold badge: colour, icon and the word, never colour alone. */
export function Badge({ band, size = 'md' }: { band: Band | null; size?: 'md' | 'lg' }) {
  if (!band) {
    return (
      <span className={`badge badge--none badge--${size}`} data-testid="badge" data-band="">
        Not scored
      </span>
    );
  }
  const Icon = ICON[band];
  return (
    <span className={`badge badge--${band} badge--${size}`} data-testid="badge" data-band={band}>
      <Icon />
      <span className="badge__label">{BAND_LABEL[band]}</span>
    </span>
  );
}
