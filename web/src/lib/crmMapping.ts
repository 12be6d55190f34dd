/**
 * The CRM mapping as the admin card edits it: one path per lead field,
 * typed as text, with each field's translation (picklist map, divisor,
 * joined paths) carried through unchanged, and the whole mapping as JSON
 * for what the form does not edit.
 */
import type { FieldMapping, Mapping, MappingView, ModelField, Preset } from './types';

export const PRESETS: { preset: Preset; label: string }[] = [
  { preset: 'hubspot', label: 'HubSpot contact' },
  { preset: 'salesforce', label: 'Salesforce Lead' },
];

export function presetLabel(preset: Preset): string {
  return PRESETS.find((p) => p.preset === preset)?.label ?? preset;
}

/** The form's state: paths as typed. */
export interface MappingDraft {
  id: string;
  /** '' leaves `as_of` out: the time of the request. */
  asOf: string;
  /** Lead field → its CRM path as typed ('' = not mapped). Joined fields have none: the form does not edit them. */
  paths: Record<string, string>;
  /** The mapping the draft started from, whose translations a save keeps. */
  base: Mapping | null;
}

export function draftOf(mapping: Mapping | null | undefined): MappingDraft {
  const paths: Record<string, string> = {};
  for (const [field, source] of Object.entries(mapping?.fields ?? {})) {
    const path = pathOf(source);
    if (path !== null) paths[field] = path;
  }
  return { id: mapping?.id ?? '', asOf: mapping?.as_of ?? '', paths, base: mapping ?? null };
}

/** The path a field is read from; null when it joins several. */
export function pathOf(source: FieldMapping): string | null {
  if (typeof source === 'string') return source;
  if (source.path == null && source.join != null) return null;
  return source.path ?? '';
}

/** The paths a field joins, or null. */
export function joinedPaths(source: FieldMapping | undefined): string[] | null {
  if (source === undefined || typeof source === 'string' || pathOf(source) !== null) return null;
  return source.join ?? [];
}

/**
 * The mapping the draft says. A field whose path is emptied leaves the
 * mapping (the host takes no empty path; the field is then missing); a new
 * path for a field the mapping did not have is a plain path. Everything
 * else of a field (its map, its divisor, a join) is the base's.
 */
export function mappingOf(draft: MappingDraft): Mapping {
  const base = draft.base?.fields ?? {};
  const fields: Record<string, FieldMapping> = {};
  for (const field of new Set([...Object.keys(base), ...Object.keys(draft.paths)])) {
    const source = base[field];
    if (source !== undefined && pathOf(source) === null) {
      fields[field] = source;
      continue;
    }
    const path = (draft.paths[field] ?? '').trim();
    if (!path) continue;
    fields[field] = source === undefined || typeof source === 'string' ? path : { ...source, path };
  }
  const asOf = draft.asOf.trim();
  return { id: draft.id.trim(), ...(asOf ? { as_of: asOf } : {}), fields };
}

/** What must be fixed before sending, if anything (the host checks the rest and says where). */
export function draftProblem(draft: MappingDraft): string | null {
  return draft.id.trim() ? null : 'Give the path of the lead’s id (for a HubSpot contact: id).';
}

/** A translation in a few words: "12 values translated", "÷ 1,000,000", "joined: a + b". */
export function translationNotes(source: FieldMapping | undefined): string[] {
  if (source === undefined || typeof source === 'string') return [];
  const notes: string[] = [];
  const joined = joinedPaths(source);
  if (joined) notes.push(`joined: ${joined.join(' + ')}`);
  if (source.map) {
    const n = Object.keys(source.map).length;
    notes.push(`${n.toLocaleString()} ${n === 1 ? 'value' : 'values'} translated`);
  }
  if (source.divide_by != null) notes.push(`÷ ${source.divide_by.toLocaleString()}`);
  return notes;
}

/** What a model field must be: "number", or "category: software, finance, …". */
export function kindText(model: ModelField): string {
  return model.kind === 'category' ? `category: ${model.categories.join(', ')}` : 'number';
}

export interface MappingRow {
  field: string;
  /** What the models need of it; null for a field they do not read. */
  model: ModelField | null;
  /** Its source in the mapping the draft started from. */
  source: FieldMapping | undefined;
}

/** The fields the models read, in the host's order, then the other fields the mapping has, by name. */
export function rowsOf(modelFields: MappingView['model_fields'], draft: MappingDraft): { read: MappingRow[]; other: MappingRow[] } {
  const base = draft.base?.fields ?? {};
  const read = Object.entries(modelFields).map(([field, model]) => ({ field, model, source: base[field] }));
  const other = [...new Set([...Object.keys(base), ...Object.keys(draft.paths)])]
    .filter((field) => !(field in modelFields))
    .sort()
    .map((field) => ({ field, model: null, source: base[field] }));
  return { read, other };
}

export function mappingJson(mapping: Mapping): string {
  return JSON.stringify(mapping, null, 2);
}

/**
 * The JSON editor's text as a body to send: any JSON object (the host says
 * what is wrong with it, and where); anything else is refused here.
 */
export function parseMappingJson(text: string): { body: Record<string, unknown> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { problem: `This is not valid JSON (${e instanceof Error ? e.message : String(e)}). Nothing was sent.` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: 'The mapping is a JSON object: {"id": …, "as_of": …, "fields": {…}}. Nothing was sent.' };
  }
  return { body: value as Record<string, unknown> };
}

/** A body the form can show: an id, an optional as_of and fields that are paths or translations. */
export function asMapping(body: Record<string, unknown>): Mapping | null {
  const { id, as_of: asOf, fields, ...rest } = body;
  if (Object.keys(rest).length > 0 || typeof id !== 'string') return null;
  if (asOf != null && typeof asOf !== 'string') return null;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return null;
  const sources = Object.values(fields);
  if (!sources.every((s) => typeof s === 'string' || (typeof s === 'object' && s !== null && !Array.isArray(s)))) return null;
  return body as Mapping;
}
