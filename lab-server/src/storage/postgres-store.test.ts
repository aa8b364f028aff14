import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findServerBinaries, startCluster, type TempCluster } from '../../testing/postgres-cluster.ts';
import { waitFor } from '../util/wait-for.ts';
import { describeLabStoreContract } from './lab-store.contract.ts';
import { PostgresStore } from './postgres-store.ts';
import { SESSION_COLUMNS } from './rows.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.ts';
import { renderSql } from './sql-driver.ts';

/**
 * Runs the store contract on PostgreSQL: DOCKSIDE_TEST_POSTGRES_URL when set (a database the tests may
 * create dockside_* tables in), else a throw-away cluster when Debian's PostgreSQL server is installed
 * (apt-get install postgresql). Without either, the skipped suite says so in its title.
 */
const externalUrl = process.env.DOCKSIDE_TEST_POSTGRES_URL || undefined;
const binDir = findServerBinaries();
const available = Boolean(externalUrl || binDir);
const unavailable = 'PostgreSQL not available: set DOCKSIDE_TEST_POSTGRES_URL or install postgresql';
// The default reporter shows a skipped suite as a count only; this line says why.
if (!available) console.warn(`${unavailable}; the PostgreSQL store tests are skipped.`);

describe.skipIf(!available)(
  available
    ? `PostgreSQL (${externalUrl ? 'DOCKSIDE_TEST_POSTGRES_URL' : `temporary cluster from ${binDir}`})`
    : unavailable,
  () => {
    let url = externalUrl ?? '';
    let cluster: TempCluster | undefined;
    beforeAll(async () => {
      if (externalUrl || !binDir) return;
      cluster = await startCluster(binDir);
      url = cluster.url;
    }, 120_000);
    afterAll(() => cluster?.stop(), 60_000);

    describeLabStoreContract('PostgreSQL', async () => ({
      store: await PostgresStore.open({ connectionString: url }),
      reopen: () => PostgresStore.open({ connectionString: url }),
    }));

    describe('PostgreSQL schema', () => {
      it('is created once when several lab servers open the database together', async () => {
        const stores = await Promise.all(
          Array.from({ length: 5 }, () => PostgresStore.open({ connectionString: url, maxConnections: 2 })),
        );
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          const { rows } = await client.query('SELECT version FROM dockside_schema_version');
          expect(rows).toEqual([{ version: SCHEMA_VERSION }]);
        } finally {
          await client.end();
          await Promise.all(stores.map((s) => s.dispose()));
        }
      });

      it('commits events in id order, so a reader paging by afterId misses none', async () => {
        // A trigger holds one insert after it has drawn its id; another insert starts meanwhile.
        const sessionId = `slow-${process.pid}-${Date.now()}`;
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        const store = await PostgresStore.open({ connectionString: url });
        try {
          await client.query(`
            CREATE OR REPLACE FUNCTION dockside_test_slow() RETURNS trigger AS $$
            BEGIN
              IF NEW.session_id = '${sessionId}' AND NEW.type = 'slow' THEN PERFORM pg_sleep(0.5); END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER dockside_test_slow BEFORE INSERT ON dockside_events
              FOR EACH ROW EXECUTE FUNCTION dockside_test_slow();`);
          const slow = store.appendEvent({ sessionId, at: 1, type: 'slow', data: {} });
          // The slow insert has drawn its id once its trigger sleeps: wait for that, not a fixed time.
          await waitFor(
            async () =>
              (await client.query("SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep'")).rowCount,
            { timeoutMs: 10_000, what: 'the slow insert to sleep in its trigger', intervalMs: 10 },
          );
          const fast = await store.appendEvent({ sessionId, at: 2, type: 'fast', data: {} });
          // Had `fast` committed before `slow`, this page would hold `fast` alone and a reader going on
          // from its id would never see `slow`.
          const page = await store.listEvents(sessionId);
          expect(page.map((e) => e.type)).toEqual(['slow', 'fast']);
          expect((await slow).id).toBeLessThan(fast.id);
        } finally {
          await client.query('DROP TRIGGER IF EXISTS dockside_test_slow ON dockside_events');
          await client.query('DROP FUNCTION IF EXISTS dockside_test_slow()');
          await client.end();
          await store.dispose();
        }
      });

      it('brings a database of the first schema up to date, keeping its sessions (no lab yet)', async () => {
        // A database of its own (when the cluster is the test's), holding what the first schema wrote.
        if (!cluster) return;
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        await admin.query('DROP DATABASE IF EXISTS dockside_v1');
        await admin.query('CREATE DATABASE dockside_v1');
        await admin.end();
        const v1Url = url.replace(/\/[^/?]*(\?|$)/, '/dockside_v1$1');
        const client = new pg.Client({ connectionString: v1Url });
        await client.connect();
        try {
          await client.query(
            renderSql(MIGRATIONS[0] ?? '', { dialect: 'postgres', table: (t) => `dockside_${t}` }),
          );
          await client.query('CREATE TABLE dockside_schema_version (version INTEGER NOT NULL)');
          await client.query('INSERT INTO dockside_schema_version VALUES (1)');
          await client.query(
            `INSERT INTO dockside_sessions (${SESSION_COLUMNS.replace(', lab_id', '')})
             VALUES ('f00d', 'owner', 'token', 'solo', 'ready', 'net', '[]', 1, 2, 3, '192.0.2.1')`,
          );
        } finally {
          await client.end();
        }
        const store = await PostgresStore.open({ connectionString: v1Url });
        try {
          expect(await store.getSession('f00d')).toMatchObject({ id: 'f00d', labId: '', expiresAt: 3 });
          expect(await store.listLabs()).toEqual([]);
        } finally {
          await store.dispose();
        }
      });

      it('refuses a database written by a newer Dockside', async () => {
        const store = await PostgresStore.open({ connectionString: url });
        await store.dispose();
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query('UPDATE dockside_schema_version SET version = 99');
          await expect(PostgresStore.open({ connectionString: url })).rejects.toMatchObject({
            name: 'StoreSchemaTooNew',
            message: expect.stringContaining('version 99'),
          });
        } finally {
          await client.query('UPDATE dockside_schema_version SET version = $1', [SCHEMA_VERSION]);
          await client.end();
        }
      });
    });
  },
);
