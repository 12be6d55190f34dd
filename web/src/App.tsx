import { useEffect, useRef } from 'react';

import { SignInButton, SignInDialog } from './components/SignIn';
import { useToken } from './lib/auth';
import { hrefWithQuery, matchRoute, parseHash, useHash } from './lib/router';
import { AdminPage } from './pages/AdminPage';
import { LeadPage } from './pages/LeadPage';
import { LiftPage } from './pages/LiftPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { QueuePage } from './pages/QueuePage';

const QUEUE_STATE_KEY = 'leadscore.queueHash';

export function App() {
  const hash = useHash();
  const token = useToken();
  const { path, query } = parseHash(hash);
  const route = matchRoute(path);
  const mainRef = useRef<HTMLElement>(null);

  // "Back to the work queue" returns to the filters and page last used.
  if (route.page === 'queue') remember(hash || '#/');
  const queueHref = recall() ?? hrefWithQuery('/', {});

  // A new page: focus moves to its content, as it would on a page load.
  const pageKey = route.page === 'lead' ? `lead:${route.leadId}` : route.page;
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [pageKey]);

  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={(e) => {
        e.preventDefault();
        mainRef.current?.focus();
      }}>
        Skip to content
      </a>
      <header className="header">
        <div className="header__inner">
          <a className="brand" href="#/" aria-label="leadscore: work queue">
            <span className="brand__mark" aria-hidden="true">
              ls
            </span>
            <span className="brand__name">leadscore</span>
          </a>
          <nav className="nav" aria-label="Main">
            <a className="nav__link" href={queueHref} aria-current={route.page === 'queue' || route.page === 'lead' ? 'page' : undefined}>
              Work queue
            </a>
            <a className="nav__link" href="#/lift" aria-current={route.page === 'lift' ? 'page' : undefined}>
              Lift
            </a>
            <a className="nav__link" href="#/admin" aria-current={route.page === 'admin' ? 'page' : undefined}>
              Models
            </a>
          </nav>
          <SignInButton />
        </div>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1} className="main">
        {/* Keyed by the token: signing in or out reloads what is shown. */}
        {route.page === 'queue' ? (
          <QueuePage key={`queue-${token}`} query={query} />
        ) : route.page === 'lead' ? (
          <LeadPage key={`lead-${route.leadId}-${token}`} leadId={route.leadId} backHref={queueHref} />
        ) : route.page === 'lift' ? (
          <LiftPage key={`lift-${token}`} query={query} />
        ) : route.page === 'admin' ? (
          <AdminPage key={`admin-${token}`} />
        ) : (
          <NotFoundPage path={route.path} />
        )}
      </main>
      <SignInDialog />
    </div>
  );
}

function remember(queueHash: string): void {
  try {
    sessionStorage.setItem(QUEUE_STATE_KEY, queueHash);
  } catch {
    // storage disabled: the back link goes to the first page
  }
}

function recall(): string | null {
  try {
    return sessionStorage.getItem(QUEUE_STATE_KEY);
  } catch {
    return null;
  }
}
