import { afterEach, describe, expect, it } from 'vitest';
import { MemoryProvisioner } from '../../testing/memory-provisioner.ts';
import { isLabError } from '../errors/lab-error.ts';
import type { SessionRecord } from '../storage/lab-store.ts';
import { SqliteStore } from '../storage/sqlite-store.ts';
import { SessionEvents } from './session-events.ts';
import { hashToken, type SessionLimits, SessionManager, type SessionTimes } from './session-manager.ts';

// The session state machine on an engine kept in memory (testing/memory-provisioner.ts) and a real
// SQLite store in memory; the real engine's side is tested by the *.docker.test.ts files.

const LIMITS: SessionLimits = {
  maxSessions: 5,
  maxSessionsPerOwner: 2,
  createsPerAddressPerMinute: 4,
  maxNodesPerSession: 4,
  maxLabNodes: 9,
};
const TIMES: SessionTimes = { idleTimeoutMs: 60_000, maxAgeMs: 600_000, warnBeforeMs: 10_000 };

const open: SessionManager[] = [];
afterEach(async () => {
  for (const m of open.splice(0)) await m.dispose();
});

async function lab(
  options: {
    limits?: Partial<SessionLimits>;
    store?: SqliteStore;
    provisioner?: MemoryProvisioner;
    labId?: string;
  } = {},
) {
  const clock = { now: 1_000_000 };
  const store = options.store ?? (await SqliteStore.open({ file: ':memory:' }));
  const events = new SessionEvents({ store, clock: () => clock.now });
  const provisioner = options.provisioner ?? new MemoryProvisioner();
  const sessions = new SessionManager({
    labId: options.labId ?? 'lab-a',
    provisioner,
    store,
    events,
    limits: { ...LIMITS, ...options.limits },
    times: TIMES,
    clock: () => clock.now,
  });
  open.push(sessions);
  const types = async (id: string) => (await events.history(id)).map((e) => e.type);
  const start = async (template: string, owner = 'alice', address = '10.0.0.1') => {
    const record = await sessions.create({ template, ownerToken: owner, clientAddress: address });
    return sessions.provision(record.id);
  };
  return { sessions, provisioner, store, events, clock, types, start };
}

/** The catalog name of what `work` throws. */
async function refusal(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
  } catch (err) {
    return isLabError(err) ? err.name : `not a catalog error: ${String(err)}`;
  }
  return 'no error';
}

describe('session manager (no engine)', () => {
  it('builds a trio: nodes running, ready, announced, stored', async () => {
    const { sessions, provisioner, store, types, start } = await lab();
    const record = await start('trio');
    expect(record.state).toBe('ready');
    expect(record.nodes.map((n) => [n.name, n.role])).toEqual([
      ['node1', 'none'],
      ['node2', 'none'],
      ['node3', 'none'],
    ]);
    expect([...provisioner.nodes.values()].every((n) => n.status === 'running')).toBe(true);
    expect(await types(record.id)).toContain('session-ready');
    expect((await store.getSession(record.id))?.state).toBe('ready');
    const view = await sessions.view(record);
    expect(view.nodes.map((n) => n.state)).toEqual(['running', 'running', 'running']);
    expect(sessions.get(record.id, 'alice')).toBe(record);
    expect(await refusal(async () => sessions.get(record.id, 'mallory'))).toBe('SessionNotFound');
  });

  it('forms a Swarm for a swarm template: managers first, then workers', async () => {
    const { provisioner, start } = await lab();
    const record = await start('swarm-5');
    expect(record.nodes.map((n) => n.role)).toEqual(['manager', 'manager', 'manager', 'worker', 'worker']);
    expect(provisioner.swarms.get(record.id)).toEqual({
      managers: ['node1', 'node2', 'node3'],
      workers: ['node4', 'node5'],
    });
  });

  it('removes everything a creation made when it fails halfway, and says why', async () => {
    const provisioner = new MemoryProvisioner();
    provisioner.failCreateNodeAt = 2;
    const { sessions, store } = await lab({ provisioner });
    const record = await sessions.create({ template: 'trio', ownerToken: 'alice', clientAddress: 'a' });
    let reason = '';
    try {
      await sessions.provision(record.id);
    } catch (err) {
      reason = isLabError(err) ? `${err.name}: ${err.message}` : String(err);
    }
    expect(reason).toMatch(/^SandboxStartFailed: Starting a trio sandbox failed: node2 could not be created/);
    expect(provisioner.nodes.size).toBe(0);
    expect(provisioner.networks.size).toBe(0);
    expect(await store.getSession(record.id)).toBeUndefined();
    expect(sessions.activeCount).toBe(0);
    // The learner may try again at once: nothing of the failure counts against them.
    provisioner.failCreateNodeAt = undefined;
    const again = await sessions.create({ template: 'trio', ownerToken: 'alice', clientAddress: 'a' });
    expect((await sessions.provision(again.id)).state).toBe('ready');
  });

  it('refuses past each limit, with the catalog error that says which', async () => {
    const { sessions, start, clock } = await lab({ limits: { maxSessions: 3, maxLabNodes: 7 } });
    await start('single', 'alice');
    await start('single', 'alice');
    expect(await refusal(() => start('single', 'alice'))).toBe('TooManySessions');
    const bob = await start('trio', 'bob');
    // 5 nodes run and a trio needs 3: past the lab's 7.
    expect(await refusal(() => start('trio', 'carol'))).toBe('CapacityReached');
    await sessions.addNode(bob);
    expect(await refusal(() => start('single', 'carol'))).toBe('CapacityReached'); // 3 sandboxes
    await sessions.delete(bob.id);
    await sessions.delete(sessions.ownedBy('alice')[0]?.id ?? '');
    // Four creations from 10.0.0.1 this minute (refused ones do not count): the fifth waits.
    await start('single', 'dave');
    expect(await refusal(() => start('single', 'erin'))).toBe('RateLimited');
    clock.now += 61_000;
    expect((await start('single', 'erin')).state).toBe('ready');
  });

  it('caps the nodes of one sandbox', async () => {
    const { sessions, start } = await lab({ limits: { maxNodesPerSession: 4 } });
    const record = await start('trio');
    await sessions.addNode(record);
    expect(await refusal(() => sessions.addNode(record))).toBe('NodeLimitReached');
  });

  it('warns before the idle deadline, ends the session after it, and leaves nothing', async () => {
    const { sessions, provisioner, events, clock, store, start } = await lab();
    const record = await start('single');
    const heard: { type: string; data: unknown }[] = [];
    events.subscribe(record.id, (e) => heard.push({ type: e.type, data: e.data }));
    clock.now += TIMES.idleTimeoutMs - TIMES.warnBeforeMs + 1;
    await sessions.sweep();
    expect(heard.map((e) => e.type)).toEqual(['expiry-warning']);
    clock.now += TIMES.warnBeforeMs;
    await sessions.sweep();
    expect(heard[1]).toEqual({ type: 'session-ended', data: { reason: 'idle' } });
    expect(await store.getSession(record.id)).toBeUndefined();
    expect(sessions.activeCount).toBe(0);
    expect(provisioner.nodes.size).toBe(0);
  });

  it('keeps an active or extended session, and ends every session at its maximum age', async () => {
    const { sessions, clock, types, start } = await lab();
    const record = await start('single');
    for (let t = 0; t < 5; t++) {
      clock.now += TIMES.idleTimeoutMs - 1;
      sessions.touch(record.id); // Typing in a terminal.
      await sessions.sweep();
    }
    expect(sessions.activeCount).toBe(1);
    const before = (await sessions.view(record)).expiresAt;
    await sessions.extend(record);
    expect((await sessions.view(record)).expiresAt).toBeGreaterThanOrEqual(before);
    expect(await types(record.id)).toContain('extended');
    // The maximum age (pushed back by half once) ends it even while the learner types.
    for (let t = 0; t < 20 && sessions.activeCount > 0; t++) {
      clock.now += TIMES.idleTimeoutMs - 1;
      sessions.touch(record.id);
      await sessions.sweep();
    }
    expect(sessions.activeCount).toBe(0);
  });

  it('adds, restarts, kills and removes nodes, and says why a killed node does not answer', async () => {
    const { sessions, provisioner, types, start } = await lab();
    const record = await start('swarm-3');
    const added = await sessions.addNode(record);
    expect(added).toMatchObject({ name: 'node4', role: 'worker' });
    expect(provisioner.calls).toContain(`joinSwarm ${record.id} node4 via node1`);
    expect(await types(record.id)).toContain('node-added');

    await sessions.killNode(record, 'node2');
    expect((await sessions.view(record)).nodes[1]?.state).toBe('exited');
    let message = '';
    try {
      await sessions.exec(record, 'node2', ['true'], { timeoutMs: 1000 });
    } catch (err) {
      message = isLabError(err) ? `${err.name}: ${err.message} (${err.text('fr').message})` : String(err);
    }
    expect(message).toBe(
      'NodeDown: Node node2 is exited: it was stopped abruptly on request. (Le nœud node2 est arrêté : il a été arrêté net à la demande.)',
    );
    await sessions.restartNode(record, 'node2');
    expect((await sessions.exec(record, 'node2', ['echo', 'hi'], { timeoutMs: 1000 })).stdout).toBe(
      'echo hi\n',
    );

    await sessions.removeNode(record, 'node4');
    expect(record.nodes.map((n) => n.name)).toEqual(['node1', 'node2', 'node3']);
    expect(provisioner.calls).toContain(`forgetSwarmNode ${record.id} node4 via node1`);
    expect(await refusal(() => sessions.removeNode(record, 'node4'))).toBe('NodeNotFound');
    // A new node takes the first free name.
    expect((await sessions.addNode(record)).name).toBe('node4');
  });

  it('reports what the engine says of nodes, whoever stopped them', async () => {
    const { sessions, provisioner, events, start } = await lab();
    await sessions.start({ sweepIntervalMs: 60_000 });
    const record = await start('trio');
    const [, node2, node3] = record.nodes;
    provisioner.stop(node2?.containerId ?? '', 137, true);
    provisioner.stop(node3?.containerId ?? '', 3);
    const seen = (await events.history(record.id)).filter((e) => e.type.startsWith('node-'));
    expect(seen.map((e) => [e.type, e.data.node])).toEqual(
      expect.arrayContaining([
        ['node-oom', 'node2'],
        ['node-down', 'node2'],
        ['node-down', 'node3'],
      ]),
    );
    const why = async (node: string) =>
      sessions.exec(record, node, ['true'], { timeoutMs: 1000 }).then(
        () => 'ran',
        (err: Error) => err.message,
      );
    expect(await why('node2')).toBe('Node node2 is exited: it ran out of memory.');
    expect(await why('node3')).toBe('Node node3 is exited: it stopped (exit code 3).');
  });

  it('after an engine outage, starts the nodes it stopped but not those stopped on purpose', async () => {
    const { sessions, provisioner, events, start } = await lab();
    await sessions.start({ sweepIntervalMs: 60_000 });
    let lost = 0;
    sessions.onEngineEventsEnded = () => {
      lost++;
    };
    const record = await start('trio');
    await sessions.killNode(record, 'node3');
    provisioner.crash();
    expect(lost).toBe(1);
    await sessions.engineLost('it does not answer');
    expect(await refusal(async () => sessions.get(record.id, 'alice'))).toBe('no error');
    await sessions.engineRecovered();
    const states = (await sessions.view(record)).nodes.map((n) => n.state);
    expect(states).toEqual(['running', 'running', 'exited']);
    const back = (await events.history(record.id)).find((e) => e.type === 'engine-restarted');
    expect(back?.data).toMatchObject({ restarted: ['node1', 'node2'], failed: [] });
    expect(sessions.engineDown).toBeUndefined();
  });

  it('after a lab restart, adopts what its store knows and removes the rest', async () => {
    const store = await SqliteStore.open({ file: ':memory:' });
    const provisioner = new MemoryProvisioner();
    const first = await lab({ store, provisioner });
    const kept = await first.start('trio', 'alice');
    const old = await first.start('single', 'bob');
    await first.sessions.dispose();
    // What changed while the lab was down: one node stopped, an orphan appeared, a record went stale.
    provisioner.stop(kept.nodes[0]?.containerId ?? '');
    provisioner.leftover('ffffffffffffffffffffffffffffffff', ['node1']);
    const stale: SessionRecord = { ...old, id: 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', previewToken: 'stale' };
    await store.saveSession(stale);
    await store.saveSession({ ...old, expiresAt: 0 }); // Bob's sandbox expired meanwhile.

    const second = await lab({ store, provisioner });
    const { adopted, removed } = await second.sessions.reconcile();
    expect(adopted).toEqual([kept.id]);
    expect(removed.sort()).toEqual(
      [old.id, 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', 'ffffffffffffffffffffffffffffffff'].sort(),
    );
    expect([...provisioner.nodes.values()].map((n) => [n.sessionId, n.name, n.status])).toEqual([
      [kept.id, 'node1', 'running'],
      [kept.id, 'node2', 'running'],
      [kept.id, 'node3', 'running'],
    ]);
    expect(second.sessions.get(kept.id, 'alice').nodes).toHaveLength(3);
    expect((await store.listSessions()).map((s) => s.id)).toEqual([kept.id]);
    expect(hashToken('alice')).toBe(kept.ownerHash);
  });

  it('shares a store with another lab without touching its sessions, and adopts those from before ids', async () => {
    const store = await SqliteStore.open({ file: ':memory:' });
    const a = await lab({ store, labId: 'lab-a' });
    const b = await lab({ store, labId: 'lab-b' });
    const ofA = await a.start('trio', 'alice');
    const ofB = await b.start('single', 'bob');
    const before = await b.start('single', 'carol');
    expect((await store.listSessions({ labId: 'lab-a' })).map((s) => s.id)).toEqual([ofA.id]);
    await a.sessions.dispose();
    await b.sessions.dispose();
    // As a session stored before labs had ids reads (its sandbox on lab b's engine).
    await store.saveSession({ ...before, labId: '' });

    // Each lab restarts and reconciles on its own engine: neither removes what the other owns.
    const a2 = await lab({ store, labId: 'lab-a', provisioner: a.provisioner });
    const b2 = await lab({ store, labId: 'lab-b', provisioner: b.provisioner });
    // The old session goes to lab a, the first to start, whose engine has no sandbox for it.
    expect(await a2.sessions.reconcile()).toEqual({ adopted: [ofA.id], removed: [before.id] });
    // On lab b's engine its sandbox is now no session's: removed.
    expect(await b2.sessions.reconcile()).toEqual({ adopted: [ofB.id], removed: [before.id] });
    expect((await store.listSessions()).map((s) => [s.id, s.labId]).sort()).toEqual(
      [
        [ofA.id, 'lab-a'],
        [ofB.id, 'lab-b'],
      ].sort(),
    );
  });
});
