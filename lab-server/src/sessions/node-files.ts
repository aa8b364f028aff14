import { existsSync } from 'node:fs';
import type Docker from 'dockerode';
import { runCommand } from '../util/run-command.ts';

/** A node's run, as the engine reports it. */
export interface NodeRun {
  running: boolean;
  /** When this run began (the engine's `State.StartedAt`): a new value means the node was restarted. */
  startedAt: string;
}

/** One of the biggest files a node wrote, as the learner sees its path inside the node. */
export interface BigFile {
  path: string;
  bytes: number;
}

/**
 * What a node wrote to its own file system (its container's writable layer: apt installs, files in
 * /root, /tmp), read on the host side, where the learner cannot interfere. The disk watchdog uses it.
 */
export interface NodeFiles {
  run(containerId: string): Promise<NodeRun | undefined>;
  /** Bytes in the node's writable layer, running or stopped; undefined when it has gone. */
  usedBytes(containerId: string): Promise<number | undefined>;
  /** The biggest files in it, biggest first. */
  largest(containerId: string, count: number): Promise<BigFile[]>;
}

/** NodeFiles read from the lab's engine and the host's view of each node's upper dir. */
export function engineNodeFiles(docker: Docker): NodeFiles {
  const inspect = (id: string) =>
    docker
      .getContainer(id)
      .inspect()
      // Removed meanwhile: not measured this round.
      .catch(() => undefined);
  const upperDir = async (id: string) =>
    ((await inspect(id))?.GraphDriver?.Data as { UpperDir?: string } | undefined)?.UpperDir;
  return {
    async run(id) {
      const info = await inspect(id);
      return info ? { running: info.State.Running, startedAt: info.State.StartedAt } : undefined;
    },
    async usedBytes(id) {
      const upper = await upperDir(id);
      if (!upper) return undefined; // Gone, or a storage driver without an upper dir.
      // -x: mounts inside the layer (none on the host side) are not counted; nice: never starve learners.
      const r = await runCommand('nice', ['-n', '10', 'du', '-s', '-x', '-B1', upper]);
      const bytes = /^\d+\s/.test(r.stdout) ? Number(r.stdout.split(/\s/)[0]) : Number.NaN;
      if (Number.isFinite(bytes)) return bytes;
      if (!existsSync(upper)) return undefined; // Removed while it was measured.
      throw new Error(`du could not measure ${upper}: ${r.stderr.trim()}`);
    },
    async largest(id, count) {
      const upper = await upperDir(id);
      if (!upper) return [];
      // Allocated size (%b blocks of 512 bytes), as du counts: a sparse file takes what it really holds.
      const r = await runCommand('nice', [
        '-n',
        '10',
        'find',
        upper,
        '-xdev',
        '-type',
        'f',
        '-size',
        '+1M',
        '-printf',
        '%b\t%P\n',
      ]);
      return r.stdout
        .split('\n')
        .map((line) => {
          const tab = line.indexOf('\t');
          return { path: `/${line.slice(tab + 1)}`, bytes: Number(line.slice(0, tab)) * 512 };
        })
        .filter((f) => f.path.length > 1 && Number.isFinite(f.bytes))
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, count);
    },
  };
}
