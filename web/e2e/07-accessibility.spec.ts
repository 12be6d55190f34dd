import AxeBuilder from '@axe-core/playwright';

import { expect, test, treatedLeads } from './fixtures';

const PAGES = [
  { name: 'work queue', path: '/#/', ready: 'queue-row' },
  { name: 'lead detail with the reasons open', path: 'lead', ready: 'reasons-popover' },
  { name: 'model admin', path: '/#/admin', ready: 'version-row' },
];

for (const width of [1280, 400]) {
  for (const p of PAGES) {
    test(`no serious accessibility problems: ${p.name} at ${width} px`, async ({ page, request }) => {
      await page.setViewportSize({ width, height: 800 });
      if (p.path === 'lead') {
        const [lead] = await treatedLeads(request);
        await page.goto(`/#/leads/${lead.lead_id}`);
        await page.getByTestId('why-button').click();
      } else {
        await page.goto(p.path);
      }
      await expect(page.getByTestId(p.ready).first()).toBeVisible();
      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
      const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(
        serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
      ).toEqual([]);
    });
  }
}
