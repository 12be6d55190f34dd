/**
 * Model administration: the installed versions, the routing that applies to
 * this tenant (active version, A/B split, fallback chain, shadow), switching
 * and rolling back, the tenant's Hot/Cold thresholds, the shadow's
 * comparison and promotion, each version's traffic and latency from
 * /metrics, the serving model's held-out quality with the tenant's score
 * distribution, the tenant's closed loop (retraining its own model from
 * its outcomes: readiness, policy, jobs), how the tenant's CRM objects
 * become leads (the CRM mapping), the webhook endpoints lead events are sent to, bulk imports of
 * leads (backfill) and their progress, and uploading a new version's model
 * files for the host to build and install.
 */
import { useEffect, useId, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';

import { CrmMappingCard } from '../components/CrmMappingCard';
import { ImportsCard } from '../components/ImportsCard';
import { ChevronIcon, CloseIcon, RefreshIcon } from '../components/Icons';
import { ModelQualityCard } from '../components/ModelQualityCard';
import { ModelUploadCard } from '../components/ModelUploadCard';
import { RetrainCard } from '../components/RetrainCard';
import { ShadowCard } from '../components/ShadowCard';
import { ThresholdsCard } from '../components/ThresholdsCard';
import { WebhooksCard } from '../components/WebhooksCard';
import { ErrorState, LoadingBlock, Spinner } from '../components/States';
import { FormActions } from '../components/FormActions';
import { fetchMetricsText, fetchModels, putRouting, type ApiError } from '../lib/api';
import { toApiError, useDocumentTitle, useLoad, useNow } from '../lib/hooks';
import { parseModelMetrics, type ModelMetrics } from '../lib/metrics';
import {
  describePrimary,
  loadPrevious,
  normalizeRouting,
  rollbackTo,
  routingProblems,
  sameServing,
  savePrevious,
  withActive,
  type FullRouting,
  type RememberedRouting,
} from '../lib/routing';
import { formatAge, formatDateTime, parseTime } from '../lib/time';
import type { ModelInfo, ModelList, Routing } from '../lib/types';

const ADMIN_SCOPE = 'crm.admin.models';
const METRICS_REFRESH_MS = 15_000;

type Notice = { tone: 'success' | 'error'; text: string } | null;

export function AdminPage() {
  useDocumentTitle('Models');
  const [models, reloadModels, replaceModels] = useLoad((signal) => fetchModels(signal), []);
  const [metricsTick, setMetricsTick] = useState(0);
  const [metrics] = useLoad(async (signal) => parseModelMetrics(await fetchMetricsText(signal)), [metricsTick]);
  const [previous, setPrevious] = useState<RememberedRouting | null>(() => loadPrevious());
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);
  const [editing, setEditing] = useState(false);

  useEffect(() => {
    const t = window.setInterval(() => setMetricsTick((n) => n + 1), METRICS_REFRESH_MS);
    return () => window.clearInterval(t);
  }, []);

  const data = models.data;

  /**
   * The host saved `next`: show it at once (the versions' states follow on
   * reload). A change of what serves reps' scores makes the routing it
   * replaced the rollback target; a change of the shadow alone does not.
   */
  const committed = (next: Routing, message: string) => {
    if (!data) return;
    const before = normalizeRouting(data.routing);
    const saved = normalizeRouting(next);
    if (!sameServing(before, saved)) {
      savePrevious(before);
      setPrevious(loadPrevious() ?? { routing: before, replacedAt: Date.now() });
    }
    replaceModels({ ...data, routing: saved });
    reloadModels();
    setMetricsTick((n) => n + 1);
    setEditing(false);
    setNotice({ tone: 'success', text: message });
  };

  /** Sends a routing; the one it replaces becomes the rollback target. */
  const apply = async (next: Routing, success: (r: Routing) => string) => {
    if (!data) return;
    setSaving(true);
    setNotice(null);
    try {
      const saved = normalizeRouting(await putRouting(normalizeRouting(next)));
      committed(saved, success(saved));
    } catch (e) {
      const error = toApiError(e);
      setNotice({ tone: 'error', text: routingErrorText(error) });
    } finally {
      setSaving(false);
    }
  };

  if (!data) {
    return (
      <div className="page page--admin">
        <AdminHeader />
        {models.status === 'error' ? (
          <ErrorState error={models.error} onRetry={reloadModels} scope={ADMIN_SCOPE} />
        ) : (
          <LoadingBlock label="Loading the models" />
        )}
      </div>
    );
  }

  const routing = normalizeRouting(data.routing);
  const installed = data.models.map((m) => m.version);
  const canRollBack = previous !== null && !sameServing(previous.routing, routing);

  return (
    <div className="page page--admin">
      <AdminHeader
        actions={
          <button
            type="button"
            className="button button--ghost"
            onClick={() => {
              reloadModels();
              setMetricsTick((n) => n + 1);
            }}
            disabled={models.status === 'loading'}
          >
            {models.status === 'loading' ? <Spinner label="Refreshing" /> : <RefreshIcon />} Refresh
          </button>
        }
      />
      {models.status === 'error' ? (
        <ErrorState error={models.error} onRetry={reloadModels} scope={ADMIN_SCOPE} compact />
      ) : null}

      <div aria-live="polite">
        {notice ? (
          <p className={`notice notice--${notice.tone}`} data-testid="admin-notice" role={notice.tone === 'error' ? 'alert' : undefined}>
            <span>{notice.text}</span>
            <button type="button" className="icon-button icon-button--small" aria-label="Dismiss" onClick={() => setNotice(null)}>
              <CloseIcon />
            </button>
          </p>
        ) : null}
      </div>

      <RoutingCard
        routing={routing}
        tenants={data.tenants}
        previous={canRollBack ? previous : null}
        saving={saving}
        editing={editing}
        onEdit={() => setEditing(true)}
        onRollBack={(r) =>
          void apply(rollbackTo(r, routing), (s) => `Rolled back: ${describePrimary(s)} now scores new requests.`)
        }
      />

      {editing ? (
        <RoutingEditor
          routing={routing}
          installed={installed}
          saving={saving}
          onCancel={() => setEditing(false)}
          onSave={(r) => void apply(r, (s) => `Routing saved: ${describePrimary(s)} now scores new requests.`)}
        />
      ) : null}

      <ThresholdsCard routing={routing} models={data.models} disabled={saving} onSaved={committed} />

      <ShadowCard
        routing={routing}
        installed={installed}
        disabled={saving}
        onChanged={committed}
        onStale={reloadModels}
      />

      <VersionsCard
        data={data}
        routing={routing}
        metrics={metrics.data ?? null}
        metricsError={metrics.status === 'error' ? metrics.error : null}
        saving={saving}
        onMakeActive={(v) =>
          void apply(withActive(routing, v), (s) => `${s.active} is now the active version for new scores.`)
        }
      />

      <ModelQualityCard models={data.models} routing={routing} distribution={data.score_distribution} />

      <RetrainCard
        onRoutingChanged={() => {
          reloadModels();
          setMetricsTick((n) => n + 1);
        }}
      />

      <CrmMappingCard routedVersions={routedVersions(routing)} />

      <WebhooksCard />

      <ImportsCard />

      <ModelUploadCard onInstalled={() => reloadModels()} />

      {metrics.data ? <TrafficNotes metrics={metrics.data} /> : null}
    </div>
  );
}

/** Every version the routing names: the fields the models read are theirs. */
function routedVersions(routing: FullRouting): string {
  return [routing.active, ...routing.split.map((w) => w.version), ...routing.fallback, routing.shadow ?? ''].join(' ');
}

function routingErrorText(error: ApiError): string {
  if (error.status === 403) return `You need the “${ADMIN_SCOPE}” scope to change the routing. ${error.message}`;
  if (error.status === 401) return `Please sign in again. ${error.message}`;
  if (error.status === 400) return `The routing was refused: ${error.message}`;
  return `The routing could not be saved: ${error.message}`;
}

function AdminHeader({ actions }: { actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1 className="page-title">Models</h1>
        <p className="page-subtitle">Which model version scores this tenant’s leads, and how each version is doing.</p>
      </div>
      {actions ? <div className="page-header__actions">{actions}</div> : null}
    </header>
  );
}

function RoutingCard({
  routing,
  tenants,
  previous,
  saving,
  editing,
  onEdit,
  onRollBack,
}: {
  routing: FullRouting;
  tenants: ModelList['tenants'];
  previous: RememberedRouting | null;
  saving: boolean;
  editing: boolean;
  onEdit: () => void;
  onRollBack: (r: Routing) => void;
}) {
  const now = useNow();
  const totalWeight = routing.split.reduce((s, w) => s + w.weight, 0);
  const tenantNames = Object.keys(tenants ?? {});
  return (
    <section className="card" aria-labelledby="routing-heading" data-testid="routing">
      <div className="card__header">
        <h2 id="routing-heading" className="card__title">
          Routing
        </h2>
        {!editing ? (
          <button type="button" className="button" onClick={onEdit} disabled={saving} data-testid="edit-routing">
            Edit routing
          </button>
        ) : null}
      </div>
      <dl className="routing">
        <div className="routing__item">
          <dt>Active</dt>
          <dd>
            <span className="pill pill--active mono" data-testid="routing-active">
              {routing.active}
            </span>
            {routing.split.length > 0 ? <span className="muted small"> (replaced by the split below)</span> : null}
          </dd>
        </div>
        <div className="routing__item">
          <dt>A/B split</dt>
          <dd data-testid="routing-split">
            {routing.split.length === 0 ? (
              <span className="muted">None: every lead goes to {routing.active}</span>
            ) : (
              <ul className="split-bars">
                {routing.split.map((w) => {
                  const share = totalWeight > 0 ? (w.weight / totalWeight) * 100 : 0;
                  return (
                    <li key={w.version} className="split-bars__row">
                      <span className="mono split-bars__version">{w.version}</span>
                      <span className="split-bars__track" aria-hidden="true">
                        <span className="split-bars__fill" style={{ width: `${share}%` }} />
                      </span>
                      <span className="split-bars__share">
                        {Math.round(share)} % <span className="muted small">(weight {w.weight})</span>
                      </span>
                    </li>
                  );
                })}
              </ul>
            )}
          </dd>
        </div>
        <div className="routing__item">
          <dt>Shadow</dt>
          <dd data-testid="routing-shadow">
            {routing.shadow ? (
              <span className="pill mono">{routing.shadow}</span>
            ) : (
              <span className="muted">None</span>
            )}
          </dd>
        </div>
        <div className="routing__item">
          <dt>Fallback chain</dt>
          <dd data-testid="routing-fallback">
            {routing.fallback.length === 0 ? (
              <span className="muted">None: a failing version fails the request</span>
            ) : (
              <ol className="chain">
                {routing.fallback.map((v, i) => (
                  <li key={v} className="chain__item">
                    {i > 0 ? (
                      <span className="chain__arrow" aria-hidden="true">
                        →
                      </span>
                    ) : null}
                    <span className="pill mono">{v}</span>
                  </li>
                ))}
              </ol>
            )}
          </dd>
        </div>
      </dl>
      {tenantNames.length > 0 ? (
        <p className="muted small">
          Tenant-specific routing in place for {tenantNames.join(', ')}; other tenants follow the default routing.
        </p>
      ) : null}
      {previous ? (
        <div className="rollback">
          <p className="rollback__text">
            Previous routing: <strong className="mono">{describePrimary(previous.routing)}</strong> active
            {previous.routing.fallback.length ? `, then ${previous.routing.fallback.join(' → ')}` : ''}
            {previous.replacedAt ? (
              <span className="muted"> · replaced {formatAge(previous.replacedAt, now)}</span>
            ) : null}
          </p>
          <button
            type="button"
            className="button button--warning"
            onClick={() => onRollBack(previous.routing)}
            disabled={saving}
            data-testid="rollback"
          >
            Roll back to {describePrimary(previous.routing)}
          </button>
        </div>
      ) : null}
    </section>
  );
}

function RoutingEditor({
  routing,
  installed,
  saving,
  onCancel,
  onSave,
}: {
  routing: FullRouting;
  installed: string[];
  saving: boolean;
  onCancel: () => void;
  onSave: (r: Routing) => void;
}) {
  const [active, setActive] = useState(routing.active);
  const [split, setSplit] = useState(routing.split.map((w) => ({ version: w.version, weight: String(w.weight) })));
  const [fallback, setFallback] = useState<string[]>(routing.fallback);
  const [shadow, setShadow] = useState<string>(routing.shadow ?? '');
  const [submitted, setSubmitted] = useState(false);
  const ids = useId();
  const firstField = useRef<HTMLSelectElement>(null);
  useEffect(() => firstField.current?.focus(), []);

  const draft: FullRouting = {
    active,
    split: split.map((w) => ({ version: w.version, weight: w.weight.trim() === '' ? NaN : Number(w.weight) })),
    fallback,
    shadow: shadow || null,
    ...(routing.bands ? { bands: routing.bands } : {}),
  };
  const problems = routingProblems(draft, installed);
  const unused = (list: string[]) => installed.filter((v) => !list.includes(v));
  const totalWeight = draft.split.reduce((s, w) => s + (Number.isFinite(w.weight) ? w.weight : 0), 0);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (problems.length === 0) onSave(draft);
  };

  return (
    <section className="card" aria-labelledby={`${ids}-title`} data-testid="routing-editor">
      <form onSubmit={submit} noValidate>
        <h2 id={`${ids}-title`} className="card__title">
          Edit routing
        </h2>
        <div className="form-grid">
          <div className="field">
            <label className="field__label" htmlFor={`${ids}-active`}>
              Active version
            </label>
            <select
              ref={firstField}
              id={`${ids}-active`}
              className="input"
              value={active}
              onChange={(e) => setActive(e.target.value)}
              data-testid="editor-active"
            >
              {installed.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
            <p className="field__help">Scores every lead when there is no split.</p>
            <label className="field__label field__label--spaced" htmlFor={`${ids}-shadow`}>
              Shadow version
            </label>
            <select
              id={`${ids}-shadow`}
              className="input"
              value={shadow}
              onChange={(e) => setShadow(e.target.value)}
              data-testid="editor-shadow"
            >
              <option value="">None</option>
              {installed.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
            <p className="field__help">Scores every lead too, for comparison only: reps never see its scores.</p>
          </div>

          <fieldset className="field fieldset">
            <legend className="field__label">A/B split</legend>
            {split.length === 0 ? <p className="field__help">No split: {active} scores every lead.</p> : null}
            <ul className="editor-list">
              {split.map((w, i) => {
                const weight = Number(w.weight);
                const share = totalWeight > 0 && Number.isFinite(weight) ? Math.round((weight / totalWeight) * 100) : 0;
                return (
                  <li key={i} className="editor-list__row">
                    <label className="visually-hidden" htmlFor={`${ids}-split-v-${i}`}>
                      Split version {i + 1}
                    </label>
                    <select
                      id={`${ids}-split-v-${i}`}
                      className="input input--compact"
                      value={w.version}
                      onChange={(e) => setSplit(split.map((x, j) => (j === i ? { ...x, version: e.target.value } : x)))}
                    >
                      {installed.map((v) => (
                        <option key={v} value={v}>
                          {v}
                        </option>
                      ))}
                    </select>
                    <label className="visually-hidden" htmlFor={`${ids}-split-w-${i}`}>
                      Weight of {w.version}
                    </label>
                    <input
                      id={`${ids}-split-w-${i}`}
                      className="input input--compact input--number"
                      type="number"
                      min={0}
                      step={1}
                      inputMode="numeric"
                      value={w.weight}
                      onChange={(e) => setSplit(split.map((x, j) => (j === i ? { ...x, weight: e.target.value } : x)))}
                      data-testid={`split-weight-${w.version}`}
                    />
                    <span className="muted small editor-list__share">{share} %</span>
                    <button
                      type="button"
                      className="icon-button icon-button--small"
                      aria-label={`Remove ${w.version} from the split`}
                      onClick={() => setSplit(split.filter((_, j) => j !== i))}
                    >
                      <CloseIcon />
                    </button>
                  </li>
                );
              })}
            </ul>
            {unused(split.map((w) => w.version)).length > 0 ? (
              <button
                type="button"
                className="button button--small"
                onClick={() => {
                  // The active version first, then the fallbacks: the usual A/B candidates.
                  const taken = split.map((w) => w.version);
                  const next = [active, ...fallback, ...installed].find((v) => !taken.includes(v));
                  if (next) setSplit([...split, { version: next, weight: split.length ? '10' : '90' }]);
                }}
              >
                Add a version to the split
              </button>
            ) : null}
            <p className="field__help">Each lead always lands on the same side; shares are weight ÷ total weight.</p>
          </fieldset>

          <fieldset className="field fieldset">
            <legend className="field__label">Fallback chain</legend>
            {fallback.length === 0 ? <p className="field__help">No fallback: a failing version fails the request.</p> : null}
            <ol className="editor-list">
              {fallback.map((v, i) => (
                <li key={v} className="editor-list__row">
                  <span className="editor-list__index">{i + 1}.</span>
                  <span className="pill mono">{v}</span>
                  <span className="editor-list__spacer" />
                  <button
                    type="button"
                    className="icon-button icon-button--small"
                    aria-label={`Move ${v} earlier`}
                    disabled={i === 0}
                    onClick={() => setFallback(move(fallback, i, i - 1))}
                  >
                    <ChevronIcon direction="up" />
                  </button>
                  <button
                    type="button"
                    className="icon-button icon-button--small"
                    aria-label={`Move ${v} later`}
                    disabled={i === fallback.length - 1}
                    onClick={() => setFallback(move(fallback, i, i + 1))}
                  >
                    <ChevronIcon direction="down" />
                  </button>
                  <button
                    type="button"
                    className="icon-button icon-button--small"
                    aria-label={`Remove ${v} from the fallback chain`}
                    onClick={() => setFallback(fallback.filter((x) => x !== v))}
                  >
                    <CloseIcon />
                  </button>
                </li>
              ))}
            </ol>
            {unused(fallback).length > 0 ? (
              <div className="inline-add">
                <label className="visually-hidden" htmlFor={`${ids}-add-fallback`}>
                  Add to the fallback chain
                </label>
                <select
                  id={`${ids}-add-fallback`}
                  className="input input--compact"
                  value=""
                  onChange={(e) => {
                    if (e.target.value) setFallback([...fallback, e.target.value]);
                  }}
                >
                  <option value="">Add a fallback…</option>
                  {unused(fallback).map((v) => (
                    <option key={v} value={v}>
                      {v}
                    </option>
                  ))}
                </select>
              </div>
            ) : null}
          </fieldset>
        </div>
        {submitted && problems.length > 0 ? (
          <ul className="notice notice--error problems" role="alert">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        ) : null}
        <FormActions saving={saving} onCancel={onCancel} submitLabel="Save routing" submitTestId="save-routing" />
      </form>
    </section>
  );
}

function move<T>(list: T[], from: number, to: number): T[] {
  const next = list.slice();
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item);
  return next;
}

const STATE_LABEL: Record<string, string> = {
  active: 'Active',
  split: 'In split',
  fallback: 'Fallback',
  shadow: 'Shadow',
  installed: 'Installed',
};

function VersionsCard({
  data,
  routing,
  metrics,
  metricsError,
  saving,
  onMakeActive,
}: {
  data: ModelList;
  routing: FullRouting;
  metrics: ModelMetrics | null;
  metricsError: ApiError | null;
  saving: boolean;
  onMakeActive: (version: string) => void;
}) {
  const now = useNow();
  const versions = useMemo(() => sortVersions(data.models), [data.models]);
  return (
    <section className="card" aria-labelledby="versions-heading" data-testid="versions">
      <div className="card__header">
        <h2 id="versions-heading" className="card__title">
          Versions <span className="count">{versions.length}</span>
        </h2>
        <p className="muted small">Traffic and latency: this server, since it started, all tenants.</p>
      </div>
      {metricsError ? (
        <p className="notice notice--muted">Traffic figures are unavailable right now ({metricsError.message}).</p>
      ) : null}
      {versions.length === 0 ? (
        <p className="muted">No model version is installed.</p>
      ) : (
        <div className="table-wrap">
          <table className="table table--stack">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Calls
                </th>
                <th scope="col" className="num">
                  Mean latency
                </th>
                <th scope="col" className="num">
                  Failures
                </th>
                <th scope="col">Model</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {versions.map((m) => {
                const traffic = metrics?.versions[m.version];
                const built = parseTime(m.built_at);
                const isActive = routing.active === m.version && routing.split.length === 0;
                const failures = traffic ? Object.entries(traffic.failures).filter(([, n]) => n > 0) : [];
                return (
                  <tr key={m.version} data-testid="version-row" data-version={m.version}>
                    <th scope="row">
                      <span className="mono version-name">{m.version}</span>
                      <span className="muted small block">{m.name}</span>
                    </th>
                    <td className="table__state">
                      <span className={`state-pill state-pill--${m.state}`} data-testid="version-state">
                        {STATE_LABEL[m.state] ?? m.state}
                      </span>
                      {!m.loaded ? <span className="state-pill state-pill--warning">Not loaded</span> : null}
                    </td>
                    <td className="num" data-label="Calls" data-testid="version-calls">
                      {metrics ? (traffic?.calls ?? 0).toLocaleString() : '—'}
                    </td>
                    <td className="num" data-label="Mean latency" data-testid="version-latency">
                      {traffic?.meanLatencyMs != null ? `${formatMs(traffic.meanLatencyMs)} ms` : '—'}
                    </td>
                    <td className="num" data-label="Failures">
                      {!metrics ? (
                        '—'
                      ) : failures.length === 0 ? (
                        <span className="muted">0</span>
                      ) : (
                        <span className="failures" title={failures.map(([k, n]) => `${k}: ${n}`).join(', ')}>
                          {traffic?.failuresTotal.toLocaleString()}
                          <span className="small muted block">{failures.map(([k, n]) => `${k} ${n}`).join(' · ')}</span>
                        </span>
                      )}
                    </td>
                    <td className="small table__wide" data-label="Model">
                      {m.num_trees} trees · {m.features} features
                      <span className="muted block" title={built !== null ? formatDateTime(built) : undefined}>
                        built {built !== null ? formatAge(built, now) : 'at an unknown time'} ·{' '}
                        <span className="mono" title={m.sha256}>
                          {m.sha256.slice(0, 8)}
                        </span>
                      </span>
                    </td>
                    <td className="actions table__wide">
                      {isActive ? (
                        <span className="muted small">Serving</span>
                      ) : (
                        <button
                          type="button"
                          className="button button--small"
                          disabled={saving || !m.loaded}
                          onClick={() => onMakeActive(m.version)}
                          aria-label={`Make ${m.version} active`}
                          data-testid="make-active"
                        >
                          Make active
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function TrafficNotes({ metrics }: { metrics: ModelMetrics }) {
  const { hit, miss } = metrics.cache;
  const lookups = hit + miss;
  if (metrics.fallbacks.length === 0 && lookups === 0) return null;
  return (
    <section className="card" aria-labelledby="traffic-heading">
      <h2 id="traffic-heading" className="card__title">
        Fallbacks and cache
      </h2>
      {metrics.fallbacks.length === 0 ? (
        <p className="muted">No lead has needed a fallback since this server started.</p>
      ) : (
        <ul className="plain-list" data-testid="fallbacks">
          {metrics.fallbacks.map((f) => (
            <li key={`${f.from}-${f.to}`}>
              <span className="mono">{f.from}</span> → <span className="mono">{f.to}</span>:{' '}
              {f.count.toLocaleString()} {f.count === 1 ? 'lead' : 'leads'}
            </li>
          ))}
        </ul>
      )}
      {lookups > 0 ? (
        <p className="muted small">
          Score cache: {Math.round((hit / lookups) * 100)} % hits ({hit.toLocaleString()} of {lookups.toLocaleString()}{' '}
          lookups).
        </p>
      ) : null}
    </section>
  );
}

function formatMs(ms: number): string {
  if (ms < 1) return ms.toFixed(2);
  if (ms < 10) return ms.toFixed(1);
  return Math.round(ms).toLocaleString();
}

/** Newest first (v12, v11, …), a stable order while the routing changes. */
function sortVersions(models: ModelInfo[]): ModelInfo[] {
  return models.slice().sort((a, b) => b.version.localeCompare(a.version, undefined, { numeric: true }));
}
