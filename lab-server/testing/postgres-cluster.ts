import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installDebianPackages, type Say } from '../src/engine/debian-packages.ts';
import { freePort } from './free-port.ts';

/**
 * A throw-away PostgreSQL server from Debian's packages, for tests that need a real one: initdb and
 * pg_ctl in a temporary folder, on a free port of 127.0.0.1.
 */
export interface TempCluster {
  url: string;
  stop(): void;
}

/** The folder of Debian's PostgreSQL server programs (the newest installed), if any. */
export function findServerBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = join(root, version, 'bin');
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return undefined;
}

/** The server programs, installing Debian's `postgresql` first when they are missing (as root). */
export async function ensureServerBinaries(say: Say): Promise<string> {
  const found = findServerBinaries();
  if (found) return found;
  await installDebianPackages(['postgresql'], say);
  const installed = findServerBinaries();
  if (!installed) throw new Error('postgresql was installed but /usr/lib/postgresql/*/bin/initdb is missing');
  return installed;
}

/**
 * initdb and pg_ctl in a temporary folder, on a free port of 127.0.0.1 with its socket in that folder.
 * PostgreSQL refuses to run as root, so as root they run as the postgres user (or nobody).
 */
export async function startCluster(bin: string): Promise<TempCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'dockside-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? (userExists('postgres') ? 'postgres' : 'nobody') : undefined;
  if (user) {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const run = (program: string, args: string[]) => {
    const [file, argv] = user
      ? ['setpriv', ['--reuid', user, '--regid', user, '--init-groups', join(bin, program), ...args]]
      : [join(bin, program), args];
    // stdio ignored: the server pg_ctl starts would otherwise hold our pipes open and never let us return.
    execFileSync(file, argv, { stdio: 'ignore', cwd: dir, env: { ...process.env, LC_ALL: 'C' } });
  };
  const stop = () => {
    try {
      if (existsSync(join(data, 'postmaster.pid'))) run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    const port = await freePort();
    // fsync off: a test cluster that is deleted afterwards needs no durability.
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    run('pg_ctl', ['-D', data, '-o', options, '-l', log, '-w', '-t', '60', 'start']);
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
  } catch (err) {
    const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '(no server log)';
    stop();
    throw new Error(`could not start a temporary PostgreSQL cluster with ${bin}: ${tail}`, { cause: err });
  }
}

function userExists(name: string): boolean {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
