/**
 * The info icon beside the badge and what it opens: the chance of closing,
 * the reasons (↑/↓ sentences) and the contribution waterfall, or the
 * "Explanation unavailable" stub. Opens on hover and on focus, stays open
 * on click (click again, Escape or a click elsewhere closes it).
 *
 * The panel is rendered and laid out, invisible, as soon as the page has
 * painted (its data came with the lead), so opening it only has to paint
 * it: the reasons are on screen within a frame of the pointer reaching the
 * icon. Opening reads one box (where the icon's row is) to keep the panel
 * within the window; it is laid out again only when that place changed.
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
import { placePopover, type Placement } from '../lib/popover';
import { afterNextPaint, recordTooltipTiming, type TooltipTiming } from '../lib/timings';
import type { Band, Reason } from '../lib/types';
import { ContributionChart } from './ContributionChart';
import { CloseIcon, InfoIcon } from './Icons';

type Trigger = TooltipTiming['trigger'];

const CLOSE_DELAY_MS = 160;
/** The app's sticky header covers this much of the window's top (3.5rem). */
const HEADER_HEIGHT = 56;

export function ReasonsPopover({
  leadId,
  band,
  explanation,
  likelihood = null,
}: {
  leadId: string;
  band: Band | null;
  explanation: Explanation;
  /** "5.7 % likely to close — 1.3× the average lead", under the title. */
  likelihood?: string | null;
}) {
  const [open, setOpen] = useState<{ trigger: Trigger; at: number } | null>(null);
  const [pinned, setPinned] = useState(false);
  // Where the panel goes; null until the page has painted and the panel is prepared.
  const [placement, setPlacement] = useState<Placement | null>(null);
  const wrapperRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const popoverRef = useRef<HTMLDivElement>(null);
  const closeTimer = useRef<number | undefined>(undefined);
  const quietFocus = useRef(false);
  const popoverId = useId();
  const label = band ? BAND_LABEL[band] : 'this score';

  const cancelClose = () => window.clearTimeout(closeTimer.current);
  /** Where the panel fits now; the same object when nothing moved, so React keeps the layout. */
  const place = () => {
    // The popover hangs from the icon's positioned ancestor (the badge row).
    const anchor = (wrapperRef.current?.offsetParent ?? wrapperRef.current)?.getBoundingClientRect();
    const next = placePopover(anchor ?? { top: 0, bottom: 0 }, window.innerHeight, HEADER_HEIGHT);
    setPlacement((current) =>
      current && current.side === next.side && current.maxHeight === next.maxHeight ? current : next,
    );
  };
  const show = (trigger: Trigger) => {
    cancelClose();
    const at = performance.now();
    // Timed from the event that opens it; an open popover keeps its timing and place.
    if (open === null) place();
    setOpen((current) => current ?? { trigger, at });
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

  // Render and lay out the panel (invisible) once the page is on screen.
  useEffect(() => afterNextPaint(place), []);

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
      {placement ? (
        <div
          id={popoverId}
          role="dialog"
          aria-modal="false"
          aria-labelledby={`${popoverId}-heading`}
          className={`popover popover--${placement.side}${explanation.available ? ' popover--split' : ''}`}
          data-testid="reasons-popover"
          data-trigger={open?.trigger}
          hidden={!open}
          ref={popoverRef}
          style={{ maxHeight: placement.maxHeight }}
        >
          <div className="popover__header">
            <div>
              <h3 id={`${popoverId}-heading`} className="popover__title">
                Why {label}?
              </h3>
              {likelihood ? (
                <p className="popover__likelihood" data-testid="popover-likelihood">
                  {likelihood}
                </p>
              ) : null}
            </div>
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

/**
 * The reasons and the chart (side by side on a wide screen), or the stub,
 * in the part of the popover that scrolls when the window is too short.
 * Memoised: opening and closing never re-render it.
 */
const ReasonsBody = memo(function ReasonsBody({ explanation }: { explanation: Explanation }) {
  if (!explanation.available) {
    return (
      <div className="popover__body">
        <ExplanationStub why={explanation.why} />
      </div>
    );
  }
  return (
    // Focusable, so that a keyboard can scroll it when it has to scroll.
    <div className="popover__body popover__body--split" tabIndex={0} role="group" aria-label="Reasons and contributions">
      {explanation.reasons.length > 0 ? (
        <div className="reason-groups" data-testid="reasons">
          <ReasonList title="Raising the score" direction="up" reasons={explanation.reasons} />
          <ReasonList title="Holding it back" direction="down" reasons={explanation.reasons} />
        </div>
      ) : (
        <p className="muted small">No single signal stands out for this lead.</p>
      )}
      <ContributionChart
        contributions={explanation.contributions}
        baseValue={explanation.baseValue}
        margin={explanation.margin}
      />
    </div>
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

export function ExplanationStub({ why }: { why: string }) {
  return (
    <div className="stub" data-testid="explanation-unavailable">
      <p className="stub__title">Explanation unavailable</p>
      <p className="stub__text">{why} The score and badge are still valid; rescoring usually brings the reasons back.</p>
    </div>
  );
}
