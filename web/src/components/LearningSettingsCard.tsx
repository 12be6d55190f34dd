/**
 * The learning settings (scope crm.admin.models): control group share,
 * guardrail and drift threshold, read-only until "Edit". Checked against the
 * host's ranges before sending; a 400 shows the host's message. Without the
 * admin scope (401/403) the card is not shown at all.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';

import { fetchLearningSettings, putLearningSettings, type ApiError } from '../lib/api';
import { toApiError, useLoad } from '../lib/hooks';
import {
  draftOf,
  formatSetting,
  NUMERIC_SETTINGS,
  parseDraft,
  SETTING_RULES,
  type NumericSetting,
  type SettingsDraft,
} from '../lib/learningSettings';
import type { LearningSettings } from '../lib/types';
import { FormActions } from './FormActions';
import { CloseIcon } from './Icons';
import { ErrorState } from './States';

type Notice = { tone: 'success' | 'error'; text: string } | null;

export function LearningSettingsCard({ onSaved }: { onSaved?: (s: LearningSettings) => void }) {
  const [state, reload, replace] = useLoad((signal) => fetchLearningSettings(signal), []);
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);

  // Not an admin: nothing to see here.
  if (state.status === 'error' && state.error.isAuth) return null;
  if (!state.data) {
    return state.status === 'error' ? (
      <section className="card" aria-label="Learning settings">
        <ErrorState error={state.error} title="The learning settings could not be loaded" onRetry={reload} compact />
      </section>
    ) : null;
  }
  const settings = state.data;

  return (
    <section className="card" aria-labelledby="learning-settings-heading" data-testid="learning-settings">
      <div className="card__header">
        <h2 id="learning-settings-heading" className="card__title">
          Experiment settings <span className="pill small">admin</span>
        </h2>
        {!editing ? (
          <button
            type="button"
            className="button"
            onClick={() => {
              setNotice(null);
              setEditing(true);
            }}
            data-testid="edit-learning-settings"
          >
            Edit settings
          </button>
        ) : null}
      </div>
      <div aria-live="polite">
        {notice ? (
          <p className={`notice notice--${notice.tone}`} data-testid="learning-settings-notice" role={notice.tone === 'error' ? 'alert' : undefined}>
            <span>{notice.text}</span>
            <button type="button" className="icon-button icon-button--small" aria-label="Dismiss" onClick={() => setNotice(null)}>
              <CloseIcon />
            </button>
          </p>
        ) : null}
      </div>
      {editing ? (
        <SettingsForm
          settings={settings}
          onCancel={() => setEditing(false)}
          onSaved={(saved) => {
            replace(saved);
            setEditing(false);
            setNotice({ tone: 'success', text: 'Settings saved. The report below uses them from now on.' });
            onSaved?.(saved);
          }}
        />
      ) : (
        <SettingsView settings={settings} />
      )}
    </section>
  );
}

function SettingsView({ settings }: { settings: LearningSettings }) {
  return (
    <dl className="settings-list" data-testid="learning-settings-view">
      {NUMERIC_SETTINGS.map((key) => (
        <div className="settings-list__item" key={key}>
          <dt>{SETTING_RULES[key].label}</dt>
          <dd data-testid={`setting-${key}`}>{formatSetting(key, settings[key])}</dd>
        </div>
      ))}
      <div className="settings-list__item">
        <dt>On alert</dt>
        <dd data-testid="setting-guardrail_to_rules">
          {settings.guardrail_to_rules ? 'Route the tenant to rules-v1' : 'Alert only'}
        </dd>
      </div>
    </dl>
  );
}

function settingsErrorText(error: ApiError): string {
  if (error.status === 400) return `The settings were refused: ${error.message}`;
  if (error.isAuth) return `You need the “crm.admin.models” scope to change these settings. ${error.message}`;
  return `The settings could not be saved: ${error.message}`;
}

export function SettingsForm({
  settings,
  onCancel,
  onSaved,
}: {
  settings: LearningSettings;
  onCancel: () => void;
  onSaved: (s: LearningSettings) => void;
}) {
  const [draft, setDraft] = useState<SettingsDraft>(() => draftOf(settings));
  const [submitted, setSubmitted] = useState(false);
  const [saving, setSaving] = useState(false);
  const [hostError, setHostError] = useState<string | null>(null);
  const ids = useId();
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  const parsed = parseDraft(draft);
  const problems = submitted ? (parsed.problems ?? {}) : {};

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setHostError(null);
    if (!parsed.settings) {
      // Focus the first field to fix.
      const bad = NUMERIC_SETTINGS.find((k) => parsed.problems?.[k]);
      if (bad) document.getElementById(`${ids}-${bad}`)?.focus();
      return;
    }
    setSaving(true);
    try {
      onSaved(await putLearningSettings(parsed.settings));
    } catch (err) {
      setHostError(settingsErrorText(toApiError(err)));
    } finally {
      setSaving(false);
    }
  };

  const field = (key: NumericSetting, index: number) => {
    const rule = SETTING_RULES[key];
    const problem = problems[key];
    const id = `${ids}-${key}`;
    return (
      <div className="field" key={key}>
        <label className="field__label" htmlFor={id}>
          {rule.label}
          {rule.percent ? ' (%)' : ''}
        </label>
        <input
          ref={index === 0 ? first : undefined}
          id={id}
          className="input input--setting"
          type="text"
          inputMode="decimal"
          autoComplete="off"
          value={draft[key]}
          onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
          aria-invalid={problem ? true : undefined}
          aria-describedby={`${id}-help${problem ? ` ${id}-problem` : ''}`}
          data-testid={`input-${key}`}
        />
        <p id={`${id}-help`} className="field__help">
          {rule.help}
        </p>
        {problem ? (
          <p id={`${id}-problem`} className="field__problem" data-testid={`problem-${key}`}>
            {problem}
          </p>
        ) : null}
      </div>
    );
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate data-testid="learning-settings-form">
      <div className="settings-form">
        {NUMERIC_SETTINGS.map(field)}
        <div className="field">
          <span className="field__label">On a guardrail alert</span>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={draft.guardrail_to_rules}
              onChange={(e) => setDraft({ ...draft, guardrail_to_rules: e.target.checked })}
              data-testid="input-guardrail_to_rules"
            />
            Route the tenant to the rules model (rules-v1)
          </label>
        </div>
      </div>
      {hostError ? (
        <p className="notice notice--error" role="alert" data-testid="learning-settings-error">
          {hostError}
        </p>
      ) : null}
      {submitted && parsed.problems ? (
        <p className="visually-hidden" role="alert">
          Some settings are out of range: see the fields marked.
        </p>
      ) : null}
      <FormActions saving={saving} onCancel={onCancel} submitLabel="Save settings" submitTestId="save-learning-settings" />
    </form>
  );
}
