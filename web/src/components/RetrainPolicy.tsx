/**
 * The retrain policy, read-only until "Edit policy", then a form of the
 * whole policy. The form only checks that each value is a number; the host
 * checks the ranges and answers 400 naming the field, which is shown next
 * to the form and marks that field.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';

import type { ApiError } from '../lib/api';
import { toApiError } from '../lib/hooks';
import {
  draftOfPolicy,
  formatPolicyValue,
  NUMERIC_POLICY_KEYS,
  parsePolicyDraft,
  POLICY_RULES,
  policyFieldOf,
  putRetrainPolicy,
  SWITCH_RULES,
  type NumericPolicyKey,
  type PolicyDraft,
  type SwitchPolicyKey,
} from '../lib/retrain';
import type { RetrainPolicy } from '../lib/types';
import { FormActions } from './FormActions';

const SWITCHES: SwitchPolicyKey[] = ['enabled', 'auto_promote'];

export function PolicyView({ policy }: { policy: RetrainPolicy }) {
  return (
    <dl className="settings-list" data-testid="retrain-policy-view">
      {SWITCHES.map((key) => (
        <div className="settings-list__item" key={key}>
          <dt>{SWITCH_RULES[key].label}</dt>
          <dd data-testid={`retrain-setting-${key}`}>{policy[key] ? SWITCH_RULES[key].on : SWITCH_RULES[key].off}</dd>
        </div>
      ))}
      {NUMERIC_POLICY_KEYS.map((key) => (
        <div className="settings-list__item" key={key}>
          <dt>{POLICY_RULES[key].label}</dt>
          <dd data-testid={`retrain-setting-${key}`}>{formatPolicyValue(key, policy[key])}</dd>
        </div>
      ))}
    </dl>
  );
}

export function policyErrorText(error: ApiError): string {
  if (error.status === 400) return `The policy was refused: ${error.message}`;
  if (error.isAuth) return `You need the “crm.admin.models” scope to change the retrain policy. ${error.message}`;
  return `The policy could not be saved: ${error.message}`;
}

export function PolicyForm({
  policy,
  onCancel,
  onSaved,
}: {
  policy: RetrainPolicy;
  onCancel: () => void;
  onSaved: (saved: RetrainPolicy) => void;
}) {
  const [draft, setDraft] = useState<PolicyDraft>(() => draftOfPolicy(policy));
  const [submitted, setSubmitted] = useState(false);
  const [saving, setSaving] = useState(false);
  const [hostError, setHostError] = useState<{ text: string; field: NumericPolicyKey | null } | null>(null);
  const ids = useId();
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  const parsed = parsePolicyDraft(draft);
  const problems = submitted ? (parsed.problems ?? {}) : {};
  const errorId = `${ids}-error`;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setHostError(null);
    if (!parsed.policy) {
      const bad = NUMERIC_POLICY_KEYS.find((k) => parsed.problems?.[k]);
      if (bad) document.getElementById(`${ids}-${bad}`)?.focus();
      return;
    }
    setSaving(true);
    try {
      onSaved(await putRetrainPolicy(parsed.policy));
    } catch (err) {
      const error = toApiError(err);
      setHostError({ text: policyErrorText(error), field: error.status === 400 ? policyFieldOf(error.message) : null });
    } finally {
      setSaving(false);
    }
  };

  const field = (key: NumericPolicyKey, index: number) => {
    const rule = POLICY_RULES[key];
    const problem = problems[key];
    const refused = hostError?.field === key;
    const id = `${ids}-${key}`;
    const describedBy = [`${id}-help`, problem ? `${id}-problem` : null, refused ? errorId : null].filter(Boolean).join(' ');
    return (
      <div className="field" key={key}>
        <label className="field__label" htmlFor={id}>
          {rule.label}
        </label>
        <input
          ref={index === 0 ? first : undefined}
          id={id}
          className="input input--setting"
          type="text"
          inputMode={rule.integer ? 'numeric' : 'decimal'}
          autoComplete="off"
          value={draft[key]}
          onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
          aria-invalid={problem || refused ? true : undefined}
          aria-describedby={describedBy}
          data-testid={`retrain-input-${key}`}
        />
        <p id={`${id}-help`} className="field__help">
          {rule.help}
        </p>
        {problem ? (
          <p id={`${id}-problem`} className="field__problem" data-testid={`retrain-problem-${key}`}>
            {problem}
          </p>
        ) : null}
      </div>
    );
  };

  const toggle = (key: SwitchPolicyKey) => (
    <div className="field" key={key}>
      <span className="field__label">{SWITCH_RULES[key].label}</span>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={draft[key]}
          onChange={(e) => setDraft({ ...draft, [key]: e.target.checked })}
          data-testid={`retrain-input-${key}`}
        />
        {SWITCH_RULES[key].help}
      </label>
    </div>
  );

  return (
    <form onSubmit={(e) => void submit(e)} noValidate data-testid="retrain-policy-form">
      <div className="settings-form">
        {toggle('enabled')}
        {NUMERIC_POLICY_KEYS.map(field)}
        {toggle('auto_promote')}
      </div>
      {hostError ? (
        <p id={errorId} className="notice notice--error" role="alert" data-testid="retrain-policy-error">
          {hostError.text}
        </p>
      ) : null}
      {submitted && parsed.problems ? (
        <p className="visually-hidden" role="alert">
          Some values are not numbers: see the fields marked.
        </p>
      ) : null}
      <FormActions saving={saving} onCancel={onCancel} submitLabel="Save policy" submitTestId="save-retrain-policy" />
    </form>
  );
}
