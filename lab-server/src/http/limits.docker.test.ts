import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../lab.ts';
import { LabClient, startTestLab } from '../testing/test-lab.ts';

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

    // Creations this minute from 127.0.0.1: alice's and bob's (refused ones do not count). One more is allowed.
    await alice.request('DELETE', `/api/sessions/${first.json.id}`);
    const dave = new LabClient(lab.url);
    const third = await dave.request('POST', '/api/sessions', { template: 'single' });
    expect(third.status).toBe(201);
    await dave.request('DELETE', `/api/sessions/${third.json.id}`);
    const erin = new LabClient(lab.url);
    const limited = await erin.request('POST', '/api/sessions', { template: 'single' });
    expect(limited.status).toBe(429);
    expect(limited.json.error).toBe('RateLimited');
    expect(limited.json.hint).toMatch(/Wait \d+ s/);
    const bobs = await bob.request('GET', '/api/sessions');
    for (const session of bobs.json) await bob.request('DELETE', `/api/sessions/${session.id}`);
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
      expect((await grace.request('POST', '/api/sessions', { template: 'single' })).status).toBe(201);
    } finally {
      await small.stop();
    }
  });
});
