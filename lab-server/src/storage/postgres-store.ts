import pg from 'pg';
import { isLabError, LabError } from '../errors/lab-error.ts';
import { StoreUnreachable } from '../errors/store-errors.ts';
import { migrate } from './schema.ts';
import type { Row, SqlDriver, SqlRunner, SqlValue, TableName } from './sql-driver.ts';
import { SqlStore } from './sql-store.ts';

// An advisory lock key ('dock' in ASCII), held to the end of a migration's transaction.
const SCHEMA_LOCK = 0x646f636b;

/** The store for several lab-server instances sharing one PostgreSQL database. */
export class PostgresStore extends SqlStore {
  private constructor(driver: PostgresDriver) {
    super(driver);
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
    const driver = new PostgresDriver(pool, redact(options.connectionString));
    try {
      await migrate(driver);
      return new PostgresStore(driver);
    } catch (err) {
      // The migration's own failure below is what the operator hears.
      await pool.end().catch(() => undefined);
      if (isLabError(err)) throw err;
      throw new LabError(
        StoreUnreachable,
        { url: driver.where, reason: (err as Error).message || String(err) },
        { cause: err },
      );
    }
  }
}

class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres';
  readonly where: string;
  readonly #pool: pg.Pool;
  #ended = false;

  constructor(pool: pg.Pool, where: string) {
    this.#pool = pool;
    this.where = where;
  }

  table(name: TableName): string {
    return `dockside_${name}`;
  }

  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return runner(this.#pool).all(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return runner(this.#pool).run(sql, params);
  }

  async transaction<T>(
    work: (tx: SqlRunner) => Promise<T>,
    options: { lockSchema?: boolean } = {},
  ): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      if (options.lockSchema) await client.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`);
      const result = await work(runner(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // The transaction's own failure, rethrown below, is what the caller hears.
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Waits for running queries and closes every connection. Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.#pool.end();
  }
}

/** Statements on a pool or one client, with the store's `?` parameters numbered as PostgreSQL's $1, $2... */
function runner(on: pg.Pool | pg.PoolClient): SqlRunner {
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    all: async (sql, params) => (await on.query<Row>(numbered(sql), params as SqlValue[])).rows,
    run: async (sql, params) => (await on.query(numbered(sql), params as SqlValue[])).rowCount ?? 0,
  };
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
