/**
 * "Webhooks" on the admin page: the tenant's endpoints for lead events
 * (`GET /integrations/webhooks`), registering one (its signing secret is
 * in that answer only, so it is shown once, here, and kept nowhere),
 * deleting one after a confirmation, and each endpoint's delivery log.
 * A refusal (400) shows the host's message, which names the field.
 * Without the scope to read the endpoints (401/403) the card is not shown.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';

import { deleteWebhook, fetchWebhooks, registerWebhook, type ApiError } from '../lib/api';
import { toApiError, useLoad, useNow } from '../lib/hooks';
import { formatAge, formatDateTime } from '../lib/time';
import type { WebhookEndpoint } from '../lib/types';
import { draftRequest, EMPTY_DRAFT, EVENT_TYPES, type WebhookDraft } from '../lib/webhooks';
import { FormActions } from './FormActions';
import { ErrorState, LoadingBlock, Spinner, SuccessNotice } from './States';
import { DeliveryLog } from './WebhookDeliveries';

const ADMIN_SCOPE = 'crm.admin.models';

export function webhookErrorText(error: ApiError, what: string): string {
  if (error.status === 400) return `The ${what} was refused: ${error.message}`;
  if (error.isAuth) return `You need the “${ADMIN_SCOPE}” scope to change webhooks. ${error.message}`;
  return `The ${what} failed: ${error.message}`;
}

export function WebhooksCard() {
  const ids = useId();
  const [state, reload, replace] = useLoad((signal) => fetchWebhooks(signal), []);
  const [adding, setAdding] = useState(false);
  // The registration's answer, with its secret: in memory only, gone on reload or "Done".
  const [created, setCreated] = useState<WebhookEndpoint | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // Closing the form or the secret unmounts the focused control: focus goes back to the button.
  const addRef = useRef<HTMLButtonElement>(null);
  const [refocus, setRefocus] = useState(0);
  useEffect(() => {
    if (refocus > 0) addRef.current?.focus();
  }, [refocus]);
  const backToAdd = () => setRefocus((n) => n + 1);

  if (state.status === 'error' && state.error.isAuth) return null;

  const endpoints = state.data?.endpoints ?? [];

  const registered = (endpoint: WebhookEndpoint) => {
    const { secret: _shownOnce, ...listed } = endpoint;
    replace({ endpoints: [...endpoints, listed] });
    setAdding(false);
    setNotice(null);
    setCreated(endpoint);
  };

  const deleted = (endpoint: WebhookEndpoint) => {
    replace({ endpoints: endpoints.filter((e) => e.id !== endpoint.id) });
    if (created?.id === endpoint.id) setCreated(null);
    setNotice(`Deleted the endpoint for ${endpoint.url}. Deliveries not yet made to it were given up.`);
  };

  return (
    <section className="card" aria-labelledby={`${ids}-title`} data-testid="webhooks">
      <div>
        <h2 id={`${ids}-title`} className="card__title">
          Webhooks
        </h2>
        <p className="muted small">
          Lead events sent to your systems as they happen: an HTTP POST of JSON to each endpoint subscribed to the
          event, signed per Standard Webhooks, and retried until the endpoint answers with a 2xx (for 24 hours by
          default).
        </p>
      </div>
      {!state.data ? (
        state.status === 'error' ? (
          <ErrorState error={state.error} title="The webhooks could not be loaded" onRetry={reload} compact />
        ) : (
          <LoadingBlock label="Loading the webhooks" />
        )
      ) : (
        <>
          <SuccessNotice text={notice} testId="webhooks-notice" onDismiss={() => setNotice(null)} />
          <EndpointList endpoints={endpoints} onDeleted={deleted} onGone={reload} />
          {created?.secret ? (
            <NewSecret
              endpoint={created}
              secret={created.secret}
              onDone={() => {
                setCreated(null);
                backToAdd();
              }}
            />
          ) : null}
          {adding ? (
            <RegisterForm
              onRegistered={registered}
              onCancel={() => {
                setAdding(false);
                backToAdd();
              }}
            />
          ) : (
            <div>
              <button
                ref={addRef}
                type="button"
                className="button"
                onClick={() => {
                  setNotice(null);
                  setAdding(true);
                }}
                data-testid="add-webhook"
              >
                Register an endpoint
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function EndpointList({
  endpoints,
  onDeleted,
  onGone,
}: {
  endpoints: WebhookEndpoint[];
  onDeleted: (endpoint: WebhookEndpoint) => void;
  /** The host no longer has an endpoint shown: load the list again. */
  onGone: () => void;
}) {
  const ids = useId();
  return (
    <div>
      <h3 id={`${ids}-title`} className="webhooks__subtitle">
        Endpoints <span className="count">{endpoints.length}</span>
      </h3>
      {endpoints.length === 0 ? (
        <p className="muted small" data-testid="webhooks-empty">
          No endpoint yet: no lead events are sent.
        </p>
      ) : (
        <ul className="webhook-list" aria-labelledby={`${ids}-title`}>
          {endpoints.map((e) => (
            <EndpointItem key={e.id} endpoint={e} onDeleted={() => onDeleted(e)} onGone={onGone} />
          ))}
        </ul>
      )}
    </div>
  );
}

/** One endpoint: where, which events, since when; its deliveries on demand; delete after a confirmation. */
function EndpointItem({
  endpoint,
  onDeleted,
  onGone,
}: {
  endpoint: WebhookEndpoint;
  onDeleted: () => void;
  onGone: () => void;
}) {
  const ids = useId();
  const now = useNow();
  const [open, setOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Leaving the confirmation (Cancel, or a refusal) gives the focus back to Delete.
  const deleteRef = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);
  useEffect(() => {
    if (wasConfirming.current && !confirming) deleteRef.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);

  const remove = async () => {
    setDeleting(true);
    setError(null);
    try {
      await deleteWebhook(endpoint.id);
      onDeleted();
    } catch (e) {
      const err = toApiError(e);
      setConfirming(false);
      // Deleted meanwhile (another admin, another tab): the list is out of date.
      if (err.status === 404) onGone();
      else setError(webhookErrorText(err, 'deletion'));
    } finally {
      setDeleting(false);
    }
  };

  return (
    <li className="webhook" data-testid="webhook" data-endpoint={endpoint.id}>
      <div className="webhook__head">
        <div className="webhook__what">
          <p className="webhook__url mono" data-testid="webhook-url">
            {endpoint.url}
          </p>
          <ul className="webhook__events" aria-label="Events sent">
            {endpoint.events.map((event) => (
              <li key={event} className="pill mono small" data-testid="webhook-event">
                {event}
              </li>
            ))}
          </ul>
          <p className="muted small" data-testid="webhook-registered">
            Registered <span title={formatDateTime(endpoint.created_at)}>{formatAge(endpoint.created_at, now)}</span>
          </p>
        </div>
        <div className="webhook__actions">
          <button
            type="button"
            className="button button--small"
            aria-expanded={open}
            aria-controls={`${ids}-log`}
            onClick={() => setOpen((o) => !o)}
            data-testid="webhook-deliveries"
          >
            {open ? 'Hide deliveries' : 'Deliveries'}
            <span className="visually-hidden"> to {endpoint.url}</span>
          </button>
          {!confirming ? (
            <button
              ref={deleteRef}
              type="button"
              className="button button--small"
              onClick={() => {
                setError(null);
                setConfirming(true);
              }}
              data-testid="webhook-delete"
            >
              Delete<span className="visually-hidden"> the endpoint {endpoint.url}</span>
            </button>
          ) : null}
        </div>
      </div>
      {confirming ? (
        <DeleteConfirm url={endpoint.url} busy={deleting} onCancel={() => setConfirming(false)} onConfirm={() => void remove()} />
      ) : null}
      {error ? (
        <p className="notice notice--error" role="alert" data-testid="webhook-delete-error">
          {error}
        </p>
      ) : null}
      {open ? <DeliveryLog id={`${ids}-log`} endpoint={endpoint} /> : null}
    </li>
  );
}

function DeleteConfirm({
  url,
  busy,
  onCancel,
  onConfirm,
}: {
  url: string;
  busy: boolean;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const ids = useId();
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => confirmRef.current?.focus(), []);
  return (
    <div className="confirm" role="group" aria-labelledby={`${ids}-text`} data-testid="webhook-delete-confirm">
      <p id={`${ids}-text`} className="confirm__text">
        Delete the endpoint for <strong className="mono webhook__url">{url}</strong>? It receives no more events, and
        deliveries not yet made to it are given up. Its secret cannot be shown again: registering it anew gives a new one.
      </p>
      <div className="confirm__actions">
        <button type="button" className="button button--ghost" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button
          ref={confirmRef}
          type="button"
          className="button button--warning"
          onClick={onConfirm}
          disabled={busy}
          data-testid="webhook-delete-confirm-button"
        >
          {busy ? <Spinner label="Deleting" /> : null} Yes, delete
        </button>
      </div>
    </div>
  );
}

/**
 * A URL and the events to send there. What is typed stays on an error;
 * the host says whether the URL is allowed (https, no private address,
 * unless it runs with --webhook-allow-private).
 */
function RegisterForm({
  onRegistered,
  onCancel,
}: {
  onRegistered: (endpoint: WebhookEndpoint) => void;
  onCancel: () => void;
}) {
  const ids = useId();
  const [draft, setDraft] = useState<WebhookDraft>(EMPTY_DRAFT);
  const [saving, setSaving] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [hostError, setHostError] = useState<string | null>(null);
  const urlRef = useRef<HTMLInputElement>(null);
  useEffect(() => urlRef.current?.focus(), []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const checked = draftRequest(draft);
    setHostError(null);
    if ('problem' in checked) {
      setProblem(checked.problem);
      return;
    }
    setProblem(null);
    setSaving(true);
    try {
      onRegistered(await registerWebhook(checked.request));
    } catch (err) {
      setHostError(webhookErrorText(toApiError(err), 'endpoint'));
    } finally {
      setSaving(false);
    }
  };

  const toggle = (type: string, on: boolean) =>
    setDraft((d) => ({ ...d, events: on ? [...d.events, type] : d.events.filter((t) => t !== type) }));

  return (
    <form className="webhook-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby={`${ids}-title`} data-testid="webhook-form">
      <h3 id={`${ids}-title`} className="webhooks__subtitle">
        Register an endpoint
      </h3>
      <div className="field">
        <label className="field__label" htmlFor={`${ids}-url`}>
          Endpoint URL
        </label>
        <input
          ref={urlRef}
          id={`${ids}-url`}
          className="input mono"
          type="url"
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          placeholder="https://example.com/leadscore-events"
          value={draft.url}
          readOnly={saving}
          onChange={(e) => setDraft((d) => ({ ...d, url: e.target.value }))}
          aria-describedby={`${ids}-url-help`}
          data-testid="webhook-url-input"
        />
        <p id={`${ids}-url-help`} className="field__help">
          Where each event is POSTed: https, at a public address (http and private addresses only when the host is
          started to allow them, for testing).
        </p>
      </div>
      <fieldset className="fieldset">
        <legend className="field__label">Events to send</legend>
        <ul className="event-choices">
          {EVENT_TYPES.map((e) => (
            <li key={e.type}>
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={draft.events.includes(e.type)}
                  disabled={saving}
                  onChange={(ev) => toggle(e.type, ev.target.checked)}
                  data-testid="webhook-event-choice"
                  data-event={e.type}
                />
                <span>
                  <span className="mono">{e.type}</span>
                  <span className="muted block">{e.description}</span>
                </span>
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
      {problem ? (
        <p className="notice notice--error" role="alert" data-testid="webhook-problem">
          {problem}
        </p>
      ) : null}
      {hostError ? (
        <p className="notice notice--error" role="alert" data-testid="webhook-error">
          {hostError}
        </p>
      ) : null}
      <FormActions saving={saving} onCancel={onCancel} submitLabel="Register endpoint" submitTestId="register-webhook" />
    </form>
  );
}

/**
 * The new endpoint's signing secret, once: the host never answers it
 * again, so it is in this component's props only and not stored.
 */
function NewSecret({ endpoint, secret, onDone }: { endpoint: WebhookEndpoint; secret: string; onDone: () => void }) {
  const ids = useId();
  const fieldRef = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  useEffect(() => {
    fieldRef.current?.focus();
    fieldRef.current?.select();
  }, []);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      // No clipboard (an insecure origin, a refused permission): select it for the keyboard.
      fieldRef.current?.select();
      setCopied('no');
    }
  };

  return (
    <div className="secret-box" role="group" aria-labelledby={`${ids}-title`} data-testid="webhook-secret">
      <p id={`${ids}-title`} className="secret-box__title">
        Registered <span className="mono webhook__url">{endpoint.url}</span>
      </p>
      <div className="field">
        <label className="field__label" htmlFor={`${ids}-secret`}>
          Signing secret
        </label>
        <div className="secret-box__row">
          <input
            ref={fieldRef}
            id={`${ids}-secret`}
            className="input mono"
            type="text"
            readOnly
            value={secret}
            spellCheck={false}
            aria-describedby={`${ids}-note`}
            data-testid="webhook-secret-value"
          />
          <button type="button" className="button" onClick={() => void copy()} data-testid="copy-secret">
            Copy
          </button>
        </div>
        <p id={`${ids}-note`} className="small" data-testid="webhook-secret-note">
          <strong>Shown once: store it now;</strong> your receiver verifies each delivery’s webhook-signature with it
          (Standard Webhooks).
        </p>
        <p className="small" aria-live="polite" data-testid="copy-status">
          {copied === 'yes' ? 'Copied.' : copied === 'no' ? 'Could not copy: the secret is selected, copy it with Ctrl+C (⌘C on a Mac).' : ''}
        </p>
      </div>
      <div className="confirm__actions">
        <button type="button" className="button button--primary" onClick={onDone} data-testid="secret-done">
          I have stored it
        </button>
      </div>
    </div>
  );
}
