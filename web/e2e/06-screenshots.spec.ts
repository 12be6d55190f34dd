import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { expect, test, treatedLeads } from './fixtures';

const DIR = join(import.meta.dirname, '..', 'screenshots');
const SIZES = [
  { name: 'laptop', width: 1280, height: 800 },
  { name: 'narrow', width: 400, height: 800 },
];

for (const size of SIZES) {
  test(`screenshots at ${size.name} width (${size.width}×${size.height})`, async ({ page, request }) => {
    mkdirSync(DIR, { recursive: true });
    const [lead] = await treatedLeads(request);
    await page.setViewportSize({ width: size.width, height: size.height });

    await page.goto('/#/');
    await expect(page.getByTestId('queue-row').first()).toBeVisible();
    await page.screenshot({ path: join(DIR, `queue-${size.name}.png`), fullPage: true });

    await page.goto(`/#/leads/${lead.lead_id}`);
    await page.getByTestId('why-button').click();
    await expect(page.getByTestId('reasons-popover').getByTestId('contribution-chart')).toBeVisible();
    await page.mouse.move(1, 1);
    await page.screenshot({ path: join(DIR, `lead-reasons-${size.name}.png`), fullPage: true });

    await page.goto('/#/admin');
    await expect(page.getByTestId('version-row').first()).toBeVisible();
    await expect(page.getByTestId('version-calls').first()).not.toHaveText('—');
    await page.screenshot({ path: join(DIR, `admin-${size.name}.png`), fullPage: true });
    console.log(`screenshots (${size.name}) written to ${DIR}`);
  });
}
