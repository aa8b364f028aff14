import { describe, expect, it } from 'vitest';
import { DiskWatchdog, RESTART_ALLOWANCE_BYTES, type WatchedNode } from './disk-watchdog.ts';
import type { NodeFiles } from './node-files.ts';

const MiB = 2 ** 20;
const CAP = 100 * MiB;
const GRACE = 120_000;

/**
 * One node whose files and runs the test sets, and a watchdog over it: the watchdog's decisions, with
 * no engine. A stop takes effect as the lab's would (the node is no longer running), after `lateWrite`
 * more bytes landed: a writer does not stop at the instant the watchdog decides.
 */
function harness() {
  const node: WatchedNode = { sessionId: 's1', node: 'node2', containerId: 'c1' };
  const state = { used: 0, running: true, run: 1, now: 1_000_000, lateWrite: 0 };
  const seen: { type: string; data: Record<string, unknown> }[] = [];
  const files: NodeFiles = {
    run: async () => ({ running: state.running, startedAt: `run-${state.run}` }),
    usedBytes: async () => state.used,
    largest: async () => [{ path: '/root/fill', bytes: state.used }],
  };
  const watchdog = new DiskWatchdog({
    files,
    nodes: () => [node],
    capBytes: CAP,
    graceMs: GRACE,
    clock: () => state.now,
    hooks: {
      stop: async (_n, reason) => {
        state.used += state.lateWrite;
        state.running = false;
        seen.push({ type: 'stop', data: { reason } });
      },
      stopped: async (_n, found) => {
        seen.push({ type: 'stopped', data: { ...found } });
      },
      warn: async (_n, warning) => {
        seen.push({ type: 'warn', data: { ...warning } });
      },
      recovered: async (_n, found) => {
        seen.push({ type: 'recovered', data: { ...found } });
      },
    },
  });
  const restart = () => {
    state.running = true;
    state.run++;
  };
  const types = () => seen.map((e) => e.type);
  /** The node goes 10 MiB over its cap and is stopped for it (the watchdog's first round). */
  const overCap = async () => {
    state.used = CAP + 10 * MiB;
    await watchdog.checkOnce();
  };
  return { watchdog, state, seen, restart, types, overCap };
}

describe('disk watchdog', () => {
  it('leaves a node under its cap alone', async () => {
    const h = harness();
    h.state.used = CAP;
    await h.watchdog.checkOnce();
    expect(h.seen).toEqual([]);
  });

  it('stops a node past its cap and measures it once stopped', async () => {
    const h = harness();
    h.state.used = CAP + 10 * MiB;
    h.state.lateWrite = 116 * MiB; // What the issue saw: dd kept writing while the node stopped.
    await h.watchdog.checkOnce();
    expect(h.types()).toEqual(['stop', 'stopped']);
    expect(h.seen[1]?.data).toMatchObject({
      reason: 'cap',
      usedBytes: CAP + 126 * MiB,
      ceilingBytes: CAP + 126 * MiB + RESTART_ALLOWANCE_BYTES,
    });
    // Stopped, it is not measured or stopped again.
    await h.watchdog.checkOnce();
    expect(h.types()).toEqual(['stop', 'stopped']);
  });

  it('gives a restarted node its grace window: a warning once, no stop while it frees space', async () => {
    const h = harness();
    h.state.used = CAP + 10 * MiB;
    h.state.lateWrite = 116 * MiB;
    await h.watchdog.checkOnce();
    h.restart();
    h.state.used += 2 * MiB; // A starting node writes logs and pid files.
    await h.watchdog.checkOnce();
    await h.watchdog.checkOnce();
    expect(h.types()).toEqual(['stop', 'stopped', 'warn']);
    expect(h.seen[2]?.data).toMatchObject({
      usedBytes: CAP + 128 * MiB,
      freeBytes: 128 * MiB,
      graceEndsAt: h.state.now + GRACE,
      largest: [{ path: '/root/fill' }],
    });
    h.state.now += GRACE / 2;
    h.state.used = 20 * MiB; // rm /root/fill
    await h.watchdog.checkOnce();
    expect(h.types()).toEqual(['stop', 'stopped', 'warn', 'recovered']);
    h.state.now += GRACE * 2;
    await h.watchdog.checkOnce();
    expect(h.types()).toEqual(['stop', 'stopped', 'warn', 'recovered']);
  });

  it('stops it again when the window ends with the node still over its cap', async () => {
    const h = harness();
    await h.overCap();
    h.restart();
    await h.watchdog.checkOnce();
    h.state.now += GRACE - 1;
    await h.watchdog.checkOnce();
    expect(h.types()).toEqual(['stop', 'stopped', 'warn']);
    h.state.now += 1;
    await h.watchdog.checkOnce();
    expect(h.types()).toEqual(['stop', 'stopped', 'warn', 'stop', 'stopped']);
    expect(h.seen[4]?.data).toMatchObject({ reason: 'grace-ended', usedBytes: CAP + 10 * MiB });
  });

  it('stops a writer at the ceiling during the window', async () => {
    const h = harness();
    await h.overCap();
    const ceiling = h.seen[1]?.data.ceilingBytes as number;
    h.restart();
    h.state.used = ceiling;
    await h.watchdog.checkOnce();
    expect(h.types()).toEqual(['stop', 'stopped', 'warn']);
    h.state.used = ceiling + 1;
    await h.watchdog.checkOnce();
    expect(h.types()).toEqual(['stop', 'stopped', 'warn', 'stop', 'stopped']);
    expect(h.seen[4]?.data).toMatchObject({ reason: 'ceiling' });
  });

  it('gives every restart its own window, under the same kind of ceiling', async () => {
    const h = harness();
    await h.overCap();
    h.restart();
    await h.watchdog.checkOnce();
    h.state.now += GRACE;
    await h.watchdog.checkOnce(); // grace-ended
    h.restart();
    await h.watchdog.checkOnce();
    expect(h.types()).toEqual(['stop', 'stopped', 'warn', 'stop', 'stopped', 'warn']);
    expect(h.seen[5]?.data.graceEndsAt).toBe(h.state.now + GRACE);
  });

  it('stops again at once a node whose stop did not land (the same run still going)', async () => {
    const h = harness();
    await h.overCap();
    h.state.running = true; // The same run: never stopped.
    await h.watchdog.checkOnce();
    expect(h.types()).toEqual(['stop', 'stopped', 'stop', 'stopped']);
    expect(h.seen[3]?.data).toMatchObject({ reason: 'cap' });
  });
});
