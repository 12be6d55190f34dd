/** Where the host under test is, as the global setup left it for the tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface HostInfo {
  url: string;
  store: string;
  db: string;
  log: string;
  /** Leads from models/sample-leads.jsonl. */
  seeded: number;
  /** All leads in the store: the seeded ones and the setup's holdout leads. */
  leads: number;
  /** The ids of the leads the setup added for the control group. */
  holdout: string[];
}

export const HOST_INFO_FILE = join(import.meta.dirname, '..', 'test-results', 'e2e-host.json');

export function hostInfo(): HostInfo {
  try {
    return JSON.parse(readFileSync(HOST_INFO_FILE, 'utf8')) as HostInfo;
  } catch {
    throw new Error(`${HOST_INFO_FILE} is missing: run the tests with \`npm run e2e\` (the global setup starts the host)`);
  }
}
