import { defineConfig, devices } from '@playwright/test';

/**
 * End-to-end tests against a real host: e2e/global-setup.ts starts
 * `leadscore serve --dev` on a free port with a fresh store and the built UI
 * (`npm run build` first), seeds the sample leads and waits until they are
 * scored; its teardown stops the host. Debian's Chromium, never a
 * downloaded browser (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 at install).
 */
export default defineConfig({
  testDir: './e2e',
  testMatch: /.*\.spec\.ts$/,
  outputDir: './test-results/artifacts',
  globalSetup: './e2e/global-setup.ts',
  // One host, whose state the tests change (routing, a corrupted row): one at a time.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  timeout: 45_000,
  expect: { timeout: 8_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    ...devices['Desktop Chrome'],
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [{ name: 'chromium' }],
});
