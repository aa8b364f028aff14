import { join } from 'node:path';
import { InvalidConfig } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import type { LabStore } from './lab-store.ts';
import { PostgresStore } from './postgres-store.ts';
import { SqliteStore } from './sqlite-store.ts';

/**
 * Opens the lab's store from DOCKSIDE_DATABASE_URL: PostgreSQL for postgres:// or postgresql:// (several
 * lab servers share it), a SQLite file for sqlite:<path> (tests, benches), else SQLite at
 * <stateDir>/lab.sqlite. Any other URL is refused rather than quietly ignored.
 */
export async function openLabStore(config: { databaseUrl?: string; stateDir: string }): Promise<LabStore> {
  const url = config.databaseUrl;
  if (!url) return SqliteStore.open({ file: join(config.stateDir, 'lab.sqlite') });
  if (/^postgres(ql)?:\/\//i.test(url)) return PostgresStore.open({ connectionString: url });
  if (url.startsWith('sqlite:') && url.length > 'sqlite:'.length)
    return SqliteStore.open({ file: url.slice('sqlite:'.length) });
  throw new LabError(InvalidConfig, {
    variable: 'DOCKSIDE_DATABASE_URL',
    value: url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@'),
    expected:
      'postgres://user:password@host:port/database, sqlite:<file>, or unset for SQLite in the state directory',
  });
}
