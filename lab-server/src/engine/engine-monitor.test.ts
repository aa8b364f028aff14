import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../util/wait-for.ts';
import { EngineMonitor } from './engine-monitor.ts';

type Answer = 'answer' | 'refuse' | 'hang';

/** An engine whose ping answers as the test says: the monitor's decisions, without an engine. */
function harness(options: { restart?: boolean; alive?: () => boolean } = {}) {
  const seen = { pings: 0, down: [] as string[], up: 0, restarts: 0 };
  let answer: Answer = 'answer';
  let failUp = false;
  // Waiters resolved the moment the ping count reaches theirs (polling would see later pings).
  const waiters: { target: number; resolve: () => void }[] = [];
  const docker = {
    ping: () => {
      seen.pings++;
      for (const w of waiters.filter((w) => seen.pings >= w.target)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      if (answer === 'answer') return Promise.resolve('OK');
      if (answer === 'refuse') return Promise.reject(new Error('connect ECONNREFUSED'));
      return new Promise(() => {});
    },
  } as unknown as Docker;
  const monitor = new EngineMonitor({
    docker,
    intervalMs: 5,
    pingTimeoutMs: 20,
    log: () => undefined,
    onDown: (reason) => {
      seen.down.push(reason);
    },
    onUp: async () => {
      if (failUp) throw new Error('still starting');
      seen.up++;
    },
    ...(options.restart
      ? {
          restart: async () => {
            seen.restarts++;
            answer = 'answer';
          },
          processAlive: options.alive ?? (() => false),
        }
      : {}),
  });
  return {
    monitor,
    seen,
    set: (a: Answer) => {
      answer = a;
    },
    failUp: (f: boolean) => {
      failUp = f;
    },
    afterPings: (n: number) =>
      new Promise<void>((resolve) => {
        waiters.push({ target: seen.pings + n, resolve });
      }),
  };
}

describe('engine monitor', () => {
  it('counts a refused engine as down after two refusals, and recovers once it answers', async () => {
    const h = harness();
    h.monitor.start();
    h.set('refuse');
    await waitFor(() => h.monitor.down !== undefined, { timeoutMs: 5000, what: 'down', intervalMs: 2 });
    expect(h.seen.down).toEqual(['it does not answer']);
    h.set('answer');
    await waitFor(() => h.monitor.down === undefined, { timeoutMs: 5000, what: 'up', intervalMs: 2 });
    expect(h.seen.up).toBe(1);
    h.monitor.dispose();
  });

  it('does not take late answers on a busy machine for an outage until they go on', async () => {
    const h = harness();
    h.monitor.start();
    h.set('hang');
    await h.afterPings(4);
    expect(h.monitor.down).toBeUndefined();
    await waitFor(() => h.monitor.down !== undefined, { timeoutMs: 5000, what: 'down', intervalMs: 2 });
    h.monitor.dispose();
  });

  it('takes an ended event stream as an outage at once, and keeps trying a recovery that fails', async () => {
    const h = harness();
    h.monitor.start();
    h.failUp(true);
    h.monitor.lost('its event stream ended');
    expect(h.monitor.down).toBe('its event stream ended');
    await h.afterPings(3);
    expect(h.monitor.down).toBe('its event stream ended'); // onUp failed: still down, tried again.
    h.failUp(false);
    await waitFor(() => h.monitor.down === undefined, { timeoutMs: 5000, what: 'up', intervalMs: 2 });
    expect(h.seen.up).toBe(1);
    h.monitor.dispose();
  });

  it('starts the lab’s own engine again when its process is gone, not while it still runs', async () => {
    let alive = true;
    const h = harness({ restart: true, alive: () => alive });
    h.monitor.start();
    h.set('refuse');
    await waitFor(() => h.monitor.down !== undefined, { timeoutMs: 5000, what: 'down', intervalMs: 2 });
    await h.afterPings(2);
    expect(h.seen.restarts).toBe(0); // A hung dockerd is waited for, not replaced.
    alive = false;
    await waitFor(() => h.seen.restarts === 1 && h.monitor.down === undefined, {
      timeoutMs: 5000,
      what: 'the restart and the recovery',
      intervalMs: 2,
    });
    h.monitor.dispose();
  });
});
