import { describe, expect, it } from 'vitest';
import type { LabStore, SessionRecord } from './lab-store.ts';

const session = (id: string, extra: Partial<SessionRecord> = {}): SessionRecord => ({
  id,
  ownerHash: `owner-${id}`,
  previewToken: `token${id}`,
  template: 'trio',
  state: 'ready',
  networkId: `net-${id}`,
  nodes: [
    { name: 'node1', containerId: 'c1', role: 'manager' },
    { name: 'node2', containerId: 'c2', role: 'worker' },
  ],
  createdAt: 1_700_000_000_000,
  lastActiveAt: 1_700_000_100_000,
  expiresAt: 1_700_014_400_000,
  clientAddress: '192.0.2.7',
  ...extra,
});

/**
 * What every LabStore must do. `open` returns a store; `reopen`, when given, opens the same storage
 * again after dispose (persistence).
 */
export function describeLabStoreContract(
  name: string,
  open: () => Promise<{ store: LabStore; reopen?: () => Promise<LabStore> }>,
): void {
  describe(`${name} store`, () => {
    it('keeps every field of a session, and replaces it on save', async () => {
      const { store } = await open();
      await store.saveSession(session('a1'));
      expect(await store.getSession('a1')).toEqual(session('a1'));
      await store.saveSession(session('a1', { state: 'deleting', nodes: [] }));
      expect((await store.getSession('a1'))?.state).toBe('deleting');
      expect((await store.getSession('a1'))?.nodes).toEqual([]);
      expect(await store.getSession('missing')).toBeUndefined();
      await store.dispose();
    });

    it('lists sessions and deletes one with its events', async () => {
      const { store } = await open();
      await store.saveSession(session('b1'));
      await store.saveSession(session('b2'));
      await store.appendEvent({ sessionId: 'b1', at: 1, type: 'node-up', data: { node: 'node1' } });
      await store.appendEvent({ sessionId: 'b2', at: 2, type: 'node-up', data: { node: 'node1' } });
      expect((await store.listSessions()).map((s) => s.id)).toEqual(expect.arrayContaining(['b1', 'b2']));
      await store.deleteSession('b1');
      await store.deleteSession('never-was');
      expect(await store.getSession('b1')).toBeUndefined();
      expect(await store.listEvents('b1')).toEqual([]);
      expect(await store.listEvents('b2')).toHaveLength(1);
      await store.dispose();
    });

    it('numbers events in order and pages them', async () => {
      const { store } = await open();
      const ids: number[] = [];
      for (let i = 0; i < 5; i++)
        ids.push((await store.appendEvent({ sessionId: 'c1', at: i, type: 't', data: { i } })).id);
      await store.appendEvent({ sessionId: 'other', at: 9, type: 't', data: {} });
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      const page = await store.listEvents('c1', { afterId: ids[1], limit: 2 });
      expect(page.map((e) => e.data.i)).toEqual([2, 3]);
      expect((await store.listEvents('c1')).every((e) => e.sessionId === 'c1')).toBe(true);
      await store.dispose();
    });

    it('stores 200 concurrent events with distinct ids', async () => {
      const { store } = await open();
      const events = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          store.appendEvent({ sessionId: 'd1', at: i, type: 't', data: {} }),
        ),
      );
      expect(new Set(events.map((e) => e.id)).size).toBe(200);
      expect(await store.listEvents('d1', { limit: 500 })).toHaveLength(200);
      await store.dispose();
    });

    it('counts check attempts per learner and exercise and keeps the first pass', async () => {
      const { store } = await open();
      const base = { ownerHash: 'learner-1', lesson: 'images/dockerfile', exercise: 'build' };
      expect(await store.recordCheck({ ...base, passed: false, at: 10 })).toMatchObject({
        attempts: 1,
        passed: false,
        passedAt: null,
      });
      expect(await store.recordCheck({ ...base, passed: true, at: 20 })).toMatchObject({
        attempts: 2,
        passed: true,
        passedAt: 20,
      });
      expect(await store.recordCheck({ ...base, passed: true, at: 30 })).toMatchObject({
        attempts: 3,
        passedAt: 20,
        at: 30,
      });
      await store.recordCheck({ ...base, ownerHash: 'learner-2', passed: false, at: 40 });
      const progress = await store.listProgress('learner-1');
      expect(progress).toHaveLength(1);
      expect(progress[0]).toMatchObject({ lesson: 'images/dockerfile', exercise: 'build', attempts: 3 });
      await store.dispose();
    });

    it('keeps its data across a dispose and a reopen', async () => {
      const { store, reopen } = await open();
      if (!reopen) return;
      await store.saveSession(session('e1'));
      await store.appendEvent({ sessionId: 'e1', at: 5, type: 'session-ready', data: { seconds: 1.5 } });
      await store.dispose();
      const again = await reopen();
      expect(await again.getSession('e1')).toEqual(session('e1'));
      expect((await again.listEvents('e1'))[0]?.data).toEqual({ seconds: 1.5 });
      await again.dispose();
    });
  });
}
