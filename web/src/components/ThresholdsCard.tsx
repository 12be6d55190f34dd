/**
 * "Hot / Cold thresholds" on the admin page: the thresholds in force (the
 * tenant's own, or the active model's, saying which), and a form to set the
 * tenant's own or go back to the model's. Both send the whole routing
 * (`PUT /models/routing`) with or without `bands`; every badge follows at
 * once, already-scored leads too. A refusal (400) shows the host's words.
 */
import { useEffect, useId, useState, type FormEvent } from 'react';

import { putRouting } from '../lib/api';
import { toApiError } from '../lib/hooks';
import { describeBands, parseThresholds, thresholdsInForce } from '../lib/modelQuality';
import { withBands } from '../lib/routing';
import type { Bands, ModelInfo, Routing } from '../lib/types';
import { Spinner } from './States';

export function ThresholdsCard({
  routing,
  models,
  disabled,
  onSaved,
}: {
  routing: Routing;
  models: ModelInfo[];
  /** Another routing change is on its way. */
  disabled: boolean;
  /** The host saved `next`; `message` says what changed. */
  onSaved: (next: Routing, message: string) => void;
}) {
  const ids = useId();
  const inForce = thresholdsInForce(routing, models);
  const [hot, setHot] = useState(String(inForce?.bands.hot ?? ''));
  const [cold, setCold] = useState(String(inForce?.bands.cold ?? ''));
  const [saving, setSaving] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  // The thresholds in force changed (saved here, or elsewhere and reloaded): the form follows.
  const shownHot = inForce?.bands.hot;
  const shownCold = inForce?.bands.cold;
  useEffect(() => {
    if (shownHot !== undefined) setHot(String(shownHot));
    if (shownCold !== undefined) setCold(String(shownCold));
  }, [shownHot, shownCold]);

  const send = async (bands: Bands | null) => {
    setSaving(true);
    setProblem(null);
    try {
      const saved = await putRouting(withBands(routing, bands));
      onSaved(
        saved,
        bands ? `Thresholds saved: ${describeBands(bands)}. Every badge follows them now.` : 'This tenant uses the model’s own thresholds again.',
      );
    } catch (e) {
      const error = toApiError(e);
      setProblem(
        error.status === 400
          ? `The thresholds were refused: ${error.message}`
          : error.isAuth
            ? `You cannot change the thresholds: ${error.message}`
            : `The thresholds could not be saved: ${error.message}`,
      );
    } finally {
      setSaving(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseThresholds(hot, cold);
    if ('problem' in parsed) setProblem(parsed.problem);
    else void send(parsed.bands);
  };

  const busy = saving || disabled;
  return (
    <section className="card" aria-labelledby={`${ids}-title`} data-testid="thresholds">
      <h2 id={`${ids}-title`} className="card__title">
        Hot / Cold thresholds
      </h2>
      {inForce ? (
        <p data-testid="thresholds-in-force" data-source={inForce.source}>
          <strong>{describeBands(inForce.bands)}</strong>{' '}
          <span className="muted">
            {inForce.source === 'tenant'
              ? '— this tenant’s own thresholds.'
              : `— the model’s own (${inForce.version}).`}
          </span>
        </p>
      ) : (
        <p className="muted">The thresholds in force are not known.</p>
      )}
      <form className="thresholds-form" onSubmit={submit} noValidate>
        <div className="thresholds-form__fields">
          <ScoreInput id={`${ids}-hot`} label="Hot above" value={hot} onChange={setHot} testId="thresholds-hot" />
          <ScoreInput id={`${ids}-cold`} label="Cold below" value={cold} onChange={setCold} testId="thresholds-cold" />
        </div>
        <p className="field__help">
          A score above “Hot above” is Hot, below “Cold below” Cold, anything else Warm. Badges follow at once,
          on leads already scored too.
        </p>
        {problem ? (
          <p className="notice notice--error" role="alert" data-testid="thresholds-error">
            {problem}
          </p>
        ) : null}
        <div className="form-actions">
          {inForce?.source === 'tenant' ? (
            <button
              type="button"
              className="button button--ghost"
              onClick={() => void send(null)}
              disabled={busy}
              data-testid="use-model-thresholds"
            >
              Use the model’s
            </button>
          ) : null}
          <button type="submit" className="button button--primary" disabled={busy} data-testid="save-thresholds">
            {saving ? <Spinner label="Saving" /> : null} Save thresholds
          </button>
        </div>
      </form>
    </section>
  );
}

/** One threshold: a whole score from 0 to 100, as typed. */
function ScoreInput({
  id,
  label,
  value,
  onChange,
  testId,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  testId: string;
}) {
  return (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        className="input input--number"
        type="number"
        inputMode="numeric"
        min={0}
        max={100}
        step={1}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
      />
    </div>
  );
}
