import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type LabConfig, loadConfig } from '../src/config.ts';
import { type Lab, startLab } from '../src/lab.ts';

/**
 * The whole lab server, in this process, on the real engine the global set-up prepared: real HTTP on
 * a free loopback port, its own SQLite file, the shared state directory (images and seed stamps).
 */
export async function startTestLab(overrides: Partial<LabConfig> = {}, database?: string): Promise<Lab> {
  const base = loadConfig({
    ...process.env,
    DOCKER_HOST: inject('lab').dockerHost,
    PORT: '0',
    HOST: '127.0.0.1',
  });
  const file = database ?? join(mkdtempSync(join(tmpdir(), 'dockside-db-')), 'lab.sqlite');
  return startLab(
    { ...base, databaseUrl: `sqlite:${file}`, ...overrides },
    { say: () => undefined, buildSite: false },
  );
}

export { LabClient } from './lab-client.ts';
