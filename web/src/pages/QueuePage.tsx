/**
 * The work queue: the tenant's scored leads, hottest first, with band filter,
 * search and paging; each row with its trend (a sparkline of its recent
 * scores and an arrow) and the reason that raised its score most. Leads in
 * the control group come last, with the grey "control group" pill and no
 * score.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';

import { Badge } from '../components/Badge';
import { CONTROL_GROUP_DESCRIPTION, ControlGroupPill } from '../components/ControlGroupPill';
import { ChevronIcon, SearchIcon, CloseIcon } from '../components/Icons';
import { Sparkline } from '../components/Sparkline';
import { EmptyState, ErrorState, Spinner } from '../components/States';
import { TrendArrow } from '../components/TrendArrow';
import { fetchQueue } from '../lib/api';
import { BAND_LABEL, BANDS, displayBand, parseBand } from '../lib/band';
import { useDebounced, useDocumentTitle, useLoad, useNow } from '../lib/hooks';
import { hrefWithQuery, leadHref, navigate } from '../lib/router';
import { formatAge, formatDateTime } from '../lib/time';
import { parseTrend, readScores, trendSentence } from '../lib/trend';
import type { Band, QueueLead } from '../lib/types';

export const PAGE_SIZE = 25;
const SEARCH_DEBOUNCE_MS = 300;

export function QueuePage({ query }: { query: URLSearchParams }) {
  useDocumentTitle('Work queue');
  const band = parseBand(query.get('band'));
  const q = query.get('q') ?? '';
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  const offset = (page - 1) * PAGE_SIZE;

  const go = (next: { band?: Band | null; q?: string; page?: number }, replace = false) =>
    navigate(
      hrefWithQuery('/', {
        band: next.band !== undefined ? next.band : band,
        q: next.q !== undefined ? next.q : q,
        page: (next.page ?? 1) > 1 ? next.page : null,
      }),
      { replace },
    );

  // The search box types freely; the query follows once typing pauses.
  const [text, setText] = useState(q);
  const debounced = useDebounced(text, SEARCH_DEBOUNCE_MS);
  const pushed = useRef(q.trim());
  useEffect(() => {
    if (debounced.trim() !== q.trim()) {
      pushed.current = debounced.trim();
      go({ q: debounced.trim(), page: 1 }, true);
    }
    // (only when the typed text settles; `go` reads the current query)
  }, [debounced]);
  useEffect(() => {
    // Back/forward or a link: the box shows the query of the page shown.
    if (q.trim() !== pushed.current) {
      pushed.current = q.trim();
      setText(q);
    }
  }, [q]);

  const [state, reload] = useLoad(
    (signal) => fetchQueue({ band, q, limit: PAGE_SIZE, offset }, signal),
    [band, q, offset],
  );
  const data = state.data;
  const filtered = band !== null || q.trim() !== '';
  const searchId = useId();

  return (
    <div className="page page--queue">
      <header className="page-header">
        <div>
          <h1 className="page-title">Work queue</h1>
          <p className="page-subtitle">Your leads, hottest first. Open one to see why it scored the way it did.</p>
        </div>
      </header>

      <div className="toolbar" role="search">
        <div className="segmented" role="group" aria-label="Filter by band">
          {([null, ...BANDS] as (Band | null)[]).map((b) => (
            <button
              key={b ?? 'all'}
              type="button"
              className={`segmented__option${b ? ` segmented__option--${b}` : ''}`}
              aria-pressed={band === b}
              onClick={() => go({ band: b, page: 1 })}
              data-testid={`filter-${b ?? 'all'}`}
            >
              {b ? BAND_LABEL[b] : 'All'}
            </button>
          ))}
        </div>
        <div className="search">
          <label htmlFor={searchId} className="visually-hidden">
            Search by name or company
          </label>
          <SearchIcon />
          <input
            id={searchId}
            type="search"
            className="input search__input"
            placeholder="Search name or company"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') go({ q: text.trim(), page: 1 }, true);
            }}
            autoComplete="off"
            data-testid="search"
          />
          {text ? (
            <button
              type="button"
              className="icon-button icon-button--small search__clear"
              aria-label="Clear search"
              onClick={() => {
                setText('');
                go({ q: '', page: 1 }, true);
              }}
            >
              <CloseIcon />
            </button>
          ) : null}
        </div>
      </div>

      <div className="queue-summary" aria-live="polite">
        {data ? (
          <span data-testid="queue-total">
            {data.total === 0
              ? 'No leads'
              : `${data.total.toLocaleString()} ${data.total === 1 ? 'lead' : 'leads'}${filtered ? ' match' : ''}`}
          </span>
        ) : null}
        {state.status === 'loading' ? <Spinner label="Loading leads" /> : null}
      </div>

      {state.status === 'error' ? (
        <ErrorState error={state.error} onRetry={reload} compact={Boolean(data)} />
      ) : null}

      {!data && state.status === 'loading' ? (
        <SkeletonRows />
      ) : data && data.leads.length === 0 ? (
        filtered ? (
          <EmptyState title="No leads match">
            <p>Try another band or search term.</p>
            <button
              type="button"
              className="button"
              onClick={() => {
                setText('');
                go({ band: null, q: '', page: 1 });
              }}
            >
              Clear filters
            </button>
          </EmptyState>
        ) : data.total > 0 ? (
          <EmptyState title="Nothing on this page">
            <a className="button" href={hrefWithQuery('/', {})}>
              Back to the first page
            </a>
          </EmptyState>
        ) : (
          <EmptyState title="No scored leads yet">
            <p>Leads appear here as soon as your CRM sends them for scoring.</p>
          </EmptyState>
        )
      ) : data ? (
        <>
          <QueueList leads={data.leads} stale={state.status === 'loading'} />
          <Pager total={data.total} offset={data.offset} limit={PAGE_SIZE} onPage={(p) => go({ page: p })} />
        </>
      ) : null}
    </div>
  );
}

function QueueList({ leads, stale }: { leads: QueueLead[]; stale: boolean }) {
  const now = useNow();
  const listRef = useRef<HTMLUListElement>(null);
  const controlDescriptionId = useId();
  const anyControl = leads.some((l) => l.control_group === true);

  // ↑/↓ move between rows; Enter opens (rows are links).
  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const rows = Array.from(listRef.current?.querySelectorAll<HTMLAnchorElement>('a.queue-row') ?? []);
    const i = rows.indexOf(document.activeElement as HTMLAnchorElement);
    if (i < 0) return;
    const next = rows[e.key === 'ArrowDown' ? Math.min(rows.length - 1, i + 1) : Math.max(0, i - 1)];
    next?.focus();
    e.preventDefault();
  };

  return (
    <div className={`queue${stale ? ' queue--stale' : ''}`} aria-busy={stale}>
      <div className="queue-head" aria-hidden="true">
        <span>Band</span>
        <span className="queue-head__score">Score</span>
        <span className="queue-head__trend">Trend</span>
        <span>Lead</span>
        <span className="queue-head__age">Scored</span>
      </div>
      <ul className="queue-list" ref={listRef} onKeyDown={onKeyDown} data-testid="queue">
        {leads.map((lead) =>
          lead.control_group === true ? (
            <ControlRow key={lead.lead_id} lead={lead} descriptionId={controlDescriptionId} />
          ) : (
            <ScoredRow key={lead.lead_id} lead={lead} now={now} />
          ),
        )}
      </ul>
      {anyControl ? (
        <p id={controlDescriptionId} hidden>
          {CONTROL_GROUP_DESCRIPTION}
        </p>
      ) : null}
    </div>
  );
}

function ScoredRow({ lead, now }: { lead: QueueLead; now: number }) {
  const band = displayBand(lead.band, lead.score);
  return (
    <li>
      <a className="queue-row" href={leadHref(lead.lead_id)} data-testid="queue-row" data-lead-id={lead.lead_id}>
        <span className="queue-row__badge">
          <Badge band={band} />
        </span>
        <span className="queue-row__score" data-testid="queue-score">
          <span className="visually-hidden">score </span>
          {lead.score ?? '—'}
        </span>
        <RowTrend lead={lead} />
        <LeadWho lead={lead} />
        <span className="queue-row__age" title={lead.scored_at ? formatDateTime(lead.scored_at) : undefined}>
          {lead.scored_at ? `scored ${formatAge(lead.scored_at, now)}` : 'not scored'}
        </span>
        <RowChevron />
      </a>
    </li>
  );
}

/** A holdout lead: the grey pill across the badge and score columns, no score, no band. */
function ControlRow({ lead, descriptionId }: { lead: QueueLead; descriptionId: string }) {
  return (
    <li>
      <a
        className="queue-row queue-row--control"
        href={leadHref(lead.lead_id)}
        data-testid="queue-row"
        data-lead-id={lead.lead_id}
        data-control-group="true"
        aria-describedby={descriptionId}
      >
        <span className="queue-row__badge queue-row__badge--control">
          <ControlGroupPill />
        </span>
        <LeadWho lead={lead} />
        <span className="queue-row__age" />
        <RowChevron />
      </a>
    </li>
  );
}

/**
 * The sparkline of the lead's recent scores (hidden on narrow screens) and
 * the trend arrow. The sparkline is decoration: the arrow's word says the
 * trend to screen readers. Nothing for a row without a trend (an older host).
 */
function RowTrend({ lead }: { lead: QueueLead }) {
  const trend = parseTrend(lead.trend);
  const scores = readScores(lead.recent_scores);
  return (
    <span className="queue-row__trend" title={trendSentence(trend, scores) || undefined}>
      {/* One score is a dot that says nothing: a line from two (the space stays, so arrows line up). */}
      <span className="queue-row__spark">{scores.length > 1 ? <Sparkline values={scores} tone={trend} /> : null}</span>
      {/* Without enough history most rows would say so: the dash alone, the words for screen readers. */}
      {trend ? <TrendArrow trend={trend} compact={trend === 'not_enough_history'} /> : null}
    </span>
  );
}

function LeadWho({ lead }: { lead: QueueLead }) {
  const reason = typeof lead.top_reason === 'string' ? lead.top_reason.trim() : '';
  return (
    <span className="queue-row__who">
      <span className="queue-row__name">{lead.name?.trim() || lead.lead_id}</span>
      <span className="queue-row__company">{lead.company || 'Company unknown'}</span>
      {reason ? (
        <span className="queue-row__reason" data-testid="top-reason" title={reason}>
          <span className="visually-hidden">Top reason: </span>
          {reason}
        </span>
      ) : null}
    </span>
  );
}

function RowChevron() {
  return (
    <span className="queue-row__chevron" aria-hidden="true">
      <ChevronIcon />
    </span>
  );
}

function Pager({
  total,
  offset,
  limit,
  onPage,
}: {
  total: number;
  offset: number;
  limit: number;
  onPage: (page: number) => void;
}) {
  if (total <= limit && offset === 0) return null;
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(total, offset + limit);
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" className="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        <ChevronIcon direction="left" /> Previous
      </button>
      <span className="pager__info">
        {first}–{last} of {total.toLocaleString()} · page {page} of {pages}
      </span>
      <button type="button" className="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next <ChevronIcon direction="right" />
      </button>
    </nav>
  );
}

function SkeletonRows() {
  return (
    <div className="queue" aria-hidden="true" data-testid="loading">
      <ul className="queue-list">
        {Array.from({ length: 6 }, (_, i) => (
          <li key={i}>
            <div className="queue-row queue-row--skeleton">
              <span className="skeleton skeleton--badge" />
              <span className="skeleton skeleton--score" />
              <span className="queue-row__trend" />
              <span className="queue-row__who">
                <span className="skeleton skeleton--line" />
                <span className="skeleton skeleton--line skeleton--short" />
              </span>
              <span className="skeleton skeleton--age" />
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
