// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { ModelInfo } from '../lib/types';
import { ModelUploadCard } from './ModelUploadCard';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const V77: ModelInfo = {
  name: 'lead-scorer',
  version: 'v77',
  sha256: '0123456789abcdef',
  state: 'installed',
  loaded: true,
  built_at: '2026-11-30T00:00:00Z',
  num_trees: 180,
  features: 23,
  routed_for_tenants: [],
  bands: { hot: 80, cold: 40 },
  top_features: [],
};

interface Sent {
  method: string;
  path: string;
  form: FormData;
}

/** Stubs `fetch` with one answer for `POST /models`; records what was sent. */
function answer(status: number, body: unknown): Sent[] {
  const sent: Sent[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      sent.push({ method: init?.method ?? 'GET', path: String(url), form: init?.body as FormData });
      return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
    }),
  );
  return sent;
}

function choose(label: string, name: string, text = '{}') {
  fireEvent.change(screen.getByLabelText(label), { target: { files: [new File([text], name)] } });
}

describe('ModelUploadCard', () => {
  it('has a labelled file input for each of the model’s files', () => {
    render(<ModelUploadCard onInstalled={() => {}} />);
    for (const label of ['Model file', 'Features', 'Calibration (optional)', 'Reference distributions (optional)']) {
      const input = screen.getByLabelText(label) as HTMLInputElement;
      expect(input.type).toBe('file');
      expect(input.getAttribute('aria-describedby')).toBeTruthy();
    }
    expect(screen.getByRole('heading', { name: 'Upload a model' })).toBeTruthy();
  });

  it('uploads the chosen files as a multipart form and shows the installed version', async () => {
    const sent = answer(201, V77);
    const onInstalled = vi.fn();
    render(<ModelUploadCard onInstalled={onInstalled} />);
    choose('Model file', 'model.json', '{"learner": {}}');
    choose('Features', 'features.toml', '[model]');
    choose('Calibration (optional)', 'calibration.json');
    fireEvent.click(screen.getByRole('button', { name: 'Upload and install' }));

    const result = await screen.findByTestId('upload-result');
    expect(result.textContent).toBe(
      'Installed v77 (lead-scorer, 180 trees, 23 features, sha256 01234567). Route leads to it from the routing above.',
    );
    expect(onInstalled).toHaveBeenCalledWith(V77);
    expect(sent.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /models']);
    const form = sent[0].form;
    expect(form).toBeInstanceOf(FormData);
    expect([...form.keys()]).toEqual(['model', 'features', 'calibration']);
    const model = form.get('model') as File;
    expect(model.name).toBe('model.json');
    expect(model.size).toBe('{"learner": {}}'.length);
    expect((form.get('features') as File).name).toBe('features.toml');
  });

  it('sends a rules.toml as `rules`, and says when the version was there already', async () => {
    const sent = answer(200, { ...V77, version: 'rules-v2' });
    render(<ModelUploadCard onInstalled={() => {}} />);
    choose('Model file', 'rules.toml', '[[rule]]');
    choose('Features', 'features.toml', '[model]');
    fireEvent.click(screen.getByRole('button', { name: 'Upload and install' }));
    expect((await screen.findByTestId('upload-result')).textContent).toContain('rules-v2 (lead-scorer');
    expect(screen.getByTestId('upload-result').textContent).toContain('was installed already, identical');
    expect([...sent[0].form.keys()]).toEqual(['rules', 'features']);
  });

  it('shows the host’s message when it refuses the model', async () => {
    const message = 'features.toml: declares 22 features but the model has 23';
    answer(422, { error: { code: 'invalid_model', message } });
    const onInstalled = vi.fn();
    render(<ModelUploadCard onInstalled={onInstalled} />);
    choose('Model file', 'model.json');
    choose('Features', 'features.toml');
    fireEvent.click(screen.getByRole('button', { name: 'Upload and install' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe(`The model was refused: ${message}`);
    expect(onInstalled).not.toHaveBeenCalled();
    expect(screen.queryByTestId('upload-result')).toBeNull();
    // The files stay chosen: fix one and send again.
    expect((screen.getByLabelText('Model file') as HTMLInputElement).files?.[0]?.name).toBe('model.json');
  });

  it('asks for the model file and features.toml before sending anything', async () => {
    const sent = answer(201, V77);
    render(<ModelUploadCard onInstalled={() => {}} />);
    choose('Calibration (optional)', 'calibration.json');
    fireEvent.click(screen.getByRole('button', { name: 'Upload and install' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Choose the model file and the features.');
    choose('Model file', 'model.ubj');
    fireEvent.click(screen.getByRole('button', { name: 'Upload and install' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('Choose the features.'));
    expect(sent).toHaveLength(0);
  });
});
