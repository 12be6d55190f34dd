/**
 * An endpoint's delivery log (`GET …/deliveries`, newest first): each
 * delivery's event, status in words, attempts, the endpoint's last answer
 * and when; Replay sends one again with the same webhook-id, then the log
 * is read again. It is read when opened and on Refresh, not polled.
 */
import { useState } from 'react';

import { fetchDeliveries, replayDelivery, type ApiError } from '../lib/api';
import { toApiError, useLoad, useNow } from '../lib/hooks';
import { formatAge, formatDateTime } from '../lib/time';
import type { WebhookDelivery, WebhookEndpoint } from '../lib/types';
import { deliveryStatus, lastAnswer } from '../lib/webhooks';
import { RefreshIcon } from './Icons';
import { ErrorState, Spinner } from './States';

/** The newest deliveries shown (the host's default page). */
export const DELIVERY_LIMIT = 100;

function replayErrorText(error: ApiError): string {
  if (error.status === 404) return `This delivery can no longer be replayed: ${error.message}`;
  if (error.isAuth) return `You need the “crm.admin.models” scope to replay a delivery. ${error.message}`;
  return `The replay failed: ${error.message}`;
}

export function DeliveryLog({ id, endpoint }: { id: string; endpoint: WebhookEndpoint }) {
  const [log, reload] = useLoad((signal) => fetchDeliveries(endpoint.id, DELIVERY_LIMIT, signal), [endpoint.id]);
  const [replaying, setReplaying] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const replay = async (row: WebhookDelivery) => {
    setReplaying(row.delivery_id);
    setError(null);
    try {
      await replayDelivery(row.delivery_id);
      reload();
    } catch (e) {
      setError(replayErrorText(toApiError(e)));
    } finally {
      setReplaying(null);
    }
  };

  const loading = log.status === 'loading';
  const rows = log.data?.deliveries;
  return (
    <div id={id} className="delivery-log" data-testid="delivery-log">
      <div className="delivery-log__bar">
        <h4 className="delivery-log__title">Deliveries</h4>
        <button
          type="button"
          className="button button--ghost button--small"
          onClick={() => {
            setError(null);
            reload();
          }}
          disabled={loading}
          data-testid="deliveries-refresh"
        >
          {loading ? <Spinner label="Refreshing" /> : <RefreshIcon />} Refresh
        </button>
      </div>
      {error ? (
        <p className="notice notice--error" role="alert" data-testid="replay-error">
          {error}
        </p>
      ) : null}
      {log.status === 'error' ? (
        <ErrorState error={log.error} title="The deliveries could not be loaded" onRetry={reload} compact />
      ) : null}
      {!rows ? (
        log.status === 'loading' ? (
          <p className="muted small">
            <Spinner label="Loading the deliveries" /> Loading the deliveries…
          </p>
        ) : null
      ) : rows.length === 0 ? (
        <p className="muted small" data-testid="deliveries-empty">
          No deliveries yet: every scoring of a lead sends this endpoint the events it subscribes to.
        </p>
      ) : (
        <DeliveryTable endpoint={endpoint} rows={rows} replaying={replaying} onReplay={(r) => void replay(r)} />
      )}
    </div>
  );
}

function DeliveryTable({
  endpoint,
  rows,
  replaying,
  onReplay,
}: {
  endpoint: WebhookEndpoint;
  rows: WebhookDelivery[];
  /** The delivery being replayed, if any: every Replay waits for it. */
  replaying: string | null;
  onReplay: (row: WebhookDelivery) => void;
}) {
  const now = useNow();
  return (
    <>
      <div className="table-wrap">
        <table className="table table--stack delivery-table">
          <caption className="visually-hidden">Deliveries to {endpoint.url}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Attempts
              </th>
              <th scope="col">Last answer</th>
              <th scope="col">When</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const status = deliveryStatus(row, now);
              const answer = lastAnswer(row);
              return (
                <tr key={row.delivery_id} data-testid="delivery" data-delivery={row.delivery_id} data-status={row.status}>
                  <th scope="row" className="mono">
                    {row.event_type}
                  </th>
                  <td className="table__wide" data-testid="delivery-status">
                    {/* The word says it; the tint only repeats it. */}
                    <span className={`delivery-status delivery-status--${status.tone}`}>{status.label}</span>
                    {status.detail ? <span className="small"> ({status.detail})</span> : null}
                  </td>
                  <td className="num" data-label="Attempts" data-testid="delivery-attempts">
                    {row.attempts}
                  </td>
                  <td className="delivery-table__answer" data-label="Last answer" data-testid="delivery-answer">
                    {answer ?? <span className="muted">—</span>}
                  </td>
                  <td data-label="When">
                    <span title={formatDateTime(row.created_at)}>{formatAge(row.created_at, now)}</span>
                  </td>
                  <td className="actions table__wide">
                    <button
                      type="button"
                      className="button button--small"
                      disabled={replaying !== null}
                      onClick={() => onReplay(row)}
                      data-testid="delivery-replay"
                    >
                      {replaying === row.delivery_id ? <Spinner label="Replaying" /> : null} Replay
                      <span className="visually-hidden"> the {row.event_type} delivery of {formatAge(row.created_at, now)}</span>
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {rows.length >= DELIVERY_LIMIT ? (
        <p className="muted small">The newest {DELIVERY_LIMIT} deliveries.</p>
      ) : null}
    </>
  );
}
