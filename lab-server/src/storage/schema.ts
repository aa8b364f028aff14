import { LabError } from '../errors/lab-error.ts';
import { StoreSchemaTooNew } from '../errors/store-errors.ts';
import { renderSql, type SqlDriver } from './sql-driver.ts';

/**
 * Schema steps, for both dialects (sql-driver.ts renders them): entry i takes a database from version
 * i to version i + 1. Append, never edit: databases written by earlier versions run the steps they have
 * not seen. PostgreSQL's tables carry a dockside_ prefix because its database may be shared with other
 * programs.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS {sessions} (
    id TEXT PRIMARY KEY,
    owner_hash TEXT NOT NULL,
    preview_token TEXT NOT NULL UNIQUE,
    template TEXT NOT NULL,
    state TEXT NOT NULL,
    network_id TEXT NOT NULL,
    nodes {json} NOT NULL,
    created_at {bigint} NOT NULL,
    last_active_at {bigint} NOT NULL,
    expires_at {bigint} NOT NULL,
    client_address TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS {sessions}_owner ON {sessions} (owner_hash);
  CREATE TABLE IF NOT EXISTS {events} (
    id {serial},
    session_id TEXT NOT NULL,
    at {bigint} NOT NULL,
    type TEXT NOT NULL,
    data {json} NOT NULL
  );
  CREATE INDEX IF NOT EXISTS {events}_session ON {events} (session_id, id);
  CREATE TABLE IF NOT EXISTS {progress} (
    owner_hash TEXT NOT NULL,
    lesson TEXT NOT NULL,
    exercise TEXT NOT NULL,
    passed {bool} NOT NULL,
    attempts INTEGER NOT NULL,
    at {bigint} NOT NULL,
    passed_at {bigint},
    PRIMARY KEY (owner_hash, lesson, exercise)
  );
  `,
  // Several labs on one database: each session belongs to the lab that made it (rows written before
  // have none, and the first lab to start takes them), and each lab holds a lease on its id and says
  // where the others reach it.
  `
  ALTER TABLE {sessions} ADD COLUMN lab_id TEXT NOT NULL DEFAULT '';
  CREATE INDEX IF NOT EXISTS {sessions}_lab ON {sessions} (lab_id);
  CREATE TABLE IF NOT EXISTS {labs} (
    id TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    address TEXT NOT NULL,
    public_url TEXT NOT NULL,
    started_at {bigint} NOT NULL,
    heartbeat_at {bigint} NOT NULL,
    lease_until {bigint} NOT NULL
  );
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database up to date, every step with its version in one transaction (lab servers opening
 * one database together take turns). Refuses a database a newer Dockside wrote.
 */
export async function migrate(driver: SqlDriver): Promise<void> {
  const versions = driver.table('schema_version');
  await driver.transaction(
    async (tx) => {
      await tx.run(`CREATE TABLE IF NOT EXISTS ${versions} (version INTEGER NOT NULL)`);
      const found = Number(
        (await tx.all(`SELECT MAX(version) AS version FROM ${versions}`))[0]?.version ?? 0,
      );
      if (found > MIGRATIONS.length)
        throw new LabError(StoreSchemaTooNew, { where: driver.where, found, known: MIGRATIONS.length });
      for (let version = found + 1; version <= MIGRATIONS.length; version++) {
        for (const statement of splitStatements(renderSql(MIGRATIONS[version - 1] ?? '', driver)))
          await tx.run(statement);
      }
      if (found < MIGRATIONS.length) {
        await tx.run(`DELETE FROM ${versions}`);
        await tx.run(`INSERT INTO ${versions} (version) VALUES (?)`, [MIGRATIONS.length]);
      }
    },
    { lockSchema: true },
  );
}

/** A step's statements, one by one (the steps hold no `;` inside a statement). */
const splitStatements = (sql: string) =>
  sql
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
