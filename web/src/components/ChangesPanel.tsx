/**
 * "What changed since …": why the score moved between the lead's two
 * latest scorings, split exactly into parts (the model's first, then each
 * feature's), each with its signed share in log-odds. The float rounding
 * the host closes the sum with is a footnote, not a row. Fewer than two
 * scorings, two that cannot be compared (409) or any other error is said
 * in a line; the rest of the page carries on.
 */
import { useId, useState } from 'react';

import type { Loadable } from '../lib/hooks';
import { changeRows, formatDelta, scoreMove, scoredAt, type ScorePoint } from '../lib/history';
import { formatDateTime } from '../lib/time';
import type { ChangePart, Changes } from '../lib/types';
import { RefreshIcon } from './Icons';
import { Spinner } from './States';

/** Parts shown before "Show all": the largest, which explain most of the move. */
export const PARTS_SHOWN = 8;

export const NO_EARLIER_SCORE = 'No earlier score to compare with yet';
export const UNITS_SENTENCE = 'In log-odds; the parts add up exactly to the change.';

export function ChangesPanel({
  state,
  points,
  onRetry,
}: {
  state: Loadable<Changes>;
  /** The history, for the date of the earlier scoring. */
  points: ScorePoint[];
  onRetry: () => void;
}) {
  const id = useId();
  const changes = state.data;
  const since = changes ? scoredAt(points, changes.from.request_id) : null;
  const title = since !== null ? `What changed since ${formatDateTime(since)}` : 'What changed since the previous score';
  return (
    <section className="card changes" aria-labelledby={id} data-testid="changes">
      <h2 id={id} className="card__title" data-testid="changes-title">
        {title}
      </h2>
      {changes ? (
        <ChangeBody changes={changes} />
      ) : state.status === 'error' ? (
        <ChangeError status={state.error.status} code={state.error.code} message={state.error.message} onRetry={onRetry} />
      ) : (
        <Spinner label="Loading what changed" />
      )}
    </section>
  );
}

function ChangeError({
  status,
  code,
  message,
  onRetry,
}: {
  status: number;
  code: string;
  message: string;
  onRetry: () => void;
}) {
  // 404: fewer than two scorings (or, from an older host, no such route): nothing to compare yet.
  if (status === 404 && code !== 'control_group') {
    return (
      <p className="muted" data-testid="changes-empty">
        {NO_EARLIER_SCORE}
      </p>
    );
  }
  // 409 cannot_compare: the host says why these two scorings cannot be compared.
  if (status === 409) {
    return (
      <p className="notice notice--muted" data-testid="changes-error">
        {message}
      </p>
    );
  }
  return (
    <p className="notice notice--muted" data-testid="changes-error">
      <span>What changed could not be loaded: {message}</span>
      <button type="button" className="button button--small" onClick={onRetry}>
        <RefreshIcon /> Try again
      </button>
    </p>
  );
}

function ChangeBody({ changes }: { changes: Changes }) {
  const [all, setAll] = useState(false);
  const { rows, rounding } = changeRows(changes);
  const { from, to } = changes;
  const shown = all ? rows : rows.slice(0, PARTS_SHOWN);
  const hidden = rows.slice(shown.length);
  const hiddenSum = hidden.reduce((s, p) => s + p.delta, 0);
  return (
    <>
      <p className="changes__score" data-testid="changes-score">
        Score {scoreMove(from.score, to.score)}
        {from.model_version !== to.model_version ? (
          <span className="muted small">
            {' '}
            · {from.model_version} → {to.model_version}
          </span>
        ) : null}
      </p>
      {rows.length === 0 ? (
        <p className="muted">Nothing the model reads has changed.</p>
      ) : (
        <ul className="change-list" aria-label="What moved the score, largest first">
          {shown.map((p, i) => (
            <PartRow key={`${p.kind}-${p.feature ?? ''}-${i}`} part={p} />
          ))}
          {hidden.length > 0 ? (
            <li className="change-list__item change-list__item--rest" data-testid="change-rest">
              <span className="change-list__text">
                {hidden.length} smaller {hidden.length === 1 ? 'part' : 'parts'}{' '}
                <button type="button" className="link-button" onClick={() => setAll(true)} data-testid="changes-show-all">
                  Show all {rows.length}
                </button>
              </span>
              <Delta delta={hiddenSum} />
            </li>
          ) : null}
        </ul>
      )}
      <p className="muted small" data-testid="changes-units">
        {UNITS_SENTENCE}
        {rounding ? (
          <span data-testid="changes-rounding">
            {' '}
            {/* The rounding part's own words, with its (tiny) share. */}
            {rounding.text} ({formatDelta(rounding.delta)}).
          </span>
        ) : null}
      </p>
    </>
  );
}

function PartRow({ part }: { part: ChangePart }) {
  return (
    <li className={`change-list__item change-list__item--${part.kind}`} data-testid="change-part" data-kind={part.kind}>
      <span className="change-list__text">{part.text}</span>
      <Delta delta={part.delta} />
    </li>
  );
}

function Delta({ delta }: { delta: number }) {
  const direction = delta > 0 ? 'up' : delta < 0 ? 'down' : 'none';
  return (
    <span className={`change-delta change-delta--${direction}`} data-testid="change-delta">
      {formatDelta(delta)}
    </span>
  );
}
