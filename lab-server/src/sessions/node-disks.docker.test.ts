import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabClient, startTestLab } from '../../testing/test-lab.ts';
import { loadConfig } from '../config.ts';
import { mountPoints } from '../util/mounts.ts';
import { waitFor } from '../util/wait-for.ts';

const MiB = 2 ** 20;

describe('node disks', () => {
  it('caps Docker storage in a node, stops a node whose own files grow past theirs, and cleans up', async () => {
    const base = loadConfig();
    const lab = await startTestLab({
      limits: { ...base.limits, nodeDiskBytes: 256 * MiB, nodeFilesBytes: 256 * MiB },
      times: { ...base.times, diskWatchIntervalMs: 500 },
    });
    try {
      const client = new LabClient(lab.url);
      const created = await client.request('POST', '/api/sessions', { template: 'single' });
      expect(created.status).toBe(201);
      const id = created.json.id as string;
      const view = await client.request('GET', `/api/sessions/${id}`);
      expect(view.json.nodes[0].disk.capBytes).toBeGreaterThan(200 * MiB);
      expect(view.json.nodes[0].disk.capBytes).toBeLessThanOrEqual(256 * MiB);

      // Docker storage: a write past the cap fails with ENOSPC, and the node carries on.
      const fill = await client.sh(
        id,
        'node1',
        'dd if=/dev/zero of=/var/lib/docker/fill bs=1M count=400 2>&1; sync; df -k /var/lib/docker | tail -1',
        60_000,
      );
      expect(fill.stdout).toMatch(/No space left on device/);
      const after = await client.request('GET', `/api/sessions/${id}`);
      expect(after.json.nodes[0].disk.usedBytes).toBeGreaterThan(200 * MiB);
      await client.sh(id, 'node1', 'rm /var/lib/docker/fill');
      expect((await client.sh(id, 'node1', 'docker info -f {{.Driver}}')).stdout.trim()).toBe('overlay2');

      // The node's own files: the watchdog stops it past its cap and says why. The write may be cut off
      // by the stop: then the exec answers with the lab's NodeDown and the reason.
      const write = await client.request('POST', `/api/sessions/${id}/nodes/node1/exec`, {
        command: 'dd if=/dev/zero of=/root/big bs=1M count=300 2>&1; sync',
        timeoutMs: 60_000,
      });
      if (write.status !== 200) {
        expect(write.status).toBe(409);
        expect(write.json.message).toMatch(/^Node node1 is (stopping|exited): .*its own files/);
      }
      const full = await waitFor(
        async () =>
          (
            (await client.request('GET', `/api/sessions/${id}/events`)).json as {
              type: string;
              data: { message?: string };
            }[]
          ).find((e) => e.type === 'node-disk-full'),
        { timeoutMs: 20_000, what: 'the watchdog to stop the node and say why' },
      );
      expect(full.data.message).toMatch(/node1 was stopped: its own files .* Restart it and delete/);
      expect((await client.request('GET', `/api/sessions/${id}`)).json.nodes[0].state).toBe('exited');

      // Restarted, it is warned (not stopped) for what it already had; the learner deletes it.
      // (The grace window itself: disk-watchdog.docker.test.ts.)
      expect((await client.request('POST', `/api/sessions/${id}/nodes/node1/restart`)).status).toBe(200);
      await waitFor(
        async () =>
          ((await client.request('GET', `/api/sessions/${id}/events`)).json as { type: string }[]).some(
            (e) => e.type === 'node-disk-warning',
          ),
        { timeoutMs: 20_000, what: 'the grace warning' },
      );
      expect((await client.request('GET', `/api/sessions/${id}`)).json.nodes[0].state).toBe('running');
      expect((await client.sh(id, 'node1', 'rm /root/big && echo FREED')).stdout).toBe('FREED\n');

      const disk = join(base.stateDir, 'disks', id);
      expect(existsSync(disk)).toBe(true);
      expect((await client.request('DELETE', `/api/sessions/${id}`)).status).toBe(204);
      expect(existsSync(disk)).toBe(false);
      expect([...mountPoints()].some((m) => m.includes(id))).toBe(false);
    } finally {
      await lab.stop();
    }
  });
});
