import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { ExecTimedOut } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when an output stream passed `maxOutputBytes` and was cut. */
  truncated: boolean;
  durationMs: number;
}

/**
 * Runs a command in a container to completion (checks and click-to-run use this): stdout and stderr
 * kept apart, output bounded, and a deadline after which the process is killed.
 */
export async function execInContainer(
  container: Docker.Container,
  argv: string[],
  options: { node: string; timeoutMs: number; stdin?: string; maxOutputBytes?: number; env?: string[] },
): Promise<ExecResult> {
  const started = Date.now();
  const max = options.maxOutputBytes ?? 1024 * 1024;
  const exec = await container.exec({
    Cmd: argv,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: options.stdin !== undefined,
    Tty: false,
    Env: options.env,
  });
  const stream = await exec.start({ hijack: true, stdin: options.stdin !== undefined });
  const out = new PassThrough();
  const err = new PassThrough();
  container.modem.demuxStream(stream, out, err);
  let truncated = false;
  const collect = (s: PassThrough) => {
    const chunks: Buffer[] = [];
    let size = 0;
    s.on('data', (c: Buffer) => {
      if (size >= max) {
        truncated = true;
        return;
      }
      chunks.push(c.subarray(0, max - size));
      size += Math.min(c.length, max - size);
      if (c.length > max - size && size >= max) truncated = true;
    });
    return () => Buffer.concat(chunks).toString('utf8');
  };
  const stdout = collect(out);
  const stderr = collect(err);
  if (options.stdin !== undefined) stream.end(options.stdin);

  let timer: NodeJS.Timeout | undefined;
  const finished = new Promise<void>((resolve) => stream.on('end', resolve).on('close', resolve));
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  const outcome = await Promise.race([finished, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    await killExec(exec);
    stream.destroy();
    throw new LabError(ExecTimedOut, { node: options.node, timeoutMs: options.timeoutMs });
  }
  const info = await exec.inspect();
  return {
    exitCode: info.ExitCode ?? -1,
    stdout: stdout(),
    stderr: stderr(),
    truncated,
    durationMs: Date.now() - started,
  };
}

/**
 * Docker 20.10 leaves an exec's process running when its connection closes; kill it by its host pid
 * (the lab runs on the engine's host).
 */
export async function killExec(exec: Docker.Exec): Promise<void> {
  // Gone already: nothing to kill.
  const info = await exec.inspect().catch(() => undefined);
  const pid = (info as { Pid?: number } | undefined)?.Pid;
  if (!info?.Running || !pid) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Whether an engine error says the container is not running: Docker 20.10 answers an exec on a
 * stopped container with 409 "Container … is not running" at create, and 500 "container not running"
 * when it stopped between create and start.
 */
export function isNotRunningError(err: unknown): boolean {
  const e = err as { statusCode?: number; message?: string } | undefined;
  if (!e || typeof e.message !== 'string') return false;
  return (
    (e.statusCode === 409 || e.statusCode === 500) &&
    /(is not running|container not running)/i.test(e.message)
  );
}
