import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabClient, startTestLab } from '../../testing/test-lab.ts';
import type { Lab } from '../lab.ts';
import { waitFor } from '../util/wait-for.ts';

let lab: Lab;

beforeAll(async () => {
  const base = (await import('../config.ts')).loadConfig();
  lab = await startTestLab({
    limits: {
      ...base.limits,
      maxSessions: 2,
      maxSessionsPerOwner: 1,
      createsPerAddressPerMinute: 3,
      maxNodesPerSession: 2,
    },
  });
});
afterAll(() => lab.stop());

describe('limits answer at once, with a message', () => {
  it('one learner, too many sandboxes; a full lab; a full node list; too many creations per minute', async () => {
    const alice = new LabClient(lab.url);
    const first = await alice.request('POST', '/api/sessions', { template: 'single' });
    expect(first.status, first.text).toBe(201);
    const second = await alice.request('POST', '/api/sessions', { template: 'single' });
    expect(second.status).toBe(429);
    expect(second.json.error).toBe('TooManySessions');
    expect(second.json.hint).toMatch(/Close one/);

    const bob = new LabClient(lab.url);
    expect((await bob.request('POST', '/api/sessions', { template: 'single' })).status).toBe(201);
    const carol = new LabClient(lab.url);
    const full = await carol.request('POST', '/api/sessions', { template: 'single' });
    expect(full.status).toBe(503);
    expect(full.json.error).toBe('CapacityReached');

    expect((await alice.request('POST', `/api/sessions/${first.json.id}/nodes`)).status).toBe(201);
    const tooMany = await alice.request('POST', `/api/sessions/${first.json.id}/nodes`);
    expect(tooMany.status).toBe(409);
    expect(tooMany.json.error).toBe('NodeLimitReached');

    await alice.request('DELETE', `/api/sessions/${first.json.id}`);
    const bobs = await bob.request('GET', '/api/sessions');
    for (const session of bobs.json) await bob.request('DELETE', `/api/sessions/${session.id}`);
  });

  it('too many creations per minute from one address, whatever the sandboxes take to start', async () => {
    const base = (await import('../config.ts')).loadConfig();
    const limited = await startTestLab({ limits: { ...base.limits, createsPerAddressPerMinute: 2 } });
    const learners = [0, 1, 2].map(() => new LabClient(limited.url));
    try {
      // Asked back to back, answered before any sandbox is built: the minute cannot run out meanwhile.
      const [dave, erin, fred] = learners as [LabClient, LabClient, LabClient];
      const ask = (who: LabClient) =>
        who.request('POST', '/api/sessions', { template: 'single', wait: false });
      expect((await ask(dave)).status).toBe(201);
      expect((await ask(erin)).status).toBe(201);
      const refused = await ask(fred);
      expect(refused.status).toBe(429);
      expect(refused.json.error).toBe('RateLimited');
      expect(refused.json.hint).toMatch(/Wait \d+ s/);
    } finally {
      for (const who of learners) {
        for (const s of (await who.request('GET', '/api/sessions')).json ?? []) {
          // Deleted once built, so nothing of it is left half made.
          await waitFor(
            async () => (await who.request('GET', `/api/sessions/${s.id}`)).json?.state === 'ready',
            { timeoutMs: 60_000, what: 'the sandbox to be ready' },
          );
          expect((await who.request('DELETE', `/api/sessions/${s.id}`)).status).toBe(204);
        }
      }
      await limited.stop();
    }
  });

  it('a lab-wide node cap: out of capacity, said with what to do', async () => {
    const base = (await import('../config.ts')).loadConfig();
    const small = await startTestLab({ limits: { ...base.limits, maxLabNodes: 3 } });
    try {
      const frank = new LabClient(small.url);
      const trio = await frank.request('POST', '/api/sessions', { template: 'trio' });
      expect(trio.status, trio.text).toBe(201);
      const grace = new LabClient(small.url);
      const refused = await grace.request('POST', '/api/sessions', { template: 'single' });
      expect(refused.status).toBe(503);
      expect(refused.json.error).toBe('CapacityReached');
      expect(refused.json.message).toMatch(
        /out of capacity: it runs 3 nodes and this needs 1 more; its maximum is 3/,
      );
      expect(refused.json.hint).toMatch(/DOCKSIDE_MAX_LAB_NODES/);
      expect((await frank.request('POST', `/api/sessions/${trio.json.id}/nodes`)).status).toBe(503);
      await frank.request('DELETE', `/api/sessions/${trio.json.id}`);
      const later = await grace.request('POST', '/api/sessions', { template: 'single' });
      expect(later.status).toBe(201);
      await grace.request('DELETE', `/api/sessions/${later.json.id}`);
    } finally {
      await small.stop();
    }
  });
});
