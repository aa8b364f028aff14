import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import { LabError } from '../errors/lab-error.ts';
import { StoreInUse, StoreSchemaTooNew } from '../errors/store-errors.ts';
import type { LabEvent, LabStore, ProgressRecord, SessionRecord } from './lab-store.ts';
import {
  eventPage,
  SESSION_COLUMNS,
  SESSION_UPDATES,
  sessionValues,
  toEvent,
  toProgress,
  toSession,
} from './rows.ts';

/**
 * Schema steps: entry i takes a database from version i to version i + 1. Append, never edit: files
 * written by earlier versions run the steps they have not seen.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    owner_hash TEXT NOT NULL,
    preview_token TEXT NOT NULL UNIQUE,
    template TEXT NOT NULL,
    state TEXT NOT NULL,
    network_id TEXT NOT NULL,
    nodes TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_active_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    client_address TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS sessions_owner ON sessions (owner_hash);
  CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS events_session ON events (session_id, id);
  CREATE TABLE IF NOT EXISTS progress (
    owner_hash TEXT NOT NULL,
    lesson TEXT NOT NULL,
    exercise TEXT NOT NULL,
    passed INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    at INTEGER NOT NULL,
    passed_at INTEGER,
    PRIMARY KEY (owner_hash, lesson, exercise)
  );
  `,
];

/** The schema version this code writes. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

type Row = Record<string, unknown>;

/** Files this process has open: a second store on one of them would be refused by SQLite anyway. */
const openFiles = new Set<string>();

/**
 * The embedded store: one SQLite file under the state directory, owned by one lab server.
 *
 * SQLite runs as WebAssembly (node-sqlite3-wasm): no native build, files through Node's fs. Its calls
 * are synchronous, so each method runs whole before another starts; no two calls interleave inside a
 * statement or a transaction, and the promise only reports the result.
 *
 * Its file system layer locks with a `<file>.lock` directory and has no shared memory, so WAL needs
 * exclusive locking: the store holds the lock from open to dispose (a second lab server on the same
 * file is refused with StoreInUse) and records its process in `<file>.owner`, so that a lock left by a
 * process that died is recognised and removed on the next open; SQLite then replays the WAL.
 */
export class SqliteStore implements LabStore {
  /** Absolute path, or ':memory:'. */
  readonly file: string;
  /** The journal mode SQLite settled on: 'wal' for files, 'memory' for ':memory:'. */
  readonly journalMode: string;
  #db: sqlite.Database | undefined;

  constructor(options: { file: string }) {
    const memory = options.file === ':memory:';
    const file = memory ? options.file : resolve(options.file);
    this.file = file;
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
      this.journalMode = mode.journal_mode;
      // With WAL, NORMAL loses no data when the process dies; only a power cut may undo the latest
      // commits (never corrupting the file), and a commit costs no fsync.
      db.exec('PRAGMA synchronous = NORMAL');
      migrate(db, file);
    } catch (err) {
      if (db?.isOpen) db.close();
      if (!memory && /database is locked/i.test(String((err as Error).message)))
        throw new LabError(StoreInUse, { file, holder: describeOwner(readOwner(file)) }, { cause: err });
      throw err;
    }
    this.#db = db;
    if (!memory) {
      openFiles.add(file);
      writeFileSync(ownerFile(file), JSON.stringify({ pid: process.pid, host: hostname() }));
    }
  }

  async saveSession(s: SessionRecord): Promise<void> {
    // An upsert, not INSERT OR REPLACE: that would silently delete another session holding the same
    // preview token, where PostgreSQL refuses.
    this.#open().run(
      `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET ${SESSION_UPDATES}`,
      sessionValues(s),
    );
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const row = this.#open().get('SELECT * FROM sessions WHERE id = ?', [id]) as Row | null;
    return row ? toSession(row) : undefined;
  }

  async listSessions(): Promise<SessionRecord[]> {
    const rows = this.#open().all('SELECT * FROM sessions ORDER BY created_at, id') as Row[];
    return rows.map(toSession);
  }

  async deleteSession(id: string): Promise<void> {
    transaction(this.#open(), (db) => {
      db.run('DELETE FROM events WHERE session_id = ?', [id]);
      db.run('DELETE FROM sessions WHERE id = ?', [id]);
    });
  }

  async appendEvent(event: Omit<LabEvent, 'id'>): Promise<LabEvent> {
    // AUTOINCREMENT: ids of deleted events are never handed out again, so a reader's afterId stays valid.
    const result = this.#open().run('INSERT INTO events (session_id, at, type, data) VALUES (?, ?, ?, ?)', [
      event.sessionId,
      event.at,
      event.type,
      JSON.stringify(event.data),
    ]);
    return { ...event, id: Number(result.lastInsertRowid) };
  }

  async listEvents(sessionId: string, options?: { afterId?: number; limit?: number }): Promise<LabEvent[]> {
    const { afterId, limit } = eventPage(options);
    const rows = this.#open().all(
      'SELECT * FROM events WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?',
      [sessionId, afterId, limit],
    ) as Row[];
    return rows.map(toEvent);
  }

  async recordCheck(r: {
    ownerHash: string;
    lesson: string;
    exercise: string;
    passed: boolean;
    at: number;
  }): Promise<ProgressRecord> {
    const row = this.#open().get(
      `INSERT INTO progress (owner_hash, lesson, exercise, passed, attempts, at, passed_at)
       VALUES (?, ?, ?, ?, 1, ?, ?)
       ON CONFLICT (owner_hash, lesson, exercise) DO UPDATE SET
         passed = excluded.passed, attempts = progress.attempts + 1, at = excluded.at,
         passed_at = COALESCE(progress.passed_at, excluded.passed_at)
       RETURNING *`,
      [r.ownerHash, r.lesson, r.exercise, r.passed ? 1 : 0, r.at, r.passed ? r.at : null],
    ) as Row;
    return toProgress(row);
  }

  async listProgress(ownerHash: string): Promise<ProgressRecord[]> {
    const rows = this.#open().all('SELECT * FROM progress WHERE owner_hash = ? ORDER BY lesson, exercise', [
      ownerHash,
    ]) as Row[];
    return rows.map(toProgress);
  }

  /** Checkpoints the WAL into the file, closes it and releases the lock. Safe to call twice. */
  async dispose(): Promise<void> {
    const db = this.#db;
    if (!db) return;
    this.#db = undefined;
    db.close();
    if (this.file === ':memory:') return;
    openFiles.delete(this.file);
    rmSync(ownerFile(this.file), { force: true });
  }

  #open(): sqlite.Database {
    if (!this.#db) throw new Error(`The SQLite store ${this.file} was used after dispose().`);
    return this.#db;
  }
}

function transaction(db: sqlite.Database, work: (db: sqlite.Database) => void): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    work(db);
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

function migrate(db: sqlite.Database, file: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.get('SELECT MAX(version) AS version FROM schema_version') as { version: number | null };
  const found = row.version ?? 0;
  if (found > MIGRATIONS.length)
    throw new LabError(StoreSchemaTooNew, { where: file, found, known: MIGRATIONS.length });
  for (let version = found + 1; version <= MIGRATIONS.length; version++) {
    transaction(db, () => {
      db.exec(MIGRATIONS[version - 1] ?? '');
      db.run('DELETE FROM schema_version');
      db.run('INSERT INTO schema_version (version) VALUES (?)', [version]);
    });
  }
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
