import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../lab-server/testing/chromium.ts';

const port = Number(process.env.E2E_PORT ?? 4173);
export const baseURL = `http://127.0.0.1:${port}`;

/**
 * End-to-end tests drive Debian's Chromium (a browser download cannot work here) against the real lab
 * server, started exactly as `npm start` starts it.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '**/*.e2e.ts',
  outputDir: '../test-results/e2e',
  timeout: 120_000,
  fullyParallel: false,
  workers: 1,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    baseURL,
    browserName: 'chromium',
    viewport: { width: 1280, height: 720 },
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    },
  },
  webServer: {
    command: 'node scripts/ensure-chromium.mjs && tsx lab-server/src/main.ts',
    cwd: '..',
    url: `${baseURL}/api/health`,
    // A small cap on a node's own files, watched every second: the disk test fills it in a moment.
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DOCKSIDE_NODE_FILES_GB: '0.25',
      DOCKSIDE_DISK_WATCH_SECONDS: '1',
    },
    timeout: 15 * 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    reuseExistingServer: false,
    // Ctrl-C, as a person would: the lab stops the engine it started.
    gracefulShutdown: { signal: 'SIGINT', timeout: 60_000 },
  },
});
