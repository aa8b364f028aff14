import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { LabEvent, LabRecord, LabStore, SessionRecord } from './lab-store.ts';

/** A store under test, and a way to open the same storage again after it is disposed. */
export interface OpenedStore {
  store: LabStore;
  reopen: () => Promise<LabStore>;
}

/**
 * What every LabStore must do. `open` returns a store (fresh or shared with earlier tests: every test
 * uses ids of its own, so a database kept between runs, such as DOCKSIDE_TEST_POSTGRES_URL, works too).
 */
export function describeLabStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  // Ids unique to this run, so that rows left by earlier runs or tests never match.
  const run = randomUUID().slice(0, 8);
  const id = (label: string) => `${label}-${run}`;

  const session = (sessionId: string, extra: Partial<SessionRecord> = {}): SessionRecord => ({
    id: sessionId,
    ownerHash: `owner-${sessionId}`,
    previewToken: `token-${sessionId}`,
    template: 'trio',
    state: 'ready',
    networkId: `net-${sessionId}`,
    nodes: [
      { name: 'node1', containerId: 'c1', role: 'manager' },
      { name: 'node2', containerId: 'c2', role: 'worker' },
    ],
    createdAt: 1_700_000_000_000,
    lastActiveAt: 1_700_000_100_000,
    expiresAt: 1_700_014_400_000,
    clientAddress: '192.0.2.7',
    labId: `lab-${run}`,
    ...extra,
  });

  const append = (store: LabStore, sessionId: string, i: number, type = 't') =>
    store.appendEvent({ sessionId, at: 1_700_000_000_000 + i, type, data: { i } });

  describe(`${name} store`, () => {
    it('keeps every field of a session', async () => {
      const { store } = await open();
      const record = session(id('a1'));
      await store.saveSession(record);
      expect(await store.getSession(record.id)).toEqual(record);
      expect(await store.getSession(id('missing'))).toBeUndefined();
      expect(await store.getSessionByPreviewToken(record.previewToken)).toEqual(record);
      expect(await store.getSessionByPreviewToken(id('no-token'))).toBeUndefined();
      await store.dispose();
    });

    it('replaces a session saved again with the same id', async () => {
      const { store } = await open();
      const first = session(id('a2'));
      await store.saveSession(first);
      const second: SessionRecord = {
        id: first.id,
        ownerHash: `other-owner-${run}`,
        previewToken: `other-token-${run}`,
        template: 'solo',
        state: 'deleting',
        networkId: 'net-other',
        nodes: [{ name: 'node3', containerId: 'c3', role: 'none' }],
        createdAt: 1_800_000_000_000,
        lastActiveAt: 1_800_000_000_001,
        expiresAt: 1_800_000_000_002,
        clientAddress: '2001:db8::1',
        labId: `other-lab-${run}`,
      };
      await store.saveSession(second);
      expect(await store.getSession(first.id)).toEqual(second);
      expect((await store.listSessions()).filter((s) => s.id === first.id)).toEqual([second]);
      await expect(
        store.saveSession(session(id('a3'), { previewToken: second.previewToken })),
      ).rejects.toThrow();
      expect(await store.getSession(first.id)).toEqual(second);
      expect(await store.getSession(id('a3'))).toBeUndefined();
      await store.saveSession({ ...second, nodes: [] });
      expect((await store.getSession(first.id))?.nodes).toEqual([]);
      await store.dispose();
    });

    it('lists sessions and deletes one with its events', async () => {
      const { store } = await open();
      const [b1, b2] = [session(id('b1')), session(id('b2'))];
      await store.saveSession(b1);
      await store.saveSession(b2);
      await append(store, b1.id, 1);
      await append(store, b2.id, 2);
      const listed = await store.listSessions();
      expect(listed.filter((s) => s.id === b1.id || s.id === b2.id)).toEqual([b1, b2]);
      await store.deleteSession(b1.id);
      await expect(store.deleteSession(id('never-was'))).resolves.toBeUndefined();
      expect(await store.getSession(b1.id)).toBeUndefined();
      expect((await store.listSessions()).map((s) => s.id)).not.toContain(b1.id);
      expect(await store.listEvents(b1.id)).toEqual([]);
      expect(await store.getSession(b2.id)).toEqual(b2);
      expect(await store.listEvents(b2.id)).toHaveLength(1);
      await store.dispose();
    });

    it('returns each event with an id greater than the last, and keeps what was sent', async () => {
      const { store } = await open();
      const sessionId = id('c1');
      const data = { node: 'node1', nested: { ports: [80, 443], ok: true, none: null }, text: 'naïve ✓' };
      const first = await store.appendEvent({ sessionId, at: 1_700_000_000_123, type: 'node-up', data });
      expect(first).toMatchObject({ sessionId, at: 1_700_000_000_123, type: 'node-up', data });
      const ids = [first.id];
      for (let i = 1; i < 5; i++) ids.push((await append(store, sessionId, i)).id);
      expect(new Set(ids).size).toBe(5);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(await store.listEvents(sessionId)).toEqual([
        first,
        ...[1, 2, 3, 4].map((i, k) => ({
          id: ids[k + 1],
          sessionId,
          at: 1_700_000_000_000 + i,
          type: 't',
          data: { i },
        })),
      ]);
      await store.dispose();
    });

    it('pages events with afterId and limit, 100 by default', async () => {
      const { store } = await open();
      const sessionId = id('c2');
      const events: LabEvent[] = [];
      for (let i = 0; i < 105; i++) events.push(await append(store, sessionId, i));
      const page = await store.listEvents(sessionId, { afterId: events[1]?.id, limit: 2 });
      expect(page.map((e) => e.data.i)).toEqual([2, 3]);
      expect(await store.listEvents(sessionId, { afterId: events[104]?.id })).toEqual([]);
      const byDefault = await store.listEvents(sessionId);
      expect(byDefault).toHaveLength(100);
      expect(byDefault.map((e) => e.data.i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(await store.listEvents(sessionId, { limit: 500 })).toHaveLength(105);
      await store.dispose();
    });

    it("never lists one session's events for another", async () => {
      const { store } = await open();
      const [mine, theirs] = [id('c3'), id('c4')];
      for (let i = 0; i < 6; i++) await append(store, i % 2 ? mine : theirs, i);
      expect((await store.listEvents(mine)).map((e) => [e.sessionId, e.data.i])).toEqual([
        [mine, 1],
        [mine, 3],
        [mine, 5],
      ]);
      expect((await store.listEvents(theirs)).map((e) => e.data.i)).toEqual([0, 2, 4]);
      expect(await store.listEvents(id('nobody'))).toEqual([]);
      await store.dispose();
    });

    it('never hands out an id again after its session is deleted', async () => {
      const { store } = await open();
      const sessionId = id('c5');
      await store.saveSession(session(sessionId));
      const before = await append(store, sessionId, 1);
      await store.deleteSession(sessionId);
      const after = await append(store, sessionId, 2);
      expect(after.id).toBeGreaterThan(before.id);
      await store.dispose();
    });

    it('stores 200 concurrent events with distinct ids', async () => {
      const { store } = await open();
      const sessionId = id('d1');
      const events = await Promise.all(Array.from({ length: 200 }, (_, i) => append(store, sessionId, i)));
      expect(new Set(events.map((e) => e.id)).size).toBe(200);
      const listed = await store.listEvents(sessionId, { limit: 500 });
      expect(listed.map((e) => e.id)).toEqual(events.map((e) => e.id).sort((a, b) => a - b));
      expect(new Set(listed.map((e) => e.data.i)).size).toBe(200);
      await store.dispose();
    });

    it('lets a reader paging by afterId see every event while others are appended', async () => {
      const { store } = await open();
      const sessionId = id('d2');
      let written = false;
      const writers = Promise.all(Array.from({ length: 150 }, (_, i) => append(store, sessionId, i))).then(
        () => {
          written = true;
        },
      );
      const seen: LabEvent[] = [];
      let afterId = 0;
      for (;;) {
        const last = written;
        const page = await store.listEvents(sessionId, { afterId, limit: 7 });
        seen.push(...page);
        afterId = page.at(-1)?.id ?? afterId;
        if (last && page.length === 0) break;
      }
      await writers;
      expect(seen.map((e) => e.data.i).sort((a, b) => Number(a) - Number(b))).toEqual(
        Array.from({ length: 150 }, (_, i) => i),
      );
      await store.dispose();
    });

    it('counts check attempts per learner and exercise and keeps the first pass', async () => {
      const { store } = await open();
      const base = { ownerHash: id('learner-1'), lesson: 'images/dockerfile', exercise: 'build' };
      expect(await store.recordCheck({ ...base, passed: false, at: 10 })).toEqual({
        ...base,
        attempts: 1,
        passed: false,
        at: 10,
        passedAt: null,
      });
      expect(await store.recordCheck({ ...base, passed: true, at: 20 })).toMatchObject({
        attempts: 2,
        passed: true,
        passedAt: 20,
      });
      expect(await store.recordCheck({ ...base, passed: false, at: 30 })).toMatchObject({
        attempts: 3,
        passed: false,
        passedAt: 20,
        at: 30,
      });
      await store.recordCheck({ ...base, exercise: 'tag', passed: true, at: 35 });
      await store.recordCheck({ ...base, ownerHash: id('learner-2'), passed: false, at: 40 });
      const progress = await store.listProgress(base.ownerHash);
      expect(progress.map((p) => [p.exercise, p.attempts, p.passedAt])).toEqual([
        ['build', 3, 20],
        ['tag', 1, 35],
      ]);
      expect(await store.listProgress(id('nobody'))).toEqual([]);
      await store.dispose();
    });

    it('keeps its data across a dispose and a reopen', async () => {
      const { store, reopen } = await open();
      const record = session(id('e1'));
      await store.saveSession(record);
      const event = await store.appendEvent({
        sessionId: record.id,
        at: 5,
        type: 'session-ready',
        data: { seconds: 1.5 },
      });
      await store.recordCheck({
        ownerHash: record.ownerHash,
        lesson: 'l',
        exercise: 'e',
        passed: true,
        at: 7,
      });
      await store.dispose();
      const again = await reopen();
      expect(await again.getSession(record.id)).toEqual(record);
      expect(await again.listEvents(record.id)).toEqual([event]);
      expect(await again.listProgress(record.ownerHash)).toMatchObject([{ attempts: 1, passedAt: 7 }]);
      const next = await again.appendEvent({ sessionId: record.id, at: 6, type: 't', data: {} });
      expect(next.id).toBeGreaterThan(event.id);
      await again.dispose();
    });

    it('lists the sessions of one lab, and gives those stored before lab ids to the first to ask', async () => {
      const { store } = await open();
      const [mine, theirs, old] = [id('l1'), id('l2'), id('l3')];
      await store.saveSession(session(mine, { labId: id('lab-x') }));
      await store.saveSession(session(theirs, { labId: id('lab-y') }));
      await store.saveSession(session(old, { labId: '' }));
      expect((await store.listSessions({ labId: id('lab-x') })).map((s) => s.id)).toEqual([mine]);
      expect((await store.listSessions({ ownerHash: `owner-${theirs}` })).map((s) => s.id)).toEqual([theirs]);
      expect(await store.listSessions({ labId: id('lab-x'), ownerHash: `owner-${theirs}` })).toEqual([]);
      expect(await store.adoptUnownedSessions(id('lab-x'))).toBeGreaterThanOrEqual(1);
      expect((await store.listSessions({ labId: id('lab-x') })).map((s) => s.id).sort()).toEqual(
        [mine, old].sort(),
      );
      expect(await store.adoptUnownedSessions(id('lab-y'))).toBe(0);
      expect((await store.getSession(theirs))?.labId).toBe(id('lab-y'));
      await store.dispose();
    });

    it('grants a lab id to one holder at a time, until its lease runs out or it lets go', async () => {
      const { store } = await open();
      const lab = (holder: string, at: number, extra: Partial<LabRecord> = {}): LabRecord => ({
        id: id('lab'),
        holder,
        address: `http://${holder}.example:4000`,
        publicUrl: 'https://lab.example',
        startedAt: at,
        heartbeatAt: at,
        leaseUntil: at + 30_000,
        ...extra,
      });
      expect(await store.claimLab(lab('first', 1_000))).toEqual({ claimed: true });
      // Renewed by its holder: the start time stays.
      expect(await store.claimLab(lab('first', 11_000))).toEqual({ claimed: true });
      // Refused to another while the lease runs, naming who holds it.
      const refused = await store.claimLab(lab('second', 20_000));
      expect(refused).toEqual({ claimed: false, holder: lab('first', 11_000, { startedAt: 1_000 }) });
      // Once it has run out, the other takes it.
      expect(await store.claimLab(lab('second', 41_001))).toEqual({ claimed: true });
      expect(await store.claimLab(lab('first', 42_000))).toMatchObject({ claimed: false });
      // A clean stop ends the lease at once, and only its holder's.
      await store.releaseLab(id('lab'), 'first');
      expect(await store.claimLab(lab('third', 43_000))).toMatchObject({ claimed: false });
      await store.releaseLab(id('lab'), 'second');
      const listed = (await store.listLabs()).find((l) => l.id === id('lab'));
      expect(listed).toMatchObject({ holder: 'second', leaseUntil: 0, startedAt: 41_001 });
      expect(await store.claimLab(lab('third', 44_000))).toEqual({ claimed: true });
      await store.dispose();
    });

    it('lets one of several holders claiming the same id at once win', async () => {
      const { store } = await open();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.claimLab({
            id: id('race'),
            holder: `h${i}`,
            address: '',
            publicUrl: '',
            startedAt: 1,
            heartbeatAt: 1,
            leaseUntil: 30_001,
          }),
        ),
      );
      expect(results.filter((r) => r.claimed)).toHaveLength(1);
      await store.dispose();
    });
  });
}
