import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLabStoreContract } from './lab-store.contract.ts';
import { SqliteStore } from './sqlite-store.ts';

describeLabStoreContract('SQLite', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'dockside-sqlite-')), 'nested', 'lab.sqlite');
  return { store: new SqliteStore({ file }), reopen: async () => new SqliteStore({ file }) };
});
