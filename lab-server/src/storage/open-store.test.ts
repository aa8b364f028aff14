import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLabStore } from './open-store.ts';
import { SqliteStore } from './sqlite-store.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'dockside-open-store-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

describe('openLabStore', () => {
  it('keeps SQLite in the state directory when no database URL is set', async () => {
    const store = await openLabStore({ stateDir: join(stateDir, 'state') });
    expect(store).toBeInstanceOf(SqliteStore);
    expect(existsSync(join(stateDir, 'state', 'lab.sqlite'))).toBe(true);
    await store.dispose();
  });

  it('opens the SQLite file a sqlite: URL names', async () => {
    const file = join(stateDir, 'elsewhere', 'bench.sqlite');
    const store = await openLabStore({ databaseUrl: `sqlite:${file}`, stateDir });
    expect((store as SqliteStore).file).toBe(file);
    await store.dispose();
  });

  it('says which PostgreSQL it could not reach, without the password', async () => {
    const attempt = openLabStore({ databaseUrl: 'postgresql://lab:hunter2@127.0.0.1:1/lab', stateDir });
    await expect(attempt).rejects.toMatchObject({
      name: 'StoreUnreachable',
      message: expect.stringContaining('postgresql://lab:***@127.0.0.1:1/lab'),
    });
    await expect(attempt).rejects.not.toMatchObject({ message: expect.stringContaining('hunter2') });
  });

  it('refuses a URL it does not understand instead of falling back to SQLite', async () => {
    await expect(
      openLabStore({ databaseUrl: 'mysql://lab:hunter2@db/lab', stateDir: join(stateDir, 'unused') }),
    ).rejects.toMatchObject({
      name: 'InvalidConfig',
      message: expect.stringMatching(/^DOCKSIDE_DATABASE_URL="mysql:\/\/lab:\*\*\*@db\/lab" is not valid/),
    });
    expect(existsSync(join(stateDir, 'unused'))).toBe(false);
  });
});
