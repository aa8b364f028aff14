import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import { LabError } from '../errors/lab-error.ts';
import { StoreInUse } from '../errors/store-errors.ts';
import { migrate } from './schema.ts';
import type { Row, SqlDriver, SqlRunner, SqlValue, TableName } from './sql-driver.ts';
import { SqlStore } from './sql-store.ts';

/** Files this process has open: a second store on one of them would be refused by SQLite anyway. */
const openFiles = new Set<string>();

/**
 * The embedded store: one SQLite file under the state directory, owned by one lab server.
 *
 * SQLite runs as WebAssembly (node-sqlite3-wasm): no native build, files through Node's fs. Its calls
 * are synchronous; the driver still queues them, so that a transaction's statements run with nothing
 * of another call between them.
 *
 * Its file system layer locks with a `<file>.lock` directory and has no shared memory, so WAL needs
 * exclusive locking: the store holds the lock from open to dispose (a second lab server on the same
 * file is refused with StoreInUse) and records its process in `<file>.owner`, so that a lock left by a
 * process that died is recognised and removed on the next open; SQLite then replays the WAL.
 */
export class SqliteStore extends SqlStore {
  /** Absolute path, or ':memory:'. */
  readonly file: string;
  /** The journal mode SQLite settled on: 'wal' for files, 'memory' for ':memory:'. */
  readonly journalMode: string;

  private constructor(driver: SqliteDriver) {
    super(driver);
    this.file = driver.where;
    this.journalMode = driver.journalMode;
  }

  /**
   * Opens (or creates) the file and brings its schema up to date. Fails with StoreInUse when another
   * live lab server holds it, StoreSchemaTooNew when a newer Dockside wrote it.
   */
  static async open(options: { file: string }): Promise<SqliteStore> {
    const driver = SqliteDriver.open(options.file);
    try {
      await migrate(driver);
    } catch (err) {
      // The migration's own failure is what the operator hears.
      await driver.dispose().catch(() => undefined);
      throw err;
    }
    return new SqliteStore(driver);
  }
}

class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite';
  readonly where: string;
  readonly journalMode: string;
  #db: sqlite.Database | undefined;
  /** The call running now; the next one waits for it. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(db: sqlite.Database, file: string, journalMode: string) {
    this.#db = db;
    this.where = file;
    this.journalMode = journalMode;
  }

  static open(path: string): SqliteDriver {
    const memory = path === ':memory:';
    const file = memory ? path : resolve(path);
    if (!memory) {
      mkdirSync(dirname(file), { recursive: true });
      removeStaleLock(file);
    }
    let db: sqlite.Database | undefined;
    try {
      db = new sqlite.Database(file);
      if (!memory) db.exec('PRAGMA locking_mode = EXCLUSIVE');
      // The first statement that touches the file takes the lock.
      const mode = db.get(`PRAGMA journal_mode = ${memory ? 'MEMORY' : 'WAL'}`) as { journal_mode: string };
      // With WAL, NORMAL loses no data when the process dies; only a power cut may undo the latest
      // commits (never corrupting the file), and a commit costs no fsync.
      db.exec('PRAGMA synchronous = NORMAL');
      if (!memory) {
        openFiles.add(file);
        writeFileSync(ownerFile(file), JSON.stringify({ pid: process.pid, host: hostname() }));
      }
      return new SqliteDriver(db, file, mode.journal_mode);
    } catch (err) {
      if (db?.isOpen) db.close();
      if (!memory && /database is locked/i.test(String((err as Error).message)))
        throw new LabError(StoreInUse, { file, holder: describeOwner(readOwner(file)) }, { cause: err });
      throw err;
    }
  }

  table(name: TableName): string {
    return name;
  }

  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.#turn((db) => direct(db).all(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.#turn((db) => direct(db).run(sql, params));
  }

  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#turn(async (db) => {
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(direct(db));
        db.exec('COMMIT');
        return result;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  /** Checkpoints the WAL into the file, closes it and releases the lock. Safe to call twice. */
  async dispose(): Promise<void> {
    await this.#queue;
    const db = this.#db;
    if (!db) return;
    this.#db = undefined;
    db.close();
    if (this.where === ':memory:') return;
    openFiles.delete(this.where);
    rmSync(ownerFile(this.where), { force: true });
  }

  #turn<T>(work: (db: sqlite.Database) => Promise<T> | T): Promise<T> {
    const db = this.#db;
    if (!db) return Promise.reject(new Error(`The SQLite store ${this.where} was used after dispose().`));
    const next = this.#queue.then(() => work(db));
    // The queue goes on after a failed call; the caller hears of the failure from `next`.
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

/** Statements run on the connection at once (inside a turn of the queue). */
function direct(db: sqlite.Database): SqlRunner {
  // SQLite has no boolean: true and false are stored as 1 and 0.
  const bind = (params: readonly SqlValue[] = []) =>
    params.map((p) => (typeof p === 'boolean' ? Number(p) : p));
  return {
    all: async (sql, params) => db.all(sql, bind(params)) as Row[],
    run: async (sql, params) => Number(db.run(sql, bind(params)).changes),
  };
}

interface Owner {
  pid: number;
  host: string;
}

const ownerFile = (file: string) => `${file}.owner`;

function readOwner(file: string): Owner | undefined {
  try {
    const owner = JSON.parse(readFileSync(ownerFile(file), 'utf8')) as Partial<Owner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string'
      ? { pid: owner.pid, host: owner.host }
      : undefined;
  } catch {
    // No owner file, or a torn one: the holder is unknown.
    return undefined;
  }
}

function describeOwner(owner: Owner | undefined): string {
  if (!owner) return 'another process';
  if (owner.pid === process.pid && owner.host === hostname()) return 'this process';
  return owner.host === hostname() ? `process ${owner.pid}` : `process ${owner.pid} on ${owner.host}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Refuses a file that a live store holds; removes the lock of one that died (kill -9, out of memory,
 * power cut). A lock without an owner file is taken as stale too: the owner file is written a moment
 * after the lock, so only two lab servers starting on one file in the same instant could be misjudged.
 */
function removeStaleLock(file: string): void {
  if (openFiles.has(file)) throw new LabError(StoreInUse, { file, holder: 'this process' });
  const lock = `${file}.lock`;
  if (!existsSync(lock)) return;
  const owner = readOwner(file);
  // Another host's process cannot be checked, so it counts as live. Our own pid in the owner file is
  // a previous life of this container or machine, not us.
  const live = owner && (owner.host !== hostname() || (owner.pid !== process.pid && isAlive(owner.pid)));
  if (live) throw new LabError(StoreInUse, { file, holder: describeOwner(owner) });
  rmSync(lock, { recursive: true, force: true });
}
