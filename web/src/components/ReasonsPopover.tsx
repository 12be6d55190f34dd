/**
 * The info icon beside the badge and what it opens: the reasons (↑/↓
 * sentences) and the contribution chart, or the "Explanation unavailable"
 * stub. Opens on hover and on focus, stays open on click (click again,
 * Escape or a click elsewhere closes it).
 *
 * The panel is rendered, hidden, as soon as the page has painted (its data
 * came with the lead), so opening it only has to show it: the reasons are
 * on screen within a frame of the pointer reaching the icon.
 */
import {
  memo,
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type RefObject,
} from 'react';

import { BAND_LABEL } from '../lib/band';
import type { Explanation } from '../lib/explanation';
import { afterNextPaint, recordTooltipTiming, type TooltipTiming } from '../lib/timings';
import type { Band, Reason } from '../lib/types';
import { ContributionChart } from './ContributionChart';
import { CloseIcon, InfoIcon } from './Icons';

type Trigger = TooltipTiming['trigger'];

const CLOSE_DELAY_MS = 160;

export function ReasonsPopover({
  leadId,
  band,
  explanation,
}: {
  leadId: string;
  band: Band | null;
  explanation: Explanation;
}) {
  const [open, setOpen] = useState<{ trigger: Trigger; at: number } | null>(null);
  const [pinned, setPinned] = useState(false);
  const [prepared, setPrepared] = useState(false);
  const wrapperRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const popoverRef = useRef<HTMLDivElement>(null);
  const closeTimer = useRef<number | undefined>(undefined);
  const quietFocus = useRef(false);
  const popoverId = useId();
  const label = band ? BAND_LABEL[band] : 'this score';

  const cancelClose = () => window.clearTimeout(closeTimer.current);
  const show = (trigger: Trigger) => {
    cancelClose();
    // Timed from the event that opens it; an open popover keeps its timing.
    setOpen((current) => current ?? { trigger, at: performance.now() });
    setPrepared(true); // once shown, it stays rendered
  };
  const close = useCallback(() => {
    window.clearTimeout(closeTimer.current);
    setOpen(null);
    setPinned(false);
  }, []);
  const closeSoon = () => {
    if (pinned) return;
    cancelClose();
    closeTimer.current = window.setTimeout(() => setOpen(null), CLOSE_DELAY_MS);
  };

  useEffect(() => () => window.clearTimeout(closeTimer.current), []);

  // Render the panel (hidden) once the page is on screen.
  useEffect(() => afterNextPaint(() => setPrepared(true)), []);

  // A pinned popover closes on a click anywhere else.
  useEffect(() => {
    if (!pinned) return;
    const onPointerDown = (e: PointerEvent) => {
      if (!wrapperRef.current?.contains(e.target as Node)) close();
    };
    document.addEventListener('pointerdown', onPointerDown);
    return () => document.removeEventListener('pointerdown', onPointerDown);
  }, [pinned, close]);

  /** Focus back on the icon after closing, without the focus reopening it. */
  const returnFocus = () => {
    if (document.activeElement === buttonRef.current) return;
    quietFocus.current = true;
    buttonRef.current?.focus();
    quietFocus.current = false;
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && open) {
      e.stopPropagation();
      close();
      returnFocus();
    }
  };

  return (
    <div
      ref={wrapperRef}
      className="why"
      onPointerEnter={(e) => {
        if (e.pointerType !== 'touch') show('hover');
      }}
      onPointerLeave={(e) => {
        if (e.pointerType !== 'touch') closeSoon();
      }}
      onKeyDown={onKeyDown}
    >
      <button
        ref={buttonRef}
        type="button"
        className="icon-button why__button"
        aria-label={`Why ${label}? Show the reasons for this score`}
        aria-expanded={open !== null}
        aria-controls={popoverId}
        data-testid="why-button"
        onFocus={() => {
          if (!quietFocus.current) show('focus');
        }}
        onBlur={(e) => {
          if (!pinned && !wrapperRef.current?.contains(e.relatedTarget as Node | null)) closeSoon();
        }}
        onClick={() => {
          if (open && pinned) {
            close();
          } else {
            show('click');
            setPinned(true);
          }
        }}
      >
        <InfoIcon />
      </button>
      {open || prepared ? (
        <div
          id={popoverId}
          role="dialog"
          aria-modal="false"
          aria-labelledby={`${popoverId}-heading`}
          className="popover"
          data-testid="reasons-popover"
          data-trigger={open?.trigger}
          hidden={!open}
          ref={popoverRef}
        >
          <div className="popover__header">
            <h3 id={`${popoverId}-heading`} className="popover__title">
              Why {label}?
            </h3>
            {pinned ? (
              <button
                type="button"
                className="icon-button icon-button--small"
                aria-label="Close reasons"
                onClick={() => {
                  close();
                  returnFocus();
                }}
              >
                <CloseIcon />
              </button>
            ) : null}
          </div>
          <ReasonsBody explanation={explanation} />
          {open ? <OpenTimer popover={popoverRef} leadId={leadId} trigger={open.trigger} openedAt={open.at} /> : null}
        </div>
      ) : null}
    </div>
  );
}

/** Measures one opening: event → first frame painted with the popover. */
function OpenTimer({
  popover,
  leadId,
  trigger,
  openedAt,
}: {
  popover: RefObject<HTMLDivElement | null>;
  leadId: string;
  trigger: Trigger;
  openedAt: number;
}) {
  useLayoutEffect(
    () =>
      afterNextPaint(() => {
        const ms = performance.now() - openedAt;
        popover.current?.setAttribute('data-open-ms', ms.toFixed(1));
        recordTooltipTiming({ leadId, trigger, ms, at: openedAt });
      }),
    [popover, openedAt, leadId, trigger],
  );
  return null;
}

/** The reasons and the chart, or the stub. Memoised: opening and closing never re-render it. */
const ReasonsBody = memo(function ReasonsBody({ explanation }: { explanation: Explanation }) {
  if (!explanation.available) return <ExplanationStub why={explanation.why} />;
  return (
    <>
      {explanation.reasons.length > 0 ? (
        <div className="reason-groups" data-testid="reasons">
          <ReasonList title="Raising the score" direction="up" reasons={explanation.reasons} />
          <ReasonList title="Holding it back" direction="down" reasons={explanation.reasons} />
        </div>
      ) : (
        <p className="muted small">No single signal stands out for this lead.</p>
      )}
      <ContributionChart contributions={explanation.contributions} initialWidth={popoverContentWidth} />
    </>
  );
});

/** The reasons of one direction under their heading, largest first (as the API orders them); nothing when there are none. */
function ReasonList({
  title,
  direction,
  reasons,
}: {
  title: string;
  direction: 'up' | 'down';
  reasons: Reason[];
}) {
  const mine = reasons.filter((r) => r.direction === direction);
  if (mine.length === 0) return null;
  return (
    <section className="reason-group" data-testid={`reasons-${direction}`} aria-label={title}>
      <h3 className="reason-group__title">{title}</h3>
      <ul className="reasons">
        {mine.map((r, i) => (
          <li key={`${r.feature}-${i}`} className={`reason reason--${r.direction}`}>
            <span className="reason__arrow" aria-hidden="true">
              {r.direction === 'up' ? '↑' : '↓'}
            </span>
            <span className="visually-hidden">{r.direction === 'up' ? 'Raises the score:' : 'Lowers the score:'}</span>
            <span className="reason__text">{r.text}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The popover's inner width as the stylesheet sets it: min(30rem, 100vw − 3rem), less padding and border. */
function popoverContentWidth(): number {
  const rem = Number.parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  return Math.max(0, Math.min(30 * rem, window.innerWidth - 3 * rem) - 2 * 1.25 * rem - 2);
}

export function ExplanationStub({ why }: { why: string }) {
  return (
    <div className="stub" data-testid="explanation-unavailable">
      <p className="stub__title">Explanation unavailable</p>
      <p className="stub__text">{why} The score and badge are still valid; rescoring usually brings the reasons back.</p>
    </div>
  );
}
