/** The sign-in panel: paste an API token (kept in this browser) or sign out. */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';

import { describeToken, setToken, useToken } from '../lib/auth';
import { formatDateTime } from '../lib/time';
import { CloseIcon, KeyIcon } from './Icons';

const OPEN = 'leadscore:open-sign-in';

export function openSignIn(): void {
  window.dispatchEvent(new Event(OPEN));
}

/** The header's button: who is signed in; it opens the panel. */
export function SignInButton() {
  const token = useToken();
  const info = token ? describeToken(token) : null;
  return (
    <button type="button" className="button button--ghost header__signin" onClick={openSignIn}>
      <KeyIcon />
      <span>{token ? (info?.org ? `Signed in · ${info.org}` : 'Signed in') : 'Sign in'}</span>
    </button>
  );
}

/** The panel itself, rendered once by the app. */
export function SignInDialog() {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const token = useToken();
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const titleId = useId();
  const fieldId = useId();
  const info = token ? describeToken(token) : null;

  useEffect(() => {
    const open = () => {
      setDraft('');
      setProblem(null);
      const d = dialogRef.current;
      if (d && !d.open) d.showModal();
    };
    window.addEventListener(OPEN, open);
    return () => window.removeEventListener(OPEN, open);
  }, []);

  const close = () => dialogRef.current?.close();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const value = draft.trim().replace(/^Bearer\s+/i, '');
    if (!value) {
      setProblem('Paste a token first.');
      return;
    }
    if (/\s/.test(value)) {
      setProblem('A token has no spaces or line breaks.');
      return;
    }
    setToken(value); // the pages reload what they show with the new identity
    close();
  };

  const signOut = () => {
    setToken(null);
    close();
  };

  return (
    <dialog
      ref={dialogRef}
      className="dialog"
      aria-labelledby={titleId}
      onClick={(e) => {
        if (e.target === dialogRef.current) close(); // the backdrop
      }}
    >
      <div className="dialog__body">
        <header className="dialog__header">
          <h2 id={titleId}>Sign in</h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={close}>
            <CloseIcon />
          </button>
        </header>
        {token ? (
          <div className="signin__current" data-testid="signed-in">
            <p>
              <strong>Signed in</strong>
              {info?.org ? ` to tenant “${info.org}”` : ''}
              {info?.subject ? ` as ${info.subject}` : ''}.
            </p>
            {info?.scopes.length ? <p className="muted">Scopes: {info.scopes.join(', ')}</p> : null}
            {info?.expiresAt ? (
              <p className="muted">
                {info.expiresAt < Date.now() ? 'Expired' : 'Expires'} {formatDateTime(info.expiresAt)}
              </p>
            ) : null}
            <button type="button" className="button" onClick={signOut}>
              Sign out
            </button>
          </div>
        ) : (
          <p className="muted">
            You are not signed in. A development server treats requests without a token as the demo tenant.
          </p>
        )}
        <form onSubmit={submit} className="signin__form">
          <label htmlFor={fieldId} className="field__label">
            {token ? 'Use another token' : 'API token'}
          </label>
          <textarea
            id={fieldId}
            className="input input--mono"
            rows={4}
            value={draft}
            placeholder="eyJhbGciOi…"
            spellCheck={false}
            autoComplete="off"
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? `${fieldId}-problem` : undefined}
            onChange={(e) => {
              setDraft(e.target.value);
              setProblem(null);
            }}
          />
          {problem ? (
            <p id={`${fieldId}-problem`} className="field__problem">
              {problem}
            </p>
          ) : null}
          <p className="muted small">The token is kept in this browser only and sent with every request.</p>
          <div className="dialog__actions">
            <button type="button" className="button button--ghost" onClick={close}>
              Cancel
            </button>
            <button type="submit" className="button button--primary">
              Sign in
            </button>
          </div>
        </form>
      </div>
    </dialog>
  );
}
