import { join } from 'node:path';
import type { LabStore } from './lab-store.ts';
import { PostgresStore } from './postgres-store.ts';
import { SqliteStore } from './sqlite-store.ts';

/**
 * PostgreSQL when `databaseUrl` is postgres:// (several lab servers share it), a SQLite file when it
 * is sqlite:<path>, else SQLite at <stateDir>/lab.sqlite.
 */
export async function openLabStore(config: { databaseUrl?: string; stateDir: string }): Promise<LabStore> {
  const url = config.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) return PostgresStore.open({ connectionString: url });
  if (url?.startsWith('sqlite:')) return new SqliteStore({ file: url.slice('sqlite:'.length) });
  return new SqliteStore({ file: join(config.stateDir, 'lab.sqlite') });
}
