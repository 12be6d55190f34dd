import { EmptyState } from '../components/States';
import { useDocumentTitle } from '../lib/hooks';

export function NotFoundPage({ path }: { path: string }) {
  useDocumentTitle('Not found');
  return (
    <div className="page">
      <EmptyState title="This page does not exist">
        <p>
          Nothing lives at <span className="mono">{path}</span>.
        </p>
        <a className="button" href="#/">
          Go to the work queue
        </a>
      </EmptyState>
    </div>
  );
}
