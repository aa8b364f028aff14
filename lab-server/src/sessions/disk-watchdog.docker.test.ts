import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabClient, startTestLab } from '../../testing/test-lab.ts';
import { loadConfig } from '../config.ts';
import type { Lab } from '../lab.ts';
import { waitFor } from '../util/wait-for.ts';
import { RESTART_ALLOWANCE_BYTES } from './disk-watchdog.ts';

const MiB = 2 ** 20;
const CAP = 256 * MiB;
const GRACE_MS = 20_000;
const WATCH_MS = 500;

interface LabEvent {
  id: number;
  at: number;
  type: string;
  data: Record<string, unknown> & { node?: string };
}

/**
 * The files cap after a restart, three ways, on the real engine: the learner frees space in the grace
 * window and the node stays up; the learner does not, and the node is stopped when the window ends;
 * a writer that keeps writing is stopped at the ceiling before the window ends. One trio, a node for
 * each way, all three at once. Every step waits for the state the product promises, never for a fixed time.
 */
let lab: Lab;
let client: LabClient;
let id: string;

beforeAll(async () => {
  const base = loadConfig();
  lab = await startTestLab({
    limits: { ...base.limits, nodeDiskBytes: 256 * MiB, nodeFilesBytes: CAP },
    times: { ...base.times, diskWatchIntervalMs: WATCH_MS, diskGraceMs: GRACE_MS },
  });
  client = new LabClient(lab.url);
  const created = await client.request('POST', '/api/sessions', { template: 'trio' });
  expect(created.status).toBe(201);
  id = created.json.id;
});

afterAll(async () => {
  if (id) await client.request('DELETE', `/api/sessions/${id}`);
  await lab?.stop();
});

const events = async () => (await client.request('GET', `/api/sessions/${id}/events`)).json as LabEvent[];
const nodeState = async (node: string) =>
  ((await client.request('GET', `/api/sessions/${id}`)).json.nodes as { name: string; state: string }[]).find(
    (n) => n.name === node,
  )?.state;

/** The next event of a type for a node, after event `after`. */
function nextEvent(node: string, type: string, after = 0, timeoutMs = 60_000): Promise<LabEvent> {
  return waitFor(
    async () => (await events()).find((e) => e.id > after && e.type === type && e.data.node === node),
    {
      timeoutMs,
      what: `a ${type} event for ${node}`,
      intervalMs: 200,
    },
  );
}

/** Writes past the cap from the node's shell; the watchdog stops the node (the write may be cut off). */
async function fillPastCap(node: string): Promise<LabEvent> {
  const r = await client.request('POST', `/api/sessions/${id}/nodes/${node}/exec`, {
    command: 'dd if=/dev/zero of=/root/fill bs=1M count=320 2>&1; sync',
    timeoutMs: 60_000,
  });
  // Done before the stop, or cut off by it: then the lab's NodeDown, never the engine's raw error.
  if (r.status !== 200) expect(r.json).toMatchObject({ error: 'NodeDown' });
  const stopped = await nextEvent(node, 'node-disk-full');
  expect(stopped.data.reason).toBe('cap');
  expect(await nodeState(node)).toBe('exited');
  return stopped;
}

/** Restarts a node the watchdog stopped; resolves with the grace warning that follows. */
async function restartOverCap(node: string, after: number): Promise<LabEvent> {
  expect((await client.request('POST', `/api/sessions/${id}/nodes/${node}/restart`)).status).toBe(200);
  const warning = await nextEvent(node, 'node-disk-warning', after);
  expect(await nodeState(node)).toBe('running');
  return warning;
}

describe.concurrent('disk watchdog: the grace window after a restart', () => {
  it('warns, the learner frees the space, and the node stays up', async () => {
    const stopped = await fillPastCap('node1');
    // Measured once stopped: all the learner wrote, and a ceiling just above it.
    expect(stopped.data.usedBytes as number).toBeGreaterThan(CAP);
    expect(stopped.data.ceilingBytes).toBe((stopped.data.usedBytes as number) + RESTART_ALLOWANCE_BYTES);

    const warning = await restartOverCap('node1', stopped.id);
    expect(warning.data.freeBytes as number).toBeGreaterThan(0);
    expect((warning.data.largest as { path: string }[])[0]?.path).toBe('/root/fill');
    expect(warning.data.message).toMatch(
      /node1's own files take \d+ MiB, over the 256 MiB cap: delete at least/,
    );
    expect(warning.data.graceEndsAt as number).toBeGreaterThan(Date.now());

    expect((await client.sh(id, 'node1', 'rm /root/fill && echo FREED')).stdout).toBe('FREED\n');
    const ok = await nextEvent('node1', 'node-disk-ok', warning.id);
    expect(ok.data.usedBytes as number).toBeLessThanOrEqual(CAP);

    // Past the end of the window and two more looks: still up, never stopped again.
    await waitFor(async () => Date.now() > (warning.data.graceEndsAt as number) + 2 * WATCH_MS, {
      timeoutMs: GRACE_MS + 10_000,
      what: 'the end of the grace window',
    });
    expect(await nodeState('node1')).toBe('running');
    const again = (await events()).filter(
      (e) => e.id > stopped.id && e.type === 'node-disk-full' && e.data.node === 'node1',
    );
    expect(again).toEqual([]);
  });

  it('warns, the learner frees nothing, and the node is stopped again when the window ends', async () => {
    const stopped = await fillPastCap('node2');
    const warning = await restartOverCap('node2', stopped.id);
    // It runs through the window: the learner can work on it.
    expect((await client.sh(id, 'node2', 'echo UP')).stdout).toBe('UP\n');
    const second = await nextEvent('node2', 'node-disk-full', warning.id, GRACE_MS + 30_000);
    expect(second.data.reason).toBe('grace-ended');
    expect(second.at).toBeGreaterThanOrEqual(warning.data.graceEndsAt as number);
    expect(second.data.message).toMatch(/node2 was stopped: its own files .* when its grace window ended/);
    // The ceiling held during the window.
    expect(second.data.usedBytes as number).toBeLessThanOrEqual(stopped.data.ceilingBytes as number);
    expect(await nodeState('node2')).toBe('exited');
    // Whoever races the stop hears why, from the lab.
    const exec = await client.request('POST', `/api/sessions/${id}/nodes/node2/exec`, { command: 'true' });
    expect(exec.status).toBe(409);
    expect(exec.json.error).toBe('NodeDown');
    expect(exec.json.message).toMatch(/grace window ended/);
  });

  it('stops a writer that keeps writing during the window at the ceiling, before the window ends', async () => {
    const stopped = await fillPastCap('node3');
    const warning = await restartOverCap('node3', stopped.id);
    const write = await client.request('POST', `/api/sessions/${id}/nodes/node3/exec`, {
      command: `dd if=/dev/zero of=/root/more bs=1M count=${(3 * RESTART_ALLOWANCE_BYTES) / MiB} 2>&1; sync; sleep 30`,
      timeoutMs: 60_000,
    });
    // The stop cut the exec off: the lab's own error, with why.
    expect(write.status).toBe(409);
    expect(write.json.error).toBe('NodeDown');
    const third = await nextEvent('node3', 'node-disk-full', warning.id);
    expect(third.data.reason).toBe('ceiling');
    expect(third.at).toBeLessThan(warning.data.graceEndsAt as number);
    expect(third.data.message).toMatch(/node3 was stopped again: it kept writing during its grace window/);
    expect(await nodeState('node3')).toBe('exited');
  });
});
