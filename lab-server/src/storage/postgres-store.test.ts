import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { describeLabStoreContract } from './lab-store.contract.ts';
import { PostgresStore } from './postgres-store.ts';

/**
 * Runs the store contract on PostgreSQL: DOCKSIDE_TEST_POSTGRES_URL when set, else a throw-away cluster
 * when Debian's PostgreSQL server is installed. Without either, the suite says so in its title.
 */
const binDir = (() => {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort().pop();
  const dir = version && join(root, version, 'bin');
  return dir && existsSync(join(dir, 'initdb')) ? dir : undefined;
})();
const externalUrl = process.env.DOCKSIDE_TEST_POSTGRES_URL;
const available = Boolean(externalUrl || (binDir && process.getuid?.() === 0));

let url = externalUrl ?? '';
let cluster: string | undefined;
// stdio ignored: the server pg_ctl starts would otherwise hold our pipes open and never let us return.
const asPostgres = (args: string[]) =>
  execFileSync('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', ...args], {
    stdio: 'ignore',
  });

beforeAll(() => {
  if (!available || externalUrl || !binDir) return;
  cluster = mkdtempSync(join(tmpdir(), 'dockside-pg-'));
  chownSync(
    cluster,
    Number(execFileSync('id', ['-u', 'postgres']).toString()),
    Number(execFileSync('id', ['-g', 'postgres']).toString()),
  );
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  asPostgres([join(binDir, 'initdb'), '-D', join(cluster, 'data'), '-U', 'postgres', '--auth=trust']);
  asPostgres([
    join(binDir, 'pg_ctl'),
    '-D',
    join(cluster, 'data'),
    '-o',
    `-p ${port} -k ${cluster} -c listen_addresses=127.0.0.1`,
    '-l',
    join(cluster, 'server.log'),
    '-w',
    'start',
  ]);
  url = `postgres://postgres@127.0.0.1:${port}/postgres`;
}, 120_000);

afterAll(() => {
  if (cluster && binDir) {
    spawnSync('setpriv', [
      '--reuid=postgres',
      '--regid=postgres',
      '--init-groups',
      join(binDir, 'pg_ctl'),
      '-D',
      join(cluster, 'data'),
      '-m',
      'immediate',
      'stop',
    ]);
    rmSync(cluster, { recursive: true, force: true });
  }
});

describe.skipIf(!available)('PostgreSQL', () => {
  describeLabStoreContract('PostgreSQL', async () => {
    const store = await PostgresStore.open({ connectionString: url });
    return { store, reopen: () => PostgresStore.open({ connectionString: url }) };
  });
});

if (!available) {
  describe('PostgreSQL not available: set DOCKSIDE_TEST_POSTGRES_URL or install postgresql', () => {});
}
