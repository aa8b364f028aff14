import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { waitFor } from '../util/wait-for.ts';

/** The environment variable that marks a terminal's shell, so it can be found and signalled. */
export const MARKER_ENV = 'DOCKSIDE_TERMINAL';

// A login shell: bash when the node has it, else sh. `exec` keeps one process, so `$$` is the exec's
// process and the shell keeps the exec's environment (with the marker).
export const SHELL_SCRIPT =
  'cd "$HOME" 2>/dev/null; if command -v bash >/dev/null 2>&1; then exec bash -l; fi; exec sh -l';

// Signals a terminal's shell from inside its container: the process with our marker whose parent is
// outside the container (PPid 0), as every exec's process is. $1 signal, $2 marker assignment.
const SIGNAL_SCRIPT = `for p in /proc/[0-9]*; do
  grep -q '^PPid:[[:space:]]*0$' "$p/status" 2>/dev/null || continue
  tr '\\0' '\\n' < "$p/environ" 2>/dev/null | grep -qxF "$2" || continue
  kill -s "$1" "\${p##*/}" 2>/dev/null
done`;

/** What the hub logs: a pino logger, or anything with the same two methods. */
export interface TerminalLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** What ending a shell needs: its exec, its node's container and its marker. */
export interface ShellProcess {
  key: string;
  sessionId: string;
  node: string;
  tab: string;
  exec: Docker.Exec;
  container: Docker.Container;
  marker: string;
}

/**
 * Docker 20.10 leaves an exec's process running when its connection closes, so a shell is hung up
 * (SIGHUP, which bash passes on to its jobs), then killed if it lingers.
 */
export async function killShell(
  s: ShellProcess,
  options: { hostSignals: boolean; graceMs: number; logger?: TerminalLogger },
): Promise<void> {
  // Gone already: nothing to kill.
  const info = await s.exec.inspect().catch(() => undefined);
  if (!info?.Running) return;
  const pid = info.Pid;
  const ended = (via: string, signal: string) =>
    options.logger?.debug({ key: s.key, pid, via, signal }, 'terminal shell ended');
  if (options.hostSignals && pid > 0 && (await signalOnHost(pid, s.marker, 'SIGHUP'))) {
    if (await exited(s, options.graceMs)) return ended('host', 'SIGHUP');
    if ((await signalOnHost(pid, s.marker, 'SIGKILL')) && (await exited(s, 2000))) {
      return ended('host', 'SIGKILL');
    }
  }
  // Not on the engine's host (or not allowed): signal it from inside its container.
  for (const [signal, graceMs] of [
    ['HUP', options.graceMs],
    ['KILL', 2000],
  ] as const) {
    await signalInContainer(s, signal).catch((err: unknown) =>
      options.logger?.debug({ err, key: s.key }, 'signalling a shell inside its container failed'),
    );
    if (await exited(s, graceMs)) return ended('container', `SIG${signal}`);
  }
  options.logger?.warn(
    { session: s.sessionId, node: s.node, tab: s.tab, pid },
    'a terminal shell outlived SIGHUP and SIGKILL',
  );
}

async function exited(s: ShellProcess, timeoutMs: number): Promise<boolean> {
  try {
    await waitFor(async () => !(await s.exec.inspect().catch(() => ({ Running: false }))).Running, {
      timeoutMs,
      intervalMs: 20,
      what: `the shell of ${s.node} to exit`,
    });
    return true;
  } catch {
    // Still running after the wait: the caller kills it harder.
    return false;
  }
}

async function signalInContainer(s: ShellProcess, signal: 'HUP' | 'KILL'): Promise<void> {
  const exec = await s.container.exec({
    Cmd: ['/bin/sh', '-c', SIGNAL_SCRIPT, 'sh', signal, `${MARKER_ENV}=${s.marker}`],
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false, Tty: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => stream.destroy(), 5000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
    stream.resume();
  });
}

/**
 * Signals a host process, once its environment proves it is the shell with this marker (the PID may be
 * another process's by now, or the engine may be on another host). False when that cannot be proved or
 * the signal is refused; true when it was sent, or the process was gone by then.
 */
async function signalOnHost(pid: number, marker: string, signal: NodeJS.Signals): Promise<boolean> {
  let environ: string;
  try {
    environ = (await readFile(`/proc/${pid}/environ`)).toString('latin1');
  } catch {
    // The process is gone: nothing to signal.
    return false;
  }
  if (!environ.split('\0').includes(`${MARKER_ENV}=${marker}`)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
