/**
 * "Upload a model": the files XGBoost and the training wrote (the model
 * file, features.toml, and if there are some calibration.json and
 * reference.json) go to `POST /models`; the host builds the version,
 * self-tests it and installs it. An installed version scores nothing until
 * the routing names it. A refusal shows the host's message, which names the
 * file or field at fault.
 */
import { useId, useRef, useState, type FormEvent } from 'react';

import { installModelSource, type ApiError, type Installed, type ModelSourceFiles } from '../lib/api';
import { toApiError } from '../lib/hooks';
import type { ModelInfo } from '../lib/types';
import { Spinner } from './States';

type Field = keyof ModelSourceFiles;

const FIELDS: { name: Field; label: string; help: string; accept: string; required: boolean }[] = [
  {
    name: 'model',
    label: 'Model file',
    help: 'model.json or model.ubj, as XGBoost saved it (or a rules.toml).',
    accept: '.json,.ubj,.toml',
    required: true,
  },
  {
    name: 'features',
    label: 'Features',
    help: 'features.toml: the name and version, the features and the bands.',
    accept: '.toml',
    required: true,
  },
  {
    name: 'calibration',
    label: 'Calibration (optional)',
    help: 'calibration.json, if the model has one.',
    accept: '.json',
    required: false,
  },
  {
    name: 'reference',
    label: 'Reference distributions (optional)',
    help: 'reference.json: the training data’s distributions, for the drift report.',
    accept: '.json',
    required: false,
  },
];

type Outcome = { tone: 'success'; installed: Installed } | { tone: 'error'; text: string } | null;

export function ModelUploadCard({ onInstalled }: { onInstalled: (model: ModelInfo) => void }) {
  const ids = useId();
  const form = useRef<HTMLFormElement>(null);
  const [files, setFiles] = useState<Partial<Record<Field, File>>>({});
  const [uploading, setUploading] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const missing = FIELDS.filter((f) => f.required && !files[f.name]);
    if (missing.length > 0) {
      setOutcome({ tone: 'error', text: `Choose the ${missing.map((f) => f.label.toLowerCase()).join(' and the ')}.` });
      return;
    }
    setUploading(true);
    setOutcome(null);
    try {
      const source: ModelSourceFiles = {
        model: files.model!,
        features: files.features!,
        calibration: files.calibration ?? null,
        reference: files.reference ?? null,
      };
      const installed = await installModelSource(source);
      setOutcome({ tone: 'success', installed });
      setFiles({});
      form.current?.reset();
      onInstalled(installed.model);
    } catch (error) {
      setOutcome({ tone: 'error', text: uploadErrorText(toApiError(error)) });
    } finally {
      setUploading(false);
    }
  };

  return (
    <section className="card" aria-labelledby={`${ids}-title`} data-testid="model-upload">
      <div>
        <h2 id={`${ids}-title`} className="card__title">
          Upload a model
        </h2>
        <p className="muted small">
          The files XGBoost and the training wrote: the server builds the version, checks it and installs it. It scores
          no lead until the routing names it.
        </p>
      </div>
      <form ref={form} onSubmit={(e) => void submit(e)} noValidate>
        <div className="form-grid">
          {FIELDS.map((f) => (
            <div className="field" key={f.name}>
              <label className="field__label" htmlFor={`${ids}-${f.name}`}>
                {f.label}
              </label>
              <input
                id={`${ids}-${f.name}`}
                className="input"
                type="file"
                name={f.name}
                accept={f.accept}
                required={f.required}
                aria-describedby={`${ids}-${f.name}-help`}
                disabled={uploading}
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  setFiles((current) => ({ ...current, [f.name]: file }));
                }}
                data-testid={`upload-${f.name}`}
              />
              <p className="field__help" id={`${ids}-${f.name}-help`}>
                {f.help}
              </p>
            </div>
          ))}
        </div>
        <div aria-live="polite">
          {outcome?.tone === 'success' ? (
            <p className="notice notice--success" data-testid="upload-result">
              {installedText(outcome.installed)}
            </p>
          ) : null}
        </div>
        {outcome?.tone === 'error' ? (
          <p className="notice notice--error" role="alert" data-testid="upload-error">
            {outcome.text}
          </p>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={uploading} data-testid="upload-model">
            {uploading ? <Spinner label="Building" /> : null} {uploading ? 'Building and installing…' : 'Upload and install'}
          </button>
        </div>
      </form>
    </section>
  );
}

export function installedText({ model, created }: Installed): string {
  const what = `${model.version} (${model.name}, ${model.num_trees} trees, ${model.features} features, sha256 ${model.sha256.slice(0, 8)})`;
  return created
    ? `Installed ${what}. Route leads to it from the routing above.`
    : `${what} was installed already, identical: nothing changed.`;
}

function uploadErrorText(error: ApiError): string {
  if (error.status === 403) return `Only the operator’s admins install models. ${error.message}`;
  if (error.status === 401) return `Please sign in again. ${error.message}`;
  if (error.status === 400 || error.status === 409 || error.status === 413 || error.status === 422) {
    return `The model was refused: ${error.message}`;
  }
  return `The upload failed: ${error.message}`;
}
