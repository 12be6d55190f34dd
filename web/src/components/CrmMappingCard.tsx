/**
 * "CRM mapping" on the admin page: how an object the tenant's CRM sends
 * (`crm_object`) becomes a lead. Shows which mapping is set and when, applies
 * a preset with one button, and edits the mapping per lead field (a path
 * each; picklist maps, divisors and joins are shown and kept), or as JSON
 * for anything else. `PUT /integrations/mapping`; a refusal (400) shows the
 * host's message, which starts with where in the mapping. Without the scope
 * to read it (401/403) the card is not shown.
 */
import { useId, useState, type FormEvent } from 'react';

import { fetchCrmMapping, putCrmMapping, type ApiError } from '../lib/api';
import {
  asMapping,
  draftOf,
  draftProblem,
  joinedPaths,
  kindText,
  mappingJson,
  mappingOf,
  parseMappingJson,
  presetLabel,
  PRESETS,
  rowsOf,
  translationNotes,
  type MappingDraft,
  type MappingRow,
} from '../lib/crmMapping';
import { toApiError, useLoad, useNow } from '../lib/hooks';
import { formatAge, formatDateTime } from '../lib/time';
import type { MappingRequest, MappingView, Preset } from '../lib/types';
import { FormActions } from './FormActions';
import { ErrorState, LoadingBlock, Spinner, SuccessNotice } from './States';

/** Sends a mapping or a preset; resolves once the card shows what the host saved, rejects with its error. */
type Save = (request: MappingRequest, success: string) => Promise<void>;

export function CrmMappingCard({
  routedVersions,
}: {
  /** The versions the tenant is routed to, as one string: when they change, so may the fields the models read. */
  routedVersions: string;
}) {
  const ids = useId();
  const [state, reload, replace] = useLoad((signal) => fetchCrmMapping(signal), [routedVersions]);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  // Bumped on every save: the preset picker and the editor start again from what the host saved.
  const [generation, setGeneration] = useState(0);

  if (state.status === 'error' && state.error.isAuth) return null;

  const save: Save = async (request, success) => {
    setSaving(true);
    setNotice(null);
    try {
      replace(await putCrmMapping(request));
      setGeneration((g) => g + 1);
      setNotice(success);
    } finally {
      setSaving(false);
    }
  };

  const view = state.data;
  return (
    <section className="card" aria-labelledby={`${ids}-title`} data-testid="crm-mapping">
      <div>
        <h2 id={`${ids}-title`} className="card__title">
          CRM mapping
        </h2>
        <p className="muted small">
          How an object your CRM sends (<span className="mono">crm_object</span>) becomes a lead: where each field
          is, as a dot-separated path into the object (<span className="mono">properties.numemployees</span>).
        </p>
      </div>
      {!view ? (
        state.status === 'error' ? (
          <ErrorState error={state.error} title="The CRM mapping could not be loaded" onRetry={reload} compact />
        ) : (
          <LoadingBlock label="Loading the CRM mapping" />
        )
      ) : (
        <>
          <MappingStatus view={view} />
          <SuccessNotice text={notice} testId="mapping-notice" onDismiss={() => setNotice(null)} />
          <PresetPicker key={`preset-${generation}`} current={view.preset ?? null} saving={saving} onSave={save} />
          <MappingEditor key={`editor-${generation}`} view={view} saving={saving} onSave={save} />
        </>
      )}
    </section>
  );
}

/** Which mapping is set, since when, and the model fields it leaves out. */
function MappingStatus({ view }: { view: MappingView }) {
  const now = useNow();
  const set = view.mapping != null;
  const missing = view.unmapped.map((f) => view.model_fields[f]?.label ?? f);
  return (
    <div className="mapping-status" data-testid="mapping-status" data-preset={view.preset ?? (set ? 'custom' : 'none')}>
      <p>
        <strong>{view.preset ? `${presetLabel(view.preset)} preset` : set ? 'Custom mapping' : 'No mapping set'}</strong>
        {view.updated_at != null ? (
          <span className="muted" title={formatDateTime(view.updated_at)}>
            {' '}
            · set {formatAge(view.updated_at, now)}
          </span>
        ) : null}
      </p>
      <p className="small" data-testid="mapping-coverage">
        {!set
          ? 'Requests that send crm_object are refused until a mapping is set.'
          : missing.length === 0
            ? 'Every field the models read is mapped.'
            : `Not mapped, so always missing: ${missing.join(', ')}.`}
      </p>
    </div>
  );
}

function saveErrorText(error: ApiError, what: string): string {
  if (error.status === 400) return `The ${what} was refused: ${error.message}`;
  if (error.isAuth) return `You need the “crm.admin.models” scope to change the CRM mapping. ${error.message}`;
  return `The ${what} could not be saved: ${error.message}`;
}

/** A preset, applied with one button: it replaces the whole mapping. */
function PresetPicker({ current, saving, onSave }: { current: Preset | null; saving: boolean; onSave: Save }) {
  const ids = useId();
  const [preset, setPreset] = useState<Preset>(current ?? 'hubspot');
  const [applying, setApplying] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setApplying(true);
    setError(null);
    try {
      await onSave({ preset }, `The ${presetLabel(preset)} preset is the mapping now.`);
    } catch (err) {
      setError(saveErrorText(toApiError(err), 'preset'));
    } finally {
      setApplying(false);
    }
  };

  return (
    <form className="preset-picker" onSubmit={(e) => void submit(e)} noValidate>
      <div className="preset-picker__row">
        <div className="field">
          <label className="field__label" htmlFor={`${ids}-preset`}>
            Preset
          </label>
          <select
            id={`${ids}-preset`}
            className="input input--compact"
            value={preset}
            onChange={(e) => setPreset(e.target.value as Preset)}
            aria-describedby={`${ids}-help`}
            data-testid="mapping-preset"
          >
            {PRESETS.map((p) => (
              <option key={p.preset} value={p.preset}>
                {p.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button" disabled={saving} data-testid="apply-preset">
          {applying ? <Spinner label="Applying" /> : null} Apply preset
        </button>
      </div>
      <p id={`${ids}-help`} className="field__help">
        The mapping we ship for that CRM’s standard object, picklist translations included. It replaces the whole
        mapping below.
      </p>
      {error ? (
        <p className="notice notice--error" role="alert" data-testid="preset-error">
          {error}
        </p>
      ) : null}
    </form>
  );
}

/**
 * The mapping, field by field or as JSON. Both edit one draft: switching
 * to JSON carries the typed paths over, and back again the JSON's mapping.
 * Nothing typed is lost on an error; Cancel goes back to the saved mapping.
 */
function MappingEditor({ view, saving, onSave }: { view: MappingView; saving: boolean; onSave: Save }) {
  const ids = useId();
  const [draft, setDraft] = useState<MappingDraft>(() => draftOf(view.mapping));
  const [json, setJson] = useState<string | null>(null); // null: the form
  const [problem, setProblem] = useState<string | null>(null);
  const [hostError, setHostError] = useState<string | null>(null);

  const send = async (request: MappingRequest) => {
    setProblem(null);
    setHostError(null);
    try {
      await onSave(request, 'Mapping saved. CRM objects are read through it from now on.');
    } catch (err) {
      setHostError(saveErrorText(toApiError(err), 'mapping'));
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (json === null) {
      const missing = draftProblem(draft);
      if (missing) setProblem(missing);
      else void send(mappingOf(draft));
      return;
    }
    const parsed = parseMappingJson(json);
    if ('problem' in parsed) setProblem(parsed.problem);
    // Sent as it is: the host names what is wrong, and where.
    else void send(parsed.body as MappingRequest);
  };

  const toggleJson = () => {
    setHostError(null);
    if (json === null) {
      setJson(mappingJson(mappingOf(draft)));
      setProblem(null);
      return;
    }
    const parsed = parseMappingJson(json);
    const mapping = 'body' in parsed ? asMapping(parsed.body) : null;
    if (!mapping) {
      const why = 'problem' in parsed ? parsed.problem : 'The form shows a mapping: {"id", "as_of", "fields"} and nothing else.';
      setProblem(`${why} Fix the JSON to go back to the form, or Cancel.`);
      return;
    }
    setDraft(draftOf(mapping));
    setJson(null);
    setProblem(null);
  };

  const cancel = () => {
    setDraft(draftOf(view.mapping));
    setJson(null);
    setProblem(null);
    setHostError(null);
  };

  return (
    <form className="mapping-editor" onSubmit={submit} noValidate data-testid="mapping-editor">
      <div className="mapping-editor__bar">
        <h3 className="mapping-editor__title">{json === null ? 'Where each field is' : 'The mapping as JSON'}</h3>
        <button
          type="button"
          className="button button--ghost button--small"
          aria-pressed={json !== null}
          onClick={toggleJson}
          disabled={saving}
          data-testid="mapping-json-toggle"
        >
          Advanced: edit as JSON
        </button>
      </div>
      {json === null ? (
        <MappingFields view={view} draft={draft} readOnly={saving} onChange={setDraft} />
      ) : (
        <div className="field">
          <label className="field__label" htmlFor={`${ids}-json`}>
            Mapping (JSON)
          </label>
          <textarea
            id={`${ids}-json`}
            className="input input--mono mapping-json"
            value={json}
            readOnly={saving}
            spellCheck={false}
            rows={18}
            onChange={(e) => setJson(e.target.value)}
            aria-describedby={`${ids}-json-help`}
            data-testid="mapping-json"
          />
          <p id={`${ids}-json-help`} className="field__help">
            {'{"id": <path>, "as_of": <path>, "fields": {<lead field>: <path> | {"path", "map", "divide_by"} | {"join": [<path>, …]}}}'}
          </p>
        </div>
      )}
      {problem ? (
        <p className="notice notice--error" role="alert" data-testid="mapping-problem">
          {problem}
        </p>
      ) : null}
      {hostError ? (
        <p className="notice notice--error" role="alert" data-testid="mapping-error">
          {hostError}
        </p>
      ) : null}
      <FormActions saving={saving} onCancel={cancel} submitLabel="Save mapping" submitTestId="save-mapping" />
    </form>
  );
}

/** The id's and as_of's paths, then a row per lead field: those the models read, then the others. */
function MappingFields({
  view,
  draft,
  readOnly,
  onChange,
}: {
  view: MappingView;
  draft: MappingDraft;
  readOnly: boolean;
  onChange: (draft: MappingDraft) => void;
}) {
  const ids = useId();
  const { read, other } = rowsOf(view.model_fields, draft);
  const row = (r: MappingRow, i: number, group: string) => (
    <FieldRow
      key={r.field}
      id={`${ids}-${group}-${i}`}
      row={r}
      path={draft.paths[r.field] ?? ''}
      readOnly={readOnly}
      onPath={(path) => onChange({ ...draft, paths: { ...draft.paths, [r.field]: path } })}
    />
  );
  return (
    <>
      <div className="mapping-keys">
        <PathInput
          id={`${ids}-id`}
          label="Lead id"
          value={draft.id}
          readOnly={readOnly}
          onChange={(id) => onChange({ ...draft, id })}
          help="Where the lead’s id is (text or a whole number)."
          testId="mapping-id"
        />
        <PathInput
          id={`${ids}-as-of`}
          label="As of"
          value={draft.asOf}
          readOnly={readOnly}
          onChange={(asOf) => onChange({ ...draft, asOf })}
          placeholder="Time of the request"
          help="When the lead’s data is from. Empty: the time of the request."
          testId="mapping-as-of"
        />
      </div>
      <div>
        <h3 className="mapping-editor__subtitle">
          Fields the models read <span className="count">{read.length}</span>
        </h3>
        <ul className="mapping-rows" data-testid="mapping-rows-read">
          {read.map((r, i) => row(r, i, 'read'))}
        </ul>
      </div>
      {other.length > 0 ? (
        <div>
          <h3 className="mapping-editor__subtitle">
            Other mapped fields <span className="count">{other.length}</span>
          </h3>
          <p className="field__help">The models do not read these; they go into the lead with the rest (reps see its name and company).</p>
          <ul className="mapping-rows" data-testid="mapping-rows-other">
            {other.map((r, i) => row(r, i, 'other'))}
          </ul>
        </div>
      ) : null}
    </>
  );
}

function PathInput({
  id,
  label,
  value,
  readOnly,
  onChange,
  placeholder,
  help,
  testId,
}: {
  id: string;
  label: string;
  value: string;
  readOnly: boolean;
  onChange: (value: string) => void;
  placeholder?: string;
  help: string;
  testId: string;
}) {
  return (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        className="input mono"
        type="text"
        autoComplete="off"
        spellCheck={false}
        value={value}
        placeholder={placeholder}
        readOnly={readOnly}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={`${id}-help`}
        data-testid={testId}
      />
      <p id={`${id}-help`} className="field__help">
        {help}
      </p>
    </div>
  );
}

/**
 * One lead field: its label, name and what the models need of it, the CRM
 * path to edit, its translation read-only, and whether it is mapped at all
 * (in words: a field left out is missing from every lead).
 */
function FieldRow({
  id,
  row,
  path,
  readOnly,
  onPath,
}: {
  id: string;
  row: MappingRow;
  path: string;
  readOnly: boolean;
  onPath: (path: string) => void;
}) {
  const joined = joinedPaths(row.source);
  const notes = translationNotes(row.source);
  const mapped = joined !== null || path.trim() !== '';
  // A field no model reads has no label of its own: its name is the label.
  const label = row.model?.label ?? row.field;
  const describedBy = [row.model ? `${id}-kind` : '', notes.length ? `${id}-notes` : '', mapped ? '' : `${id}-missing`]
    .filter(Boolean)
    .join(' ');
  return (
    <li className="mapping-row" data-testid="mapping-row" data-field={row.field} data-mapped={mapped}>
      <div className="mapping-row__field">
        {joined ? (
          <span className="field__label">{label}</span>
        ) : (
          <label className="field__label" htmlFor={id}>
            {label}
          </label>
        )}
        {row.model ? (
          <>
            <span className="mono small muted">{row.field}</span>
            <span id={`${id}-kind`} className="field__help mapping-row__kind">
              {kindText(row.model)}
            </span>
          </>
        ) : null}
      </div>
      <div className="mapping-row__source">
        {joined ? null : (
          <input
            id={id}
            className="input mono"
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={path}
            readOnly={readOnly}
            onChange={(e) => onPath(e.target.value)}
            aria-describedby={describedBy || undefined}
            data-testid="mapping-path"
          />
        )}
        {notes.length ? (
          <p id={`${id}-notes`} className="small mapping-row__notes" data-testid="mapping-notes">
            {notes.join(' · ')}
            {joined ? <span className="muted"> (edit as JSON to change)</span> : null}
          </p>
        ) : null}
        {mapped ? null : (
          <p id={`${id}-missing`} className="mapping-row__missing" data-testid="not-mapped">
            Not mapped — always missing
          </p>
        )}
      </div>
    </li>
  );
}
