import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['lab-server/src/**/*.test.ts', 'site/src/**/*.test.ts'],
          exclude: ['**/*.docker.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'docker',
          include: ['lab-server/src/**/*.docker.test.ts'],
          globalSetup: ['lab-server/testing/docker-global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
