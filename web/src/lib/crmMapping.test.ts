import { describe, expect, it } from 'vitest';

import { asMapping, draftOf, mappingOf, parseMappingJson, pathOf, translationNotes } from './crmMapping';
import type { Mapping } from './types';

const MAPPING: Mapping = {
  id: 'Id',
  as_of: 'LastModifiedDate',
  fields: {
    annual_revenue_musd: { path: 'AnnualRevenue', divide_by: 1_000_000 },
    industry: { path: 'Industry', map: { Technology: 'software', Banking: 'finance' } },
    name: { join: ['FirstName', 'LastName'] },
    employees: 'NumberOfEmployees',
  },
};

describe('the CRM mapping as the form edits it', () => {
  it('round-trips: a draft of a mapping gives the mapping back', () => {
    expect(mappingOf(draftOf(MAPPING))).toEqual(MAPPING);
    expect(draftOf(MAPPING).paths).toEqual({
      annual_revenue_musd: 'AnnualRevenue',
      industry: 'Industry',
      employees: 'NumberOfEmployees',
    });
  });

  it('an emptied path leaves the mapping, with its translation; an empty as_of is left out', () => {
    const draft = draftOf(MAPPING);
    const edited = mappingOf({ ...draft, asOf: '  ', paths: { ...draft.paths, industry: '' } });
    expect(edited.fields.industry).toBeUndefined();
    expect('as_of' in edited).toBe(false);
    expect(edited.fields.name).toEqual({ join: ['FirstName', 'LastName'] });
  });

  it('no mapping yet: an empty draft, and paths typed for it become plain paths', () => {
    const draft = draftOf(null);
    expect(draft).toEqual({ id: '', asOf: '', paths: {}, base: null });
    expect(mappingOf({ ...draft, id: 'id', paths: { employees: 'properties.numemployees' } })).toEqual({
      id: 'id',
      fields: { employees: 'properties.numemployees' },
    });
  });

  it('a joined field has no path', () => {
    expect(pathOf(MAPPING.fields.name)).toBeNull();
    expect(pathOf(MAPPING.fields.industry)).toBe('Industry');
  });

  it('says what a translation does', () => {
    expect(translationNotes(MAPPING.fields.annual_revenue_musd)).toEqual(['÷ 1,000,000']);
    expect(translationNotes(MAPPING.fields.industry)).toEqual(['2 values translated']);
    expect(translationNotes(MAPPING.fields.name)).toEqual(['joined: FirstName + LastName']);
    expect(translationNotes({ path: 'x', map: { a: 'b' }, divide_by: 1000 })).toEqual(['1 value translated', '÷ 1,000']);
    expect(translationNotes('x')).toEqual([]);
    expect(translationNotes(undefined)).toEqual([]);
  });
});

describe('the mapping as JSON', () => {
  it('takes any JSON object, refuses the rest', () => {
    expect(parseMappingJson('{"preset": "hubspot"}')).toEqual({ body: { preset: 'hubspot' } });
    expect(parseMappingJson('{"id": ')).toMatchObject({ problem: expect.stringMatching(/^This is not valid JSON/) });
    expect(parseMappingJson('null')).toMatchObject({ problem: expect.stringContaining('a JSON object') });
    expect(parseMappingJson('"id"')).toMatchObject({ problem: expect.stringContaining('a JSON object') });
  });

  it('goes back to the form only as a mapping', () => {
    expect(asMapping(MAPPING as unknown as Record<string, unknown>)).toEqual(MAPPING);
    expect(asMapping({ id: 'id', as_of: null, fields: {} })).not.toBeNull();
    expect(asMapping({ preset: 'hubspot' })).toBeNull();
    expect(asMapping({ id: 'id', fields: { x: 5 } })).toBeNull();
    expect(asMapping({ id: 'id', fields: [] })).toBeNull();
    expect(asMapping({ id: 'id', fields: {}, extra: 1 })).toBeNull();
  });
});
