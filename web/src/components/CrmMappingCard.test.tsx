// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { Mapping, MappingView, Routing } from '../lib/types';
import { AdminPage } from '../pages/AdminPage';
import { apiError, mockFetch } from '../test/fetchMock';
import { model } from '../test/models';
import { CrmMappingCard } from './CrmMappingCard';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const SENIORITY = {
  c_suite: 'executive',
  director: 'director',
  employee: 'individual',
  entry: 'individual',
  founder: 'executive',
  head: 'director',
  intern: 'individual',
  manager: 'manager',
  owner: 'executive',
  partner: 'executive',
  senior: 'individual',
  vp: 'vp',
};

const MODEL_FIELDS: MappingView['model_fields'] = {
  annual_revenue_musd: { label: 'Annual revenue', kind: 'number' },
  employees: { label: 'Employees', kind: 'number' },
  region: { label: 'Region', kind: 'category', categories: ['north_america', 'europe', 'apac', 'latam'] },
  seniority: { label: 'Seniority', kind: 'category', categories: ['individual', 'manager', 'director', 'vp', 'executive'] },
};

/** The HubSpot preset, less region: a model field it leaves out. */
const MAPPING: Mapping = {
  id: 'id',
  as_of: 'updatedAt',
  fields: {
    annual_revenue_musd: { path: 'properties.annualrevenue', divide_by: 1_000_000 },
    company: 'properties.company',
    employees: 'properties.numemployees',
    name: { join: ['properties.firstname', 'properties.lastname'] },
    seniority: { path: 'properties.hs_seniority', map: SENIORITY },
  },
};

const UPDATED_AT = Date.parse('2026-11-30T10:00:00Z');
const VIEW: MappingView = {
  preset: null,
  mapping: MAPPING,
  updated_at: UPDATED_AT,
  model_fields: MODEL_FIELDS,
  unmapped: ['region'],
};
const NONE: MappingView = { preset: null, mapping: null, updated_at: null, model_fields: MODEL_FIELDS, unmapped: [] };

const row = (field: string) => document.querySelector(`[data-testid="mapping-row"][data-field="${field}"]`) as HTMLElement;
const putBodies = (calls: { method: string; body: unknown }[]) => calls.filter((c) => c.method === 'PUT').map((c) => c.body);
const echoMapping = (init: RequestInit | undefined): { body: MappingView } => {
  const mapping = JSON.parse(String(init?.body)) as Mapping;
  const unmapped = Object.keys(MODEL_FIELDS).filter((f) => !(f in mapping.fields));
  return { body: { preset: null, mapping, updated_at: Date.now(), model_fields: MODEL_FIELDS, unmapped } };
};

describe('CrmMappingCard', () => {
  it('shows the mapping: when it was set, each field’s path, translation and what the models need of it', async () => {
    mockFetch({ 'GET /integrations/mapping': { body: VIEW } });
    render(<CrmMappingCard routedVersions="v12" />);
    const status = await screen.findByTestId('mapping-status');
    expect(status.dataset.preset).toBe('custom');
    expect(status.textContent).toContain('Custom mapping');
    expect(status.textContent).toMatch(/· set (on |\d+ days ago|yesterday|\d+ h ago|\d+ min ago|just now)/);
    expect(within(status).getByTitle(/2026/)).toBeTruthy();
    expect(screen.getByTestId('mapping-coverage').textContent).toBe('Not mapped, so always missing: Region.');

    expect((screen.getByLabelText('Lead id') as HTMLInputElement).value).toBe('id');
    expect((screen.getByLabelText('As of') as HTMLInputElement).value).toBe('updatedAt');
    expect((screen.getByLabelText('Employees') as HTMLInputElement).value).toBe('properties.numemployees');
    expect(row('employees').textContent).toContain('employees');
    expect(row('employees').textContent).toContain('number');
    expect(row('seniority').textContent).toContain('category: individual, manager, director, vp, executive');
    expect(within(row('seniority')).getByTestId('mapping-notes').textContent).toBe('12 values translated');
    expect(within(row('annual_revenue_musd')).getByTestId('mapping-notes').textContent).toBe('÷ 1,000,000');

    // The models' fields first, in the host's order; then the others, by name.
    const read = within(screen.getByTestId('mapping-rows-read')).getAllByTestId('mapping-row');
    expect(read.map((r) => r.dataset.field)).toEqual(['annual_revenue_musd', 'employees', 'region', 'seniority']);
    const other = within(screen.getByTestId('mapping-rows-other')).getAllByTestId('mapping-row');
    expect(other.map((r) => r.dataset.field)).toEqual(['company', 'name']);
    // A joined field: read-only, no path to edit.
    expect(within(row('name')).queryByTestId('mapping-path')).toBeNull();
    expect(within(row('name')).getByTestId('mapping-notes').textContent).toContain(
      'joined: properties.firstname + properties.lastname',
    );
  });

  it('labels unmapped fields in words, and a path emptied while editing too', async () => {
    mockFetch({ 'GET /integrations/mapping': { body: VIEW } });
    render(<CrmMappingCard routedVersions="v12" />);
    await screen.findByTestId('mapping-status');
    expect(row('region').dataset.mapped).toBe('false');
    expect(within(row('region')).getByTestId('not-mapped').textContent).toBe('Not mapped — always missing');
    expect(screen.getByLabelText('Region').getAttribute('aria-describedby')).toContain(
      within(row('region')).getByTestId('not-mapped').id,
    );
    expect(screen.getAllByTestId('not-mapped')).toHaveLength(1);

    fireEvent.change(screen.getByLabelText('Employees'), { target: { value: ' ' } });
    expect(within(row('employees')).getByTestId('not-mapped')).toBeTruthy();
    expect(screen.getAllByTestId('not-mapped')).toHaveLength(2);
  });

  it('with no mapping set: says so, and every model field is unmapped', async () => {
    mockFetch({ 'GET /integrations/mapping': { body: NONE } });
    render(<CrmMappingCard routedVersions="v12" />);
    const status = await screen.findByTestId('mapping-status');
    expect(status.dataset.preset).toBe('none');
    expect(status.textContent).toContain('No mapping set');
    expect(status.textContent).not.toContain('set on');
    expect(screen.getAllByTestId('not-mapped')).toHaveLength(4);
    expect(screen.queryByTestId('mapping-rows-other')).toBeNull();
  });

  it('applies a preset with one button: PUT {preset}, then shows what the host saved', async () => {
    const salesforce: Mapping = { ...MAPPING, id: 'Id', fields: { ...MAPPING.fields, region: 'Country' } };
    const preset: MappingView = { ...VIEW, preset: 'salesforce', mapping: salesforce, unmapped: [] };
    const calls = mockFetch({ 'GET /integrations/mapping': { body: NONE }, 'PUT /integrations/mapping': { body: preset } });
    render(<CrmMappingCard routedVersions="v12" />);
    fireEvent.change(await screen.findByLabelText('Preset'), { target: { value: 'salesforce' } });
    fireEvent.click(screen.getByTestId('apply-preset'));
    await waitFor(() => expect(screen.getByTestId('mapping-status').dataset.preset).toBe('salesforce'));
    expect(putBodies(calls)).toEqual([{ preset: 'salesforce' }]);
    expect(screen.getByTestId('mapping-status').textContent).toContain('Salesforce Lead preset');
    expect(screen.getByTestId('mapping-coverage').textContent).toBe('Every field the models read is mapped.');
    expect(screen.getByTestId('mapping-notice').textContent).toContain('The Salesforce Lead preset is the mapping now.');
    expect((screen.getByLabelText('Lead id') as HTMLInputElement).value).toBe('Id');
    expect(screen.queryByTestId('not-mapped')).toBeNull();
  });

  it('saving an edited path keeps the other fields’ maps, divisor and join, and the field’s own', async () => {
    const calls = mockFetch({ 'GET /integrations/mapping': { body: VIEW }, 'PUT /integrations/mapping': echoMapping });
    render(<CrmMappingCard routedVersions="v12" />);
    fireEvent.change(await screen.findByLabelText('Seniority'), { target: { value: ' properties.seniority_level ' } });
    fireEvent.change(screen.getByLabelText('Employees'), { target: { value: 'properties.employee_count' } });
    fireEvent.change(screen.getByLabelText('Region'), { target: { value: 'properties.country' } });
    fireEvent.change(screen.getByLabelText('As of'), { target: { value: '' } });
    fireEvent.click(screen.getByTestId('save-mapping'));
    await waitFor(() => expect(screen.getByTestId('mapping-notice').textContent).toContain('Mapping saved'));
    expect(putBodies(calls)).toEqual([
      {
        id: 'id',
        fields: {
          annual_revenue_musd: { path: 'properties.annualrevenue', divide_by: 1_000_000 },
          company: 'properties.company',
          employees: 'properties.employee_count',
          name: { join: ['properties.firstname', 'properties.lastname'] },
          seniority: { path: 'properties.seniority_level', map: SENIORITY },
          region: 'properties.country',
        },
      },
    ]);
    expect(screen.getByTestId('mapping-coverage').textContent).toBe('Every field the models read is mapped.');
    expect(within(row('seniority')).getByTestId('mapping-notes').textContent).toBe('12 values translated');
  });

  it('shows the host’s 400 message as it is, and keeps what was typed', async () => {
    const message = 'fields.employees: path "properties..x": dot-separated keys, none empty';
    mockFetch({
      'GET /integrations/mapping': { body: VIEW },
      'PUT /integrations/mapping': apiError(400, 'invalid_mapping', message),
    });
    render(<CrmMappingCard routedVersions="v12" />);
    fireEvent.change(await screen.findByLabelText('Employees'), { target: { value: 'properties..x' } });
    fireEvent.click(screen.getByTestId('save-mapping'));
    const error = await screen.findByTestId('mapping-error');
    expect(error.textContent).toBe(`The mapping was refused: ${message}`);
    expect(error.getAttribute('role')).toBe('alert');
    expect((screen.getByLabelText('Employees') as HTMLInputElement).value).toBe('properties..x');
    expect(screen.getByTestId('mapping-status').dataset.preset).toBe('custom');
    expect((screen.getByTestId('save-mapping') as HTMLButtonElement).disabled).toBe(false);
  });

  it('refuses an empty id path before sending', async () => {
    const calls = mockFetch({ 'GET /integrations/mapping': { body: VIEW }, 'PUT /integrations/mapping': echoMapping });
    render(<CrmMappingCard routedVersions="v12" />);
    fireEvent.change(await screen.findByLabelText('Lead id'), { target: { value: '' } });
    fireEvent.click(screen.getByTestId('save-mapping'));
    expect(screen.getByTestId('mapping-problem').textContent).toContain('path of the lead’s id');
    expect(putBodies(calls)).toHaveLength(0);
  });

  it('disables its buttons while saving', async () => {
    let answer: (r: Response) => void = () => {};
    mockFetch({ 'GET /integrations/mapping': { body: VIEW } });
    const get = globalThis.fetch;
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string, init?: RequestInit) =>
        init?.method === 'PUT' ? new Promise<Response>((resolve) => (answer = resolve)) : get(url, init),
      ),
    );
    render(<CrmMappingCard routedVersions="v12" />);
    fireEvent.click(await screen.findByTestId('save-mapping'));
    await waitFor(() => expect((screen.getByTestId('save-mapping') as HTMLButtonElement).disabled).toBe(true));
    expect((screen.getByTestId('apply-preset') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('mapping-json-toggle') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByLabelText('Employees') as HTMLInputElement).readOnly).toBe(true);
    answer(new Response(JSON.stringify(VIEW), { status: 200, headers: { 'Content-Type': 'application/json' } }));
    await waitFor(() => expect((screen.getByTestId('save-mapping') as HTMLButtonElement).disabled).toBe(false));
  });

  describe('as JSON', () => {
    it('holds the whole mapping, typed edits included, and sends what is typed', async () => {
      const calls = mockFetch({ 'GET /integrations/mapping': { body: VIEW }, 'PUT /integrations/mapping': echoMapping });
      render(<CrmMappingCard routedVersions="v12" />);
      fireEvent.change(await screen.findByLabelText('Employees'), { target: { value: 'properties.headcount' } });
      const toggle = screen.getByRole('button', { name: 'Advanced: edit as JSON' });
      expect(toggle.getAttribute('aria-pressed')).toBe('false');
      fireEvent.click(toggle);
      expect(toggle.getAttribute('aria-pressed')).toBe('true');
      const text = screen.getByLabelText('Mapping (JSON)') as HTMLTextAreaElement;
      const shown = JSON.parse(text.value) as Mapping;
      expect(shown).toEqual({ ...MAPPING, fields: { ...MAPPING.fields, employees: 'properties.headcount' } });

      const edited = { ...shown, fields: { ...shown.fields, region: { path: 'properties.country', map: { Germany: 'europe' } } } };
      fireEvent.change(text, { target: { value: JSON.stringify(edited) } });
      fireEvent.click(screen.getByTestId('save-mapping'));
      await waitFor(() => expect(screen.getByTestId('mapping-notice')).toBeTruthy());
      expect(putBodies(calls)).toEqual([edited]);
      // Saved: the form again, showing the new translation.
      expect(screen.queryByLabelText('Mapping (JSON)')).toBeNull();
      expect(within(row('region')).getByTestId('mapping-notes').textContent).toBe('1 value translated');
    });

    it('refuses invalid JSON before sending, and keeps it', async () => {
      const calls = mockFetch({ 'GET /integrations/mapping': { body: VIEW }, 'PUT /integrations/mapping': echoMapping });
      render(<CrmMappingCard routedVersions="v12" />);
      fireEvent.click(await screen.findByTestId('mapping-json-toggle'));
      const text = screen.getByLabelText('Mapping (JSON)');
      fireEvent.change(text, { target: { value: '{"id": "id", "fields": {' } });
      fireEvent.click(screen.getByTestId('save-mapping'));
      const problem = screen.getByTestId('mapping-problem');
      expect(problem.textContent).toMatch(/^This is not valid JSON \(.+\)\. Nothing was sent\.$/);
      expect(problem.getAttribute('role')).toBe('alert');
      fireEvent.change(text, { target: { value: '[1]' } });
      fireEvent.click(screen.getByTestId('save-mapping'));
      expect(screen.getByTestId('mapping-problem').textContent).toContain('The mapping is a JSON object');
      expect(putBodies(calls)).toHaveLength(0);

      // Not back to the form with it either: the JSON stays.
      fireEvent.click(screen.getByTestId('mapping-json-toggle'));
      expect(screen.getByTestId('mapping-problem').textContent).toContain('Fix the JSON to go back to the form');
      expect((screen.getByLabelText('Mapping (JSON)') as HTMLTextAreaElement).value).toBe('[1]');
    });

    it('shows the host’s message for a mapping it refuses', async () => {
      mockFetch({
        'GET /integrations/mapping': { body: VIEW },
        'PUT /integrations/mapping': apiError(400, 'invalid_mapping', 'fields.annual_revenue_musd.divide_by: a positive number'),
      });
      render(<CrmMappingCard routedVersions="v12" />);
      fireEvent.click(await screen.findByTestId('mapping-json-toggle'));
      const text = screen.getByLabelText('Mapping (JSON)') as HTMLTextAreaElement;
      const broken = text.value.replace('1000000', '-1');
      fireEvent.change(text, { target: { value: broken } });
      fireEvent.click(screen.getByTestId('save-mapping'));
      expect((await screen.findByTestId('mapping-error')).textContent).toBe(
        'The mapping was refused: fields.annual_revenue_musd.divide_by: a positive number',
      );
      expect((screen.getByLabelText('Mapping (JSON)') as HTMLTextAreaElement).value).toBe(broken);
    });

    it('back to the form with the JSON’s mapping; Cancel goes back to the saved one', async () => {
      mockFetch({ 'GET /integrations/mapping': { body: VIEW } });
      render(<CrmMappingCard routedVersions="v12" />);
      fireEvent.click(await screen.findByTestId('mapping-json-toggle'));
      const text = screen.getByLabelText('Mapping (JSON)') as HTMLTextAreaElement;
      const edited = JSON.parse(text.value) as Mapping;
      delete edited.fields.employees;
      fireEvent.change(text, { target: { value: JSON.stringify({ ...edited, fields: { ...edited.fields, title: 'properties.jobtitle' } }) } });
      fireEvent.click(screen.getByTestId('mapping-json-toggle'));
      expect(within(row('employees')).getByTestId('not-mapped')).toBeTruthy();
      expect((within(row('title')).getByTestId('mapping-path') as HTMLInputElement).value).toBe('properties.jobtitle');

      fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
      expect((screen.getByLabelText('Employees') as HTMLInputElement).value).toBe('properties.numemployees');
      expect(row('title')).toBeNull();
    });
  });

  it('is not shown without the scope to read the mapping', async () => {
    const calls = mockFetch({ 'GET /integrations/mapping': apiError(403, 'forbidden', 'the token lacks the scope crm.read.leads') });
    const { container } = render(<CrmMappingCard routedVersions="v12" />);
    await waitFor(() => expect(calls).toHaveLength(1));
    await waitFor(() => expect(container.innerHTML).toBe(''));
  });

  it('a preset the host refuses: its message, and the mapping as it was', async () => {
    mockFetch({
      'GET /integrations/mapping': { body: VIEW },
      'PUT /integrations/mapping': apiError(403, 'forbidden', 'the token lacks the scope crm.admin.models'),
    });
    render(<CrmMappingCard routedVersions="v12" />);
    fireEvent.click(await screen.findByTestId('apply-preset'));
    expect((await screen.findByTestId('preset-error')).textContent).toBe(
      'You need the “crm.admin.models” scope to change the CRM mapping. the token lacks the scope crm.admin.models',
    );
    expect(screen.getByTestId('mapping-status').dataset.preset).toBe('custom');
  });
});

describe('the CRM mapping on the model admin page', () => {
  const ROUTING: Routing = { active: 'v12', split: [], fallback: ['v11'], shadow: null };

  it('is there, and reads the fields again when the routing changes (other versions may read others)', async () => {
    const list = { body: { models: [model('v12'), model('v11')], routing: ROUTING, tenants: {}, score_distribution: Array(10).fill(1) } };
    const calls = mockFetch({
      'GET /models': list,
      'GET /integrations/mapping': { body: VIEW },
      'PUT /models/routing': (init) => ({ body: JSON.parse(String(init?.body)) }),
    });
    render(<AdminPage />);
    const card = await screen.findByTestId('crm-mapping');
    await within(card).findByTestId('mapping-status');
    const reads = () => calls.filter((c) => c.method === 'GET' && c.path === '/integrations/mapping').length;
    expect(reads()).toBe(1);
    fireEvent.click(screen.getByRole('button', { name: 'Make v11 active' }));
    await waitFor(() => expect(reads()).toBeGreaterThanOrEqual(2));
  });
});
