import pg from 'pg';
import { isLabError, LabError } from '../errors/lab-error.ts';
import { StoreSchemaTooNew, StoreUnreachable } from '../errors/store-errors.ts';
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
 * Schema steps: entry i takes a database from version i to version i + 1. Append, never edit. Tables
 * carry a dockside_ prefix because the database may be shared with other programs.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS dockside_sessions (
    id TEXT PRIMARY KEY,
    owner_hash TEXT NOT NULL,
    preview_token TEXT NOT NULL UNIQUE,
    template TEXT NOT NULL,
    state TEXT NOT NULL,
    network_id TEXT NOT NULL,
    nodes JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    last_active_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    client_address TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS dockside_sessions_owner ON dockside_sessions (owner_hash);
  CREATE TABLE IF NOT EXISTS dockside_events (
    id BIGSERIAL PRIMARY KEY,
    session_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    type TEXT NOT NULL,
    data JSONB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS dockside_events_session ON dockside_events (session_id, id);
  CREATE TABLE IF NOT EXISTS dockside_progress (
    owner_hash TEXT NOT NULL,
    lesson TEXT NOT NULL,
    exercise TEXT NOT NULL,
    passed BOOLEAN NOT NULL,
    attempts INTEGER NOT NULL,
    at BIGINT NOT NULL,
    passed_at BIGINT,
    PRIMARY KEY (owner_hash, lesson, exercise)
  );
  `,
];

/** The schema version this code writes. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

// Advisory lock keys ('dock' and 'devt' in ASCII), held to the end of a transaction.
const SCHEMA_LOCK = 0x646f636b;
const EVENT_LOCK = 0x64657674;

type Row = Record<string, unknown>;

/**
 * The store for several lab-server instances sharing one PostgreSQL database. Every method is one
 * statement or one transaction, so concurrent calls from any number of processes are safe.
 */
export class PostgresStore implements LabStore {
  readonly #pool: pg.Pool;
  #ended = false;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /**
   * Connects and brings the schema up to date (servers starting together take turns). Fails with
   * StoreUnreachable when the database cannot be used, StoreSchemaTooNew when a newer Dockside wrote it.
   */
  static async open(options: { connectionString: string; maxConnections?: number }): Promise<PostgresStore> {
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: 10_000,
    });
    // An idle connection that breaks (a server restart) is dropped and replaced by the pool; without a
    // listener the event would end the process. A lasting failure surfaces on the next query.
    pool.on('error', () => undefined);
    try {
      await migrate(pool, redact(options.connectionString));
      return new PostgresStore(pool);
    } catch (err) {
      // The migration's own failure below is what the operator hears.
      await pool.end().catch(() => undefined);
      if (isLabError(err)) throw err;
      throw new LabError(
        StoreUnreachable,
        { url: redact(options.connectionString), reason: (err as Error).message || String(err) },
        { cause: err },
      );
    }
  }

  async saveSession(s: SessionRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO dockside_sessions (${SESSION_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
       ON CONFLICT (id) DO UPDATE SET ${SESSION_UPDATES}`,
      sessionValues(s),
    );
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.#pool.query<Row>('SELECT * FROM dockside_sessions WHERE id = $1', [id]);
    return rows[0] ? toSession(rows[0]) : undefined;
  }

  async listSessions(): Promise<SessionRecord[]> {
    const { rows } = await this.#pool.query<Row>('SELECT * FROM dockside_sessions ORDER BY created_at, id');
    return rows.map(toSession);
  }

  async deleteSession(id: string): Promise<void> {
    // One statement, so one transaction: the events and the session go together.
    await this.#pool.query(
      `WITH gone AS (DELETE FROM dockside_events WHERE session_id = $1)
       DELETE FROM dockside_sessions WHERE id = $1`,
      [id],
    );
  }

  async appendEvent(event: Omit<LabEvent, 'id'>): Promise<LabEvent> {
    // A sequence hands out ids when rows are inserted, but concurrent transactions may commit in another
    // order; a reader paging by afterId could then pass over an id that commits a moment later. Taking
    // a lock before the id is drawn, and keeping it until commit, makes commit order id order.
    const { rows } = await this.#pool.query<Row>(
      `WITH turn AS (SELECT pg_advisory_xact_lock(${EVENT_LOCK}))
       INSERT INTO dockside_events (session_id, at, type, data)
       SELECT $1, $2, $3, $4::jsonb FROM turn
       RETURNING id`,
      [event.sessionId, event.at, event.type, JSON.stringify(event.data)],
    );
    return { ...event, id: Number(rows[0]?.id) };
  }

  async listEvents(sessionId: string, options?: { afterId?: number; limit?: number }): Promise<LabEvent[]> {
    const { afterId, limit } = eventPage(options);
    const { rows } = await this.#pool.query<Row>(
      'SELECT * FROM dockside_events WHERE session_id = $1 AND id > $2 ORDER BY id LIMIT $3',
      [sessionId, afterId, limit],
    );
    return rows.map(toEvent);
  }

  async recordCheck(r: {
    ownerHash: string;
    lesson: string;
    exercise: string;
    passed: boolean;
    at: number;
  }): Promise<ProgressRecord> {
    const { rows } = await this.#pool.query<Row>(
      `INSERT INTO dockside_progress (owner_hash, lesson, exercise, passed, attempts, at, passed_at)
       VALUES ($1, $2, $3, $4, 1, $5, $6)
       ON CONFLICT (owner_hash, lesson, exercise) DO UPDATE SET
         passed = EXCLUDED.passed, attempts = dockside_progress.attempts + 1, at = EXCLUDED.at,
         passed_at = COALESCE(dockside_progress.passed_at, EXCLUDED.passed_at)
       RETURNING *`,
      [r.ownerHash, r.lesson, r.exercise, r.passed, r.at, r.passed ? r.at : null],
    );
    return toProgress(rows[0] as Row);
  }

  async listProgress(ownerHash: string): Promise<ProgressRecord[]> {
    const { rows } = await this.#pool.query<Row>(
      'SELECT * FROM dockside_progress WHERE owner_hash = $1 ORDER BY lesson, exercise',
      [ownerHash],
    );
    return rows.map(toProgress);
  }

  /** Waits for running queries and closes every connection. Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.#pool.end();
  }
}

async function migrate(pool: pg.Pool, where: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`);
    await client.query('CREATE TABLE IF NOT EXISTS dockside_schema_version (version INTEGER NOT NULL)');
    const { rows } = await client.query<{ version: number | null }>(
      'SELECT MAX(version) AS version FROM dockside_schema_version',
    );
    const found = rows[0]?.version ?? 0;
    if (found > MIGRATIONS.length)
      throw new LabError(StoreSchemaTooNew, { where, found, known: MIGRATIONS.length });
    for (let version = found + 1; version <= MIGRATIONS.length; version++) {
      await client.query(MIGRATIONS[version - 1] ?? '');
    }
    if (found < MIGRATIONS.length) {
      await client.query('DELETE FROM dockside_schema_version');
      await client.query('INSERT INTO dockside_schema_version (version) VALUES ($1)', [MIGRATIONS.length]);
    }
    await client.query('COMMIT');
  } catch (err) {
    // The migration's own failure, rethrown below, is what the operator hears.
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The connection string without its password, for messages. */
function redact(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    // Not a URL: named by its setting instead, never printed.
    return 'DOCKSIDE_DATABASE_URL';
  }
}
