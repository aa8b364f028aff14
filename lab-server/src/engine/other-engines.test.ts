import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../util/wait-for.ts';
import { otherLabEngines } from './dockerd-process.ts';

describe('engines of other labs on this host', () => {
  it('finds a dockerd under another lab’s exec root, not one under ours, nor a dockerd of no lab', async () => {
    // Stand-ins with dockerd's name and arguments (a process's name is its argv[0]).
    const stand = (args: string[]) =>
      spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', '--', ...args], {
        argv0: '/usr/sbin/dockerd',
      });
    const other = stand(['--host=unix:///tmp/other.sock', '--exec-root=/run/dockside-0th3r000']);
    const ours = stand(['--host=unix:///tmp/ours.sock', '--exec-root=/run/dockside-0ur50000']);
    const system = stand(['--host=unix:///var/run/docker.sock']);
    try {
      const found = await waitFor(
        () => otherLabEngines('/run/dockside-0ur50000').find((e) => e.pid === other.pid),
        { timeoutMs: 5000, what: 'the other lab’s stand-in' },
      );
      expect(found).toEqual({ pid: other.pid, socket: 'unix:///tmp/other.sock' });
      const pids = otherLabEngines('/run/dockside-0ur50000').map((e) => e.pid);
      expect(pids).not.toContain(ours.pid);
      expect(pids).not.toContain(system.pid);
    } finally {
      for (const child of [other, ours, system]) child.kill();
    }
  });
});
