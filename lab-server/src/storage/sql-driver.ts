/**
 * What the SQL store (sql-store.ts) needs of a database: statements with `?` parameters, transactions,
 * and the few words the two dialects spell differently. SQLite (sqlite-store.ts) and PostgreSQL
 * (postgres-store.ts) implement it; the queries themselves are written once.
 */
export type Row = Record<string, unknown>;
export type SqlValue = string | number | boolean | null;

/** The store's tables, by their name in the code; each dialect names them in the database. */
export type TableName = 'sessions' | 'events' | 'progress' | 'labs' | 'schema_version';

export interface SqlRunner {
  /** Rows of a statement (with RETURNING, of a write). */
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** A statement whose rows are not wanted; resolves with how many rows it touched. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDriver extends SqlRunner {
  readonly dialect: 'sqlite' | 'postgres';
  /** Where the database is, for messages (never a password). */
  readonly where: string;
  table(name: TableName): string;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. Nothing
   * else runs on its connection meanwhile. `lockSchema` also makes concurrent migrations take turns.
   */
  transaction<T>(work: (tx: SqlRunner) => Promise<T>, options?: { lockSchema?: boolean }): Promise<T>;
  dispose(): Promise<void>;
}

/**
 * A schema step written once for both dialects: `{sessions}`-style names of tables, and `{json}`,
 * `{bigint}`, `{serial}` (an increasing key) and `{bool}` for the types each spells its own way.
 */
export function renderSql(template: string, driver: Pick<SqlDriver, 'dialect' | 'table'>): string {
  const types: Record<string, Record<SqlDriver['dialect'], string>> = {
    json: { sqlite: 'TEXT', postgres: 'JSONB' },
    bigint: { sqlite: 'INTEGER', postgres: 'BIGINT' },
    serial: { sqlite: 'INTEGER PRIMARY KEY AUTOINCREMENT', postgres: 'BIGSERIAL PRIMARY KEY' },
    bool: { sqlite: 'INTEGER', postgres: 'BOOLEAN' },
  };
  return template.replace(/\{(\w+)\}/g, (whole, word: string) => {
    const type = types[word];
    if (type) return type[driver.dialect];
    if (['sessions', 'events', 'progress', 'labs', 'schema_version'].includes(word))
      return driver.table(word as TableName);
    throw new Error(`unknown word ${whole} in a schema step`);
  });
}
