import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../storage/sqlite-store.ts';
import { labIdOf } from './lab-id.ts';
import { LabLease, listLabViews } from './lab-lease.ts';

const dir = mkdtempSync(join(tmpdir(), 'dockside-lab-id-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lab id', () => {
  it('is made once and kept in the state directory', () => {
    const stateDir = join(dir, 'a');
    const id = labIdOf(stateDir);
    expect(id).toMatch(/^lab-[0-9a-f]{8}$/);
    expect(labIdOf(stateDir)).toBe(id);
    expect(readFileSync(join(stateDir, 'lab-id'), 'utf8').trim()).toBe(id);
    expect(labIdOf(join(dir, 'b'))).not.toBe(id);
    expect(labIdOf(stateDir, 'lab-east')).toBe('lab-east');
  });

  it('is made again when the kept one is not an id', () => {
    const stateDir = join(dir, 'c');
    labIdOf(stateDir);
    writeFileSync(join(stateDir, 'lab-id'), 'Not An Id');
    expect(labIdOf(stateDir)).toMatch(/^lab-[0-9a-f]{8}$/);
  });
});

describe('lab lease', () => {
  it('refuses a second live lab with the same id, frees it on release, lists both labs', async () => {
    const store = await SqliteStore.open({ file: ':memory:' });
    const clock = { now: 1_000_000 };
    const lease = (id: string, address: string) =>
      new LabLease({ store, lab: { id, address, publicUrl: '' }, leaseMs: 30_000, clock: () => clock.now });
    const first = lease('lab-a', 'http://10.0.0.1:4000');
    await first.claim();
    await lease('lab-b', 'http://10.0.0.2:4000').claim();
    await expect(lease('lab-a', 'http://10.0.0.3:4000').claim()).rejects.toMatchObject({
      name: 'LabIdInUse',
      message: expect.stringContaining('http://10.0.0.1:4000'),
    });
    clock.now += 10_000;
    await first.claim(); // A renewal.
    expect((await listLabViews(store, 'lab-a', clock.now)).map((l) => [l.id, l.up, l.self])).toEqual([
      ['lab-a', true, true],
      ['lab-b', true, false],
    ]);
    // Lab b dies: its lease runs out and it is listed down; lab a stops cleanly.
    clock.now += 25_000;
    await first.release();
    expect((await listLabViews(store, 'lab-c', clock.now)).map((l) => [l.id, l.up])).toEqual([
      ['lab-a', false],
      ['lab-b', false],
    ]);
    await lease('lab-a', 'http://10.0.0.3:4000').claim();
    await store.dispose();
  });

  it('takes over at once from a lab on this machine whose process is gone', async () => {
    const store = await SqliteStore.open({ file: ':memory:' });
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const stale = {
      id: 'lab-a',
      address: 'http://127.0.0.1:4000',
      publicUrl: '',
      startedAt: Date.now(),
      heartbeatAt: Date.now(),
      leaseUntil: Date.now() + 60_000,
    };
    await store.claimLab({ ...stale, holder: `${hostname()}:${gone}:killed` });
    await new LabLease({ store, lab: { id: 'lab-a', address: '', publicUrl: '' } }).claim();
    // A live one, elsewhere or here, is waited for.
    await store.claimLab({ ...stale, id: 'lab-b', holder: `${hostname()}:${process.ppid}:alive` });
    await expect(
      new LabLease({ store, lab: { id: 'lab-b', address: '', publicUrl: '' } }).claim(),
    ).rejects.toMatchObject({ name: 'LabIdInUse' });
    await store.dispose();
  });
});
