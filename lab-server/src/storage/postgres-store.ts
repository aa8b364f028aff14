import pg from 'pg';
import type { LabEvent, LabStore, ProgressRecord, SessionRecord } from './lab-store.ts';
import { SESSION_COLUMNS, sessionValues, toProgress, toSession } from './rows.ts';

const SCHEMA = `
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
`;

interface Row {
  [key: string]: unknown;
}

/** The store for several lab-server instances sharing one PostgreSQL database. */
export class PostgresStore implements LabStore {
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  static async open(options: { connectionString: string }): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: options.connectionString, max: 10 });
    await pool.query(SCHEMA);
    return new PostgresStore(pool);
  }

  async saveSession(s: SessionRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO dockside_sessions (${SESSION_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
       ON CONFLICT (id) DO UPDATE SET owner_hash = $2, preview_token = $3, template = $4, state = $5,
         network_id = $6, nodes = $7, created_at = $8, last_active_at = $9, expires_at = $10, client_address = $11`,
      sessionValues(s),
    );
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.#pool.query('SELECT * FROM dockside_sessions WHERE id = $1', [id]);
    return rows[0] ? toSession(rows[0]) : undefined;
  }

  async listSessions(): Promise<SessionRecord[]> {
    const { rows } = await this.#pool.query('SELECT * FROM dockside_sessions ORDER BY created_at');
    return rows.map(toSession);
  }

  async deleteSession(id: string): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('DELETE FROM dockside_events WHERE session_id = $1', [id]);
      await client.query('DELETE FROM dockside_sessions WHERE id = $1', [id]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    } finally {
      client.release();
    }
  }

  async appendEvent(event: Omit<LabEvent, 'id'>): Promise<LabEvent> {
    const { rows } = await this.#pool.query(
      'INSERT INTO dockside_events (session_id, at, type, data) VALUES ($1, $2, $3, $4) RETURNING id',
      [event.sessionId, event.at, event.type, JSON.stringify(event.data)],
    );
    return { ...event, id: Number(rows[0]?.id) };
  }

  async listEvents(
    sessionId: string,
    options: { afterId?: number; limit?: number } = {},
  ): Promise<LabEvent[]> {
    const { rows } = await this.#pool.query(
      'SELECT * FROM dockside_events WHERE session_id = $1 AND id > $2 ORDER BY id LIMIT $3',
      [sessionId, options.afterId ?? 0, options.limit ?? 100],
    );
    return rows.map((r: Row) => ({
      id: Number(r.id),
      sessionId: r.session_id as string,
      at: Number(r.at),
      type: r.type as string,
      data: r.data as Record<string, unknown>,
    }));
  }

  async recordCheck(r: {
    ownerHash: string;
    lesson: string;
    exercise: string;
    passed: boolean;
    at: number;
  }): Promise<ProgressRecord> {
    const { rows } = await this.#pool.query(
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
    const { rows } = await this.#pool.query(
      'SELECT * FROM dockside_progress WHERE owner_hash = $1 ORDER BY lesson, exercise',
      [ownerHash],
    );
    return rows.map(toProgress);
  }

  async dispose(): Promise<void> {
    await this.#pool.end();
  }
}
