import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import type { LabEvent, LabStore, ProgressRecord, SessionRecord } from './lab-store.ts';
import { SESSION_COLUMNS, sessionValues, toProgress, toSession } from './rows.ts';

const SCHEMA_VERSION = 1;

type Row = Record<string, unknown>;

/**
 * The embedded store: one SQLite file under the state directory. SQLite runs as WebAssembly
 * (node-sqlite3-wasm), which needs no native build and persists through Node's file system; its calls
 * are synchronous, so each method runs whole before the next (no interleaving within the process).
 */
export class SqliteStore implements LabStore {
  readonly #db: sqlite.Database;

  constructor(options: { file: string }) {
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
    this.#db = new sqlite.Database(options.file);
    this.#migrate();
  }

  #migrate(): void {
    this.#db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = this.#db.get('SELECT version FROM schema_version') as { version: number } | null;
    if (row && row.version >= SCHEMA_VERSION) return;
    this.#db.exec(`
      BEGIN;
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
      DELETE FROM schema_version;
      INSERT INTO schema_version (version) VALUES (${SCHEMA_VERSION});
      COMMIT;
    `);
  }

  async saveSession(s: SessionRecord): Promise<void> {
    this.#db.run(
      `INSERT OR REPLACE INTO sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      sessionValues(s),
    );
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const row = this.#db.get('SELECT * FROM sessions WHERE id = ?', [id]) as Row | null;
    return row ? toSession(row) : undefined;
  }

  async listSessions(): Promise<SessionRecord[]> {
    return (this.#db.all('SELECT * FROM sessions ORDER BY created_at') as unknown as Row[]).map(toSession);
  }

  async deleteSession(id: string): Promise<void> {
    this.#db.exec('BEGIN');
    this.#db.run('DELETE FROM events WHERE session_id = ?', [id]);
    this.#db.run('DELETE FROM sessions WHERE id = ?', [id]);
    this.#db.exec('COMMIT');
  }

  async appendEvent(event: Omit<LabEvent, 'id'>): Promise<LabEvent> {
    const result = this.#db.run('INSERT INTO events (session_id, at, type, data) VALUES (?, ?, ?, ?)', [
      event.sessionId,
      event.at,
      event.type,
      JSON.stringify(event.data),
    ]);
    return { ...event, id: Number(result.lastInsertRowid) };
  }

  async listEvents(
    sessionId: string,
    options: { afterId?: number; limit?: number } = {},
  ): Promise<LabEvent[]> {
    const rows = this.#db.all('SELECT * FROM events WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?', [
      sessionId,
      options.afterId ?? 0,
      options.limit ?? 100,
    ]) as unknown as { id: number; session_id: string; at: number; type: string; data: string }[];
    return rows.map((r) => ({
      id: Number(r.id),
      sessionId: r.session_id,
      at: Number(r.at),
      type: r.type,
      data: JSON.parse(r.data) as Record<string, unknown>,
    }));
  }

  async recordCheck(r: {
    ownerHash: string;
    lesson: string;
    exercise: string;
    passed: boolean;
    at: number;
  }): Promise<ProgressRecord> {
    this.#db.run(
      `INSERT INTO progress (owner_hash, lesson, exercise, passed, attempts, at, passed_at) VALUES (?, ?, ?, ?, 1, ?, ?)
       ON CONFLICT (owner_hash, lesson, exercise) DO UPDATE SET
         passed = excluded.passed, attempts = progress.attempts + 1, at = excluded.at,
         passed_at = COALESCE(progress.passed_at, excluded.passed_at)`,
      [r.ownerHash, r.lesson, r.exercise, r.passed ? 1 : 0, r.at, r.passed ? r.at : null],
    );
    const row = this.#db.get('SELECT * FROM progress WHERE owner_hash = ? AND lesson = ? AND exercise = ?', [
      r.ownerHash,
      r.lesson,
      r.exercise,
    ]) as unknown as Row;
    return toProgress(row);
  }

  async listProgress(ownerHash: string): Promise<ProgressRecord[]> {
    return (
      this.#db.all('SELECT * FROM progress WHERE owner_hash = ? ORDER BY lesson, exercise', [
        ownerHash,
      ]) as unknown as Row[]
    ).map(toProgress);
  }

  async dispose(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}
