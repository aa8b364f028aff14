import { defineConfig } from '@playwright/test';
import base from './playwright.config.ts';

/**
 * `npm run screenshots`: the main pages at a meetup laptop's size (1280×720) and a phone's (390×844),
 * in dark and light themes, against the real lab (started as for the e2e tests). PNGs go to
 * `screenshots/` at the repository root.
 */
export default defineConfig({
  ...base,
  testMatch: '**/*.shots.ts',
  outputDir: '../test-results/screenshots-run',
  timeout: 300_000,
});
