/** Loading, empty and error states shared by every page. */
import type { ReactNode } from 'react';

import type { ApiError } from '../lib/api';
import { AlertIcon, CloseIcon, KeyIcon, RefreshIcon } from './Icons';
import { openSignIn } from './SignIn';

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <span className="spinner" role="status">
      <span className="spinner__ring" aria-hidden="true" />
      <span className="visually-hidden">{label}</span>
    </span>
  );
}

export function LoadingBlock({ label }: { label: string }) {
  return (
    <div className="state state--loading" data-testid="loading">
      <Spinner label={label} />
      <p className="state__text" aria-hidden="true">
        {label}…
      </p>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state--empty" data-testid="empty">
      <h2 className="state__title">{title}</h2>
      {children ? <div className="state__text">{children}</div> : null}
    </div>
  );
}

/** What an API error means for the person, with a retry and, for 401/403, a sign-in hint. */
export function ErrorState({
  error,
  title,
  onRetry,
  scope,
  compact = false,
}: {
  error: ApiError;
  title?: string;
  onRetry?: () => void;
  /** The scope the page needs, named in the 403 hint. */
  scope?: string;
  compact?: boolean;
}) {
  const heading =
    title ??
    (error.status === 401
      ? 'Please sign in'
      : error.status === 403
        ? 'You don’t have access to this'
        : error.status === 404
          ? 'Not found'
          : error.status === 0
            ? 'Cannot reach leadscore'
            : 'Something went wrong');
  return (
    <div className={`state state--error${compact ? ' state--compact' : ''}`} role="alert" data-testid="error">
      <h2 className="state__title">
        <AlertIcon /> {heading}
      </h2>
      <p className="state__text">{error.message}</p>
      {error.isAuth ? (
        <p className="state__hint" data-testid="sign-in-hint">
          <KeyIcon />{' '}
          {error.status === 401
            ? 'Sign in with a valid API token to continue.'
            : `Sign in with a token that has the ${scope ? `“${scope}”` : 'required'} scope.`}
        </p>
      ) : null}
      <div className="state__actions">
        {error.isAuth ? (
          <button type="button" className="button button--primary" onClick={openSignIn}>
            Sign in
          </button>
        ) : null}
        {onRetry ? (
          <button type="button" className="button" onClick={onRetry}>
            <RefreshIcon /> Try again
          </button>
        ) : null}
      </div>
    </div>
  );
}

/**
 * A success note the person may dismiss, in a polite live region (kept in
 * the page while empty, so that the next note is announced).
 */
export function SuccessNotice({ text, testId, onDismiss }: { text: string | null; testId: string; onDismiss: () => void }) {
  return (
    <div aria-live="polite">
      {text ? (
        <p className="notice notice--success" data-testid={testId}>
          <span>{text}</span>
          <button type="button" className="icon-button icon-button--small" aria-label="Dismiss" onClick={onDismiss}>
            <CloseIcon />
          </button>
        </p>
      ) : null}
    </div>
  );
}
