import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { EngineStartFailed } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import { mountPoints } from '../util/mounts.ts';
import { runCommand, tail } from '../util/run-command.ts';
import { waitFor } from '../util/wait-for.ts';

export interface DockerdPaths {
  socket: string;
  dataRoot: string;
  execRoot: string;
  pidFile: string;
  log: string;
}

export function dockerdPaths(engineDir: string): DockerdPaths {
  return {
    socket: join(engineDir, 'docker.sock'),
    dataRoot: join(engineDir, 'data'),
    // Unix socket paths are limited to 108 bytes and containerd's live under exec-root: keep it short,
    // and distinct per state directory so two labs never share one.
    execRoot: `/run/dockside-${createHash('sha256').update(engineDir).digest('hex').slice(0, 8)}`,
    pidFile: join(engineDir, 'dockerd.pid'),
    log: join(engineDir, 'dockerd.log'),
  };
}

/**
 * Engines other Dockside labs started on this host (their exec root is /run/dockside-*), but for the
 * one at `execRoot`: a second engine of a lab's own would share docker0 and dockerd's fixed iptables
 * chains with it, and each would undo the other's rules.
 */
export function otherLabEngines(execRoot: string): { pid: number; socket: string }[] {
  const found: { pid: number; socket: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // A process that ended while we looked.
    }
    if (!argv[0]?.endsWith('dockerd')) continue;
    const root = argv.find((a) => a.startsWith('--exec-root='))?.slice('--exec-root='.length);
    if (!root?.startsWith('/run/dockside-') || root === execRoot) continue;
    const socket = argv.find((a) => a.startsWith('--host='))?.slice('--host='.length) ?? '';
    found.push({ pid: Number(entry), socket });
  }
  return found;
}

/** A dockerd that the lab started and will stop. */
export class DockerdProcess {
  readonly paths: DockerdPaths;
  readonly #pid: number;

  private constructor(paths: DockerdPaths, pid: number) {
    this.paths = paths;
    this.#pid = pid;
  }

  /**
   * Starts dockerd with its own socket, data root and pid file, so that it never touches a user's
   * engine, and waits until it answers.
   */
  static async start(options: {
    paths: DockerdPaths;
    runtime: { name: string; path: string };
    timeoutMs?: number;
  }): Promise<DockerdProcess> {
    const { paths, runtime } = options;
    for (const dir of [paths.dataRoot, paths.execRoot]) mkdirSync(dir, { recursive: true });
    // A dockerd killed without cleanup leaves its pid file and socket, which dockerd refuses to start
    // over, and its containerd, which the new dockerd waits on for a long time before giving up.
    for (const stale of [paths.pidFile, paths.socket]) rmSync(stale, { force: true });
    await killOrphanedContainerd(paths.execRoot);
    const logFd = openSync(paths.log, 'a');
    const child = spawn(
      'dockerd',
      [
        `--host=unix://${paths.socket}`,
        `--data-root=${paths.dataRoot}`,
        `--exec-root=${paths.execRoot}`,
        `--pidfile=${paths.pidFile}`,
        `--add-runtime=${runtime.name}=${runtime.path}`,
        `--default-runtime=${runtime.name}`,
        '--log-level=warn',
      ],
      {
        detached: true, // Ctrl-C reaches the lab server, which stops sandboxes before the engine.
        stdio: ['ignore', logFd, logFd],
        env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
      },
    );
    closeSync(logFd);
    let exited: string | undefined;
    child.on('exit', (code, signal) => {
      exited = `exited (${signal ?? `code ${code}`}): ${tail(readLog(paths.log), 2)}`;
    });
    child.on('error', (err) => {
      exited = `could not be run (${err.message})`;
    });
    child.unref();
    const docker = new Docker({ socketPath: paths.socket });
    await waitFor(() => existsSync(paths.socket) && docker.ping().then(() => true), {
      timeoutMs: options.timeoutMs ?? 60_000,
      what: `dockerd to answer on ${paths.socket}`,
      abort: () => (exited ? new LabError(EngineStartFailed, { reason: exited, log: paths.log }) : undefined),
    }).catch((err) => {
      child.kill('SIGTERM');
      throw err;
    });
    if (!child.pid) throw new LabError(EngineStartFailed, { reason: 'has no pid', log: paths.log });
    return new DockerdProcess(paths, child.pid);
  }

  /** The dockerd an earlier lab started with these paths and left running, by its pid file. */
  static adopt(paths: DockerdPaths): DockerdProcess | undefined {
    const pid = readPid(paths.pidFile);
    return pid && isAlive(pid) ? new DockerdProcess(paths, pid) : undefined;
  }

  get pid(): number {
    return this.#pid;
  }

  /** Whether the engine process still exists (started again by someone else: its pid file says). */
  alive(): boolean {
    return isAlive(this.#currentPid());
  }

  /**
   * Stops dockerd and waits for it to finish shutting down containers (at most `timeoutMs`). An
   * operator may have restarted it with the same paths meanwhile: the pid file names the one to stop.
   */
  async stop(timeoutMs = 30_000): Promise<void> {
    const pid = this.#currentPid();
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return; // Already gone.
    }
    const deadline = Date.now() + timeoutMs;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    // dockerd bind-mounts its data root onto itself and unmounts it on a clean stop, except when an
    // earlier dockerd was killed (SIGKILL) and left the mount: the next one finds it and keeps it.
    if (!isAlive(pid) && mountPoints().has(this.paths.dataRoot)) {
      // Best effort: the next dockerd keeps a stale self-mount, as the comment above says.
      await runCommand('umount', [this.paths.dataRoot]).catch(() => undefined);
    }
  }

  #currentPid(): number {
    const fromFile = readPid(this.paths.pidFile);
    // No pid file, or a stale one: the one we started.
    return fromFile && isAlive(fromFile) ? fromFile : this.#pid;
  }
}

/** The pid a pid file holds, if it holds one. */
function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // No pid file.
  }
}

/** Kills a containerd left running under this exec root by a dockerd that was killed. */
async function killOrphanedContainerd(execRoot: string): Promise<void> {
  const config = join(execRoot, 'containerd', 'containerd.toml');
  const orphans = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv[0]?.endsWith('containerd') === true && argv.includes(config);
      } catch {
        return false; // Gone meanwhile, or not ours to read.
      }
    });
  for (const pid of orphans) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + 10_000;
  while (orphans.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  // Its pid file would make the next dockerd wait for it: a killed containerd can stay a zombie here
  // (nothing reaps orphans), and a zombie still looks alive to dockerd.
  rmSync(join(execRoot, 'containerd', 'containerd.pid'), { force: true });
}

/** Whether a process runs (a zombie, dead but not reaped, does not). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    // No such process, or not ours to signal: not alive for us.
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // Gone between the two looks.
    return false;
  }
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-4000);
  } catch {
    // No log yet: the error says dockerd exited, with nothing to quote.
    return '';
  }
}
