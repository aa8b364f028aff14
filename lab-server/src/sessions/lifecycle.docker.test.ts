import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labDocker } from '../../testing/lab-docker.ts';
import { LabClient, startTestLab } from '../../testing/test-lab.ts';
import { loadConfig } from '../config.ts';
import { LABEL_LAB, LABEL_ROLE, LABEL_SESSION } from '../protocol/labels.ts';
import { waitFor } from '../util/wait-for.ts';

const sessionObjects = async (id: string) => {
  const docker = labDocker();
  const filters = { label: [`${LABEL_SESSION}=${id}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return containers.length + networks.length + (volumes.Volumes?.length ?? 0);
};

describe('session lifecycle', () => {
  it('survives a lab-server restart: the learner finds the same sandbox; orphans are removed', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'dockside-db-')), 'lab.sqlite');
    const first = await startTestLab({}, db);
    const client = new LabClient(first.url);
    const created = await client.request('POST', '/api/sessions', { template: 'single' });
    expect(created.status).toBe(201);
    await client.sh(created.json.id, 'node1', 'echo kept > /root/note');

    // A labelled container no store knows about, as a crashed lab would leave behind.
    const docker = labDocker();
    const orphanId = 'ffffffffffffffff';
    const orphan = await docker.createContainer({
      Image: 'dockside/base',
      Cmd: ['sleep', '600'],
      Labels: { [LABEL_LAB]: 'dockside', [LABEL_SESSION]: orphanId, [LABEL_ROLE]: 'node' },
    });
    await orphan.start();
    await first.stop();

    const second = await startTestLab({}, db);
    try {
      const again = new LabClient(second.url);
      again.cookie = client.cookie;
      const found = await again.request('GET', `/api/sessions/${created.json.id}`);
      expect(found.status).toBe(200);
      expect(found.json.nodes[0].state).toBe('running');
      expect((await again.sh(created.json.id, 'node1', 'cat /root/note')).stdout).toBe('kept\n');
      expect(await sessionObjects(orphanId)).toBe(0);
      await again.request('DELETE', `/api/sessions/${created.json.id}`);
      expect(await sessionObjects(created.json.id)).toBe(0);
    } finally {
      await second.stop();
    }
  });

  it('warns before the idle deadline, then ends the session and removes everything it had', async () => {
    const base = loadConfig();
    const lab = await startTestLab({
      times: {
        ...base.times,
        // The warning comes 3 s after the sandbox is ready, and the extend has 9 s more to land.
        idleTimeoutMs: 12_000,
        maxAgeMs: 120_000,
        warnBeforeMs: 9_000,
        sweepIntervalMs: 250,
      },
    });
    try {
      const client = new LabClient(lab.url);
      const created = await client.request('POST', '/api/sessions', { template: 'single' });
      expect(created.status).toBe(201);
      expect(base.times.idleTimeoutMs).toBe(3_600_000);
      const id = created.json.id;
      const events = async () =>
        ((await client.request('GET', `/api/sessions/${id}/events`)).json ?? []).map(
          (e: { type: string }) => e.type,
        );
      await waitFor(async () => (await events()).includes('expiry-warning'), {
        timeoutMs: 20_000,
        what: 'the expiry warning',
      });
      // Extending pushes the deadline back; the session does not end while the learner is active.
      expect((await client.request('POST', `/api/sessions/${id}/extend`)).status).toBe(200);
      await waitFor(async () => (await client.request('GET', `/api/sessions/${id}`)).status === 404, {
        timeoutMs: 40_000,
        what: 'the session to expire',
      });
      // Gone for the learner at once; its containers, network and disks are removed right after.
      await waitFor(async () => (await sessionObjects(id)) === 0, {
        timeoutMs: 20_000,
        what: 'the expired sandbox to be removed',
      });
    } finally {
      await lab.stop();
    }
  });
});
