/** How lead fields, activities and numbers read on screen. */
import { parseTime } from './time';
import type { Activity } from './types';

const FIELD_LABELS: Record<string, string> = {
  annual_revenue_musd: 'Annual revenue (M USD)',
  employees: 'Employees',
  industry: 'Industry',
  lead_source: 'Lead source',
  region: 'Region',
  seniority: 'Seniority',
  uses_competitor: 'Uses a competitor',
  company: 'Company',
  name: 'Name',
  title: 'Title',
  country: 'Country',
  email: 'Email',
};

/** `lead_source` → `Lead source`. */
export function humanize(key: string): string {
  const words = key.replace(/[_-]+/g, ' ').trim();
  return words ? words[0].toUpperCase() + words.slice(1) : key;
}

export function fieldLabel(key: string): string {
  return FIELD_LABELS[key] ?? humanize(key);
}

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

/**
 * A lead field's or an activity attribute's value (the lead JSON allows a
 * number, a string, a boolean or null; the document types `fields` and
 * the attributes no further than "any JSON"): anything else reads "—".
 */
export function formatScalar(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'number') return Number.isFinite(value) ? numberFormat.format(value) : '—';
  if (typeof value === 'string' && value !== '') return value;
  return '—';
}

/** Region codes and the like read better capitalised; free text is left alone. */
export function formatFieldValue(key: string, value: unknown): string {
  const text = formatScalar(value);
  if (typeof value === 'string' && /^[a-z_]+$/.test(value) && key !== 'email') {
    return key === 'region' && value.length <= 5 ? value.toUpperCase() : humanize(value);
  }
  return text;
}

const ACTIVITY_LABELS: Record<string, string> = {
  page_view: 'Page view',
  email_send: 'Email sent',
  email_open: 'Email opened',
  email_click: 'Email link clicked',
  webinar: 'Webinar attended',
  demo_request: 'Demo requested',
  form_submit: 'Form submitted',
  meeting: 'Meeting',
  call: 'Call',
};

export function activityLabel(kind: string): string {
  return ACTIVITY_LABELS[kind] ?? humanize(kind);
}

/** An activity's attributes other than `at` and `kind`, as `key: value` pairs. */
export function activityAttributes(activity: Activity): [string, string][] {
  // The document names only `at` and `kind`; the rest are the lead JSON's attributes.
  const attributes: Record<string, unknown> = activity;
  return Object.entries(attributes)
    .filter(([k]) => k !== 'at' && k !== 'kind')
    .map(([k, v]) => [humanize(k), formatScalar(v)]);
}

/**
 * Activities newest first; those without a readable time go last. The
 * context is the lead JSON as the CRM sent it: entries that are not
 * activities are left out rather than break the page.
 */
export function newestFirst(activities: Activity[] | null | undefined): Activity[] {
  if (!Array.isArray(activities)) return [];
  return activities
    .filter((a) => typeof a === 'object' && a !== null && typeof a.kind === 'string')
    .map((a, i) => ({ a, i, t: parseTime(a.at) }))
    .sort((x, y) => (y.t ?? -Infinity) - (x.t ?? -Infinity) || y.i - x.i)
    .map(({ a }) => a);
}

/** Data completeness (0–1: the share of the model's signals the lead has) as the whole percent the page shows. */
export function completenessPercent(completeness: unknown): number | null {
  if (typeof completeness !== 'number' || !Number.isFinite(completeness)) return null;
  return Math.round(Math.min(1, Math.max(0, completeness)) * 100);
}
