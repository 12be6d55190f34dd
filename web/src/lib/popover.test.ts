import { describe, expect, it } from 'vitest';

import { placePopover } from './popover';

describe('placePopover', () => {
  it('hangs below, no taller than the room left under its anchor', () => {
    expect(placePopover({ top: 300, bottom: 340 }, 800, 56)).toEqual({ side: 'below', maxHeight: 800 - 340 - 18 });
  });

  it('goes above when the anchor is low in the window and there is more room above', () => {
    expect(placePopover({ top: 600, bottom: 640 }, 800, 56)).toEqual({ side: 'above', maxHeight: 600 - 56 - 18 });
  });

  it('stays below when there is enough room, even if there is more above', () => {
    expect(placePopover({ top: 900, bottom: 940 }, 1400, 56).side).toBe('below');
  });

  it('never squeezes it to nothing', () => {
    expect(placePopover({ top: 100, bottom: 140 }, 150, 56).maxHeight).toBe(160);
  });
});
