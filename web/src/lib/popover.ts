/**
 * Where a popover hanging from an anchor fits in the window: below it
 * unless there is clearly more room above, and never taller than that room
 * (it scrolls inside instead), so its end is on screen without scrolling
 * the page. Worked out once when it opens, from one box already laid out.
 */

export interface Placement {
  side: 'below' | 'above';
  /** In CSS pixels. */
  maxHeight: number;
}

/** Between the anchor and the popover (the stylesheet's offset), and between the popover and the window's edge. */
const OFFSET = 6;
const MARGIN = 12;
/** Room below that is enough, whatever is above. */
const ENOUGH = 400;
/** Never squeeze the popover shorter than this (a window too short for it scrolls the page). */
const MIN_HEIGHT = 160;

/**
 * `anchor`: the box the popover hangs from, in viewport coordinates;
 * `topInset`: what covers the window's top (a sticky header).
 */
export function placePopover(
  anchor: { top: number; bottom: number },
  viewportHeight: number,
  topInset = 0,
): Placement {
  const below = viewportHeight - anchor.bottom - OFFSET - MARGIN;
  const above = anchor.top - topInset - OFFSET - MARGIN;
  const side = below >= ENOUGH || below >= above ? 'below' : 'above';
  return { side, maxHeight: Math.max(MIN_HEIGHT, Math.floor(side === 'below' ? below : above)) };
}
