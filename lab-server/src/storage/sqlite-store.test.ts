import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sqlite from 'node-sqlite3-wasm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { LabError } from '../errors/lab-error.ts';
import { describeLabStoreContract } from './lab-store.contract.ts';
import type { SessionRecord } from './lab-store.ts';
import { SESSION_COLUMNS, sessionValues } from './rows.ts';
import { MIGRATIONS } from './schema.ts';
import { renderSql } from './sql-driver.ts';
import { SqliteStore } from './sqlite-store.ts';

const root = mkdtempSync(join(tmpdir(), 'dockside-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A path in a folder that does not exist yet: the store creates it. */
const freshFile = () => join(root, `case-${++n}`, 'nested', 'lab.sqlite');

describeLabStoreContract('SQLite', async () => {
  const file = freshFile();
  return { store: await SqliteStore.open({ file }), reopen: async () => await SqliteStore.open({ file }) };
});

const record: SessionRecord = {
  id: 'f00d',
  ownerHash: 'owner',
  previewToken: 'token',
  template: 'solo',
  state: 'ready',
  networkId: 'net',
  nodes: [{ name: 'node1', containerId: 'c1', role: 'none' }],
  createdAt: 1,
  lastActiveAt: 2,
  expiresAt: 3,
  clientAddress: '192.0.2.1',
  labId: 'lab-a',
};

const storeModule = fileURLToPath(new URL('./sqlite-store.ts', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/**
 * Runs a store in another Node process: it saves `record`, prints "ready", then waits to be killed
 * (`hold`) or exits at once without dispose() (`crash`), as a lab server killed by OOM would.
 */
function otherProcess(file: string, then: 'hold' | 'crash'): Promise<ChildProcess> {
  const script = join(root, `child-${++n}.mts`);
  writeFileSync(
    script,
    `import { SqliteStore } from ${JSON.stringify(storeModule)};
     const store = await SqliteStore.open({ file: ${JSON.stringify(file)} });
     await store.saveSession(${JSON.stringify(record)});
     await store.appendEvent({ sessionId: 'f00d', at: 1, type: 'written-by-child', data: {} });
     console.log('ready');
     ${then === 'crash' ? 'process.exit(0);' : 'setInterval(() => {}, 1000);'}`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d;
      if (then === 'hold' && output.includes('ready')) resolve(child);
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d;
    });
    child.on('exit', (code) => {
      if (then === 'crash' && code === 0 && output.includes('ready')) resolve(child);
      else reject(new Error(`child exited ${code}: ${output}`));
    });
  });
}

describe('SQLite file', () => {
  it("works in memory (':memory:') for tests", async () => {
    const store = await SqliteStore.open({ file: ':memory:' });
    await store.saveSession(record);
    await store.appendEvent({ sessionId: record.id, at: 1, type: 't', data: {} });
    expect(await store.getSession(record.id)).toEqual(record);
    expect(await store.listEvents(record.id)).toHaveLength(1);
    await store.dispose();
  });

  it('uses WAL and holds the file until dispose', async () => {
    const file = freshFile();
    const store = await SqliteStore.open({ file });
    expect(store.journalMode).toBe('wal');
    await store.saveSession(record);
    expect(existsSync(`${file}.lock`)).toBe(true);
    expect(JSON.parse(readFileSync(`${file}.owner`, 'utf8'))).toMatchObject({ pid: process.pid });
    await store.dispose();
    await store.dispose();
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect(existsSync(`${file}.owner`)).toBe(false);
    expect(existsSync(`${file}-wal`)).toBe(false);
    await expect(store.getSession(record.id)).rejects.toThrow(/after dispose/);
  });

  it('refuses a second store on the same file in this process', async () => {
    const file = freshFile();
    const store = await SqliteStore.open({ file });
    await expect(SqliteStore.open({ file })).rejects.toThrow(
      expect.objectContaining({ name: 'StoreInUse', message: expect.stringContaining('this process') }),
    );
    await store.dispose();
  });

  it('refuses a file another live process holds, and names it', async () => {
    const file = freshFile();
    const child = await otherProcess(file, 'hold');
    let error: LabError | undefined;
    try {
      await SqliteStore.open({ file });
    } catch (err) {
      error = err as LabError;
    }
    expect(error?.name).toBe('StoreInUse');
    expect(error?.message).toContain(`process ${child.pid}`);
    expect(error?.hint).toContain(`${file}.lock`);
  }, 30_000);

  it('opens a file whose process died without closing it, with what that process wrote', async () => {
    const file = freshFile();
    await otherProcess(file, 'crash');
    expect(existsSync(`${file}.lock`)).toBe(true);
    const store = await SqliteStore.open({ file });
    expect(await store.getSession(record.id)).toEqual(record);
    expect((await store.listEvents(record.id)).map((e) => e.type)).toEqual(['written-by-child']);
    await store.dispose();
  }, 30_000);

  it('upgrades a file written before WAL (schema version 1, default journal)', async () => {
    const file = freshFile();
    const first = await SqliteStore.open({ file });
    await first.dispose();
    // Back to the rollback journal the first version of this store used.
    const raw = new sqlite.Database(file);
    raw.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = DELETE;');
    raw.close();
    const store = await SqliteStore.open({ file });
    expect(store.journalMode).toBe('wal');
    await store.saveSession(record);
    expect(await store.getSession(record.id)).toEqual(record);
    await store.dispose();
  });

  it('brings a file of the first schema up to date, keeping its sessions (no lab yet)', async () => {
    const file = freshFile();
    mkdirSync(dirname(file), { recursive: true });
    const raw = new sqlite.Database(file);
    raw.exec(renderSql(MIGRATIONS[0] ?? '', { dialect: 'sqlite', table: (t) => t }));
    raw.exec(
      'CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);',
    );
    // A session as the first schema held it: every column but lab_id (the last).
    const values = sessionValues(record).slice(0, -1);
    raw.run(
      `INSERT INTO sessions (${SESSION_COLUMNS.replace(', lab_id', '')}) VALUES (${values.map(() => '?').join(', ')})`,
      values,
    );
    raw.close();
    const store = await SqliteStore.open({ file });
    expect(await store.getSession(record.id)).toEqual({ ...record, labId: '' });
    expect(await store.listLabs()).toEqual([]);
    await store.dispose();
  });

  it('refuses a file from a newer schema and leaves it unlocked', async () => {
    const file = freshFile();
    await (await SqliteStore.open({ file })).dispose();
    const raw = new sqlite.Database(file);
    raw.exec('PRAGMA locking_mode = EXCLUSIVE; UPDATE schema_version SET version = 99;');
    raw.close();
    await expect(SqliteStore.open({ file })).rejects.toThrow(
      expect.objectContaining({ name: 'StoreSchemaTooNew', message: expect.stringContaining('version 99') }),
    );
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});
