import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { describe, expect, inject, it } from 'vitest';
import { TerminalClient } from '../../testing/terminal-client.ts';
import { LabClient, startTestLab } from '../../testing/test-lab.ts';
import { loadConfig } from '../config.ts';
import { waitFor } from '../util/wait-for.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * What an operator's `systemctl restart docker` does to the lab's engine: stop dockerd (it stops every
 * container), then start it again with the same command line.
 */
async function restartEngineAsAnOperatorWould(): Promise<void> {
  const engineDir = join(loadConfig().stateDir, 'engine');
  const pid = Number(readFileSync(join(engineDir, 'dockerd.pid'), 'utf8').trim());
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  process.kill(pid, 'SIGTERM');
  await waitFor(() => !alive(pid), { timeoutMs: 60_000, what: 'dockerd to stop', intervalMs: 100 });
  const log = openSync(join(engineDir, 'dockerd.log'), 'a');
  const child = spawn(argv[0] as string, argv.slice(1), { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const docker = new Docker({ socketPath: inject('lab').socketPath });
  await waitFor(() => docker.ping().then(() => true), { timeoutMs: 60_000, what: 'dockerd to answer again' });
}

describe('engine recovery', () => {
  it('a Docker engine restarted mid-session: the learner is told, nodes and their work come back', async () => {
    const lab = await startTestLab();
    try {
      const client = new LabClient(lab.url);
      const created = await client.request('POST', '/api/sessions', { template: 'single' });
      expect(created.status).toBe(201);
      const id = created.json.id as string;
      await client.sh(
        id,
        'node1',
        'echo kept > /root/note && docker run -d --restart always --name web nginx >/dev/null && echo OK',
        120_000,
      );
      const term = new TerminalClient(client.websocket(`/api/sessions/${id}/nodes/node1/terminal?tab=a`));
      await term.opened();

      await restartEngineAsAnOperatorWould();

      // Told, and given a clear answer while it recovers (never a hang): events stay readable, actions
      // answer 503 with what to do, until the nodes are back.
      const during = await client.request('POST', `/api/sessions/${id}/nodes/node1/exec`, {
        command: 'true',
      });
      if (during.status !== 200) {
        expect(during.status).toBe(503);
        expect(during.json.message).toMatch(/Docker engine is unavailable for a moment/);
      }
      await waitFor(
        async () =>
          ((await client.request('GET', `/api/sessions/${id}/events`)).json ?? []).some(
            (e: { type: string }) => e.type === 'engine-restarted',
          ),
        { timeoutMs: 90_000, what: 'the engine-restarted event' },
      );
      const events = ((await client.request('GET', `/api/sessions/${id}/events`)).json ?? []) as {
        type: string;
        data: { restarted?: string[]; message?: string };
      }[];
      expect(events.map((e) => e.type)).toContain('engine-down');
      const back = events.find((e) => e.type === 'engine-restarted');
      expect(back?.data.restarted).toEqual(['node1']);
      expect(back?.data.message).toMatch(/your nodes run again/);
      expect((await fetch(`${lab.url}api/health`)).status).toBe(200);

      // The node, its files and its containers (restart policy) are back; a new terminal works.
      const view = await client.request('GET', `/api/sessions/${id}`);
      expect(view.json.nodes[0].state).toBe('running');
      expect((await client.sh(id, 'node1', 'cat /root/note')).stdout).toBe('kept\n');
      await waitFor(
        async () =>
          (await client.sh(id, 'node1', "docker inspect -f '{{.State.Running}}' web")).stdout.trim() ===
          'true',
        { timeoutMs: 30_000, what: 'nginx inside the node to run again' },
      );
      // The old shell ended with its node: its terminal says so (the page then asks for a new one).
      expect(term.statuses.some((st) => st.type === 'exited')).toBe(true);
      await term.close();
      const again = new TerminalClient(client.websocket(`/api/sessions/${id}/nodes/node1/terminal?tab=b`));
      await again.opened();
      again.type('echo "after $((40 + 2))"\r');
      await again.waitForOutput(/after 42/, 15_000);
      await again.close();

      // The lab follows the new engine's events: a node killed now is reported.
      // (Whether the old engine's stream reported its own shutdown is its business: count from here.)
      const seen = ((await client.request('GET', `/api/sessions/${id}/events`)).json ?? []) as {
        id: number;
      }[];
      const last = Math.max(0, ...seen.map((e) => e.id));
      expect((await client.request('POST', `/api/sessions/${id}/nodes/node1/kill`)).status).toBe(200);
      await waitFor(
        async () =>
          ((await client.request('GET', `/api/sessions/${id}/events?after=${last}`)).json ?? []).some(
            (e: { type: string; data: { node?: string } }) =>
              e.type === 'node-down' && e.data.node === 'node1',
          ),
        { timeoutMs: 15_000, what: 'a node-down event from the restarted engine' },
      );
      expect((await client.request('DELETE', `/api/sessions/${id}`)).status).toBe(204);
    } finally {
      await lab.stop();
    }
  });
});
