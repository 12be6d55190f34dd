/**
 * How long the reasons popover took to show: from the pointer entering the
 * info icon (or its focus, or a click) to the first frame painted with the
 * popover. Kept in `window.__leadscoreTooltipTimings` (and on the popover as
 * `data-open-ms`) so tests and people with devtools can read it.
 */
export interface TooltipTiming {
  leadId: string;
  trigger: 'hover' | 'focus' | 'click';
  ms: number;
  /** performance.now() when it opened. */
  at: number;
}

declare global {
  interface Window {
    __leadscoreTooltipTimings?: TooltipTiming[];
  }
}

export function recordTooltipTiming(timing: TooltipTiming): void {
  (window.__leadscoreTooltipTimings ??= []).push(timing);
}

/** Runs `callback` right after the next frame has been painted. */
export function afterNextPaint(callback: () => void): () => void {
  let cancelled = false;
  const raf = requestAnimationFrame(() => {
    // rAF runs before the paint; a message posted from it is handled after.
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      if (!cancelled) callback();
    };
    channel.port2.postMessage(null);
  });
  return () => {
    cancelled = true;
    cancelAnimationFrame(raf);
  };
}
