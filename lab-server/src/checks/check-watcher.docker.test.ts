import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabClient, startTestLab } from '../../testing/test-lab.ts';
import { loadConfig, repoRoot } from '../config.ts';
import type { Lab } from '../lab.ts';
import { waitFor } from '../util/wait-for.ts';
import { fail, pass } from './check-types.ts';
import { CheckWatcher } from './check-watcher.ts';
import { readLessons } from './lesson-catalog.ts';

let lab: Lab;
let client: LabClient;
let session: string;

const LESSON = 'images/dockerfile-basics';

beforeAll(async () => {
  const base = loadConfig();
  lab = await startTestLab({ limits: { ...base.limits, maxSessionsPerOwner: 50 } });
  client = new LabClient(lab.url);
  const created = await client.request('POST', '/api/sessions', { template: 'single' });
  expect(created.status).toBe(201);
  session = created.json.id;
});
afterAll(async () => {
  await lab.runtime.sessions.delete(session).catch(() => undefined);
  await lab.stop();
});

const checkEvents = async () =>
  (
    (await client.request('GET', `/api/sessions/${session}/events`)).json as {
      type: string;
      data: Record<string, unknown>;
    }[]
  )
    .filter((e) => e.type === 'check')
    .map((e) => e.data);

/** A watcher of its own on the test lab, watching these exercises of one lesson. */
const watcherOn = (lesson: string, exercises: string[], pollMs?: number) =>
  new CheckWatcher({
    runner: lab.runtime.checks,
    access: { nodeEngine: (r, n) => lab.runtime.sessions.nodeEngine(r, n) },
    store: lab.runtime.store,
    events: lab.runtime.events,
    watched: new Map([[lesson, exercises]]),
    ...(pollMs ? { pollMs } : {}),
  });

describe('watched checks (live feedback)', () => {
  it('validates the request and says which exercises it watches', async () => {
    const bad = await client.request('POST', `/api/sessions/${session}/watch`, { lesson: 5 });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/lesson/);
    const none = await client.request('POST', `/api/sessions/${session}/watch`, { lesson: 'no/such-lesson' });
    expect(none.status).toBe(200);
    expect(none.json.exercises).toEqual([]);
    const other = await new LabClient(lab.url).request('POST', `/api/sessions/${session}/watch`, {
      lesson: LESSON,
    });
    expect(other.status).toBe(404);
  });

  it('turns an exercise green when the sandbox changes, without a click, and reports no failure', async () => {
    const watched = await client.request('POST', `/api/sessions/${session}/watch`, { lesson: LESSON });
    expect(watched.status).toBe(200);
    // Only build-image is marked watch in the lesson's frontmatter.
    expect(watched.json.exercises).toEqual(['build-image']);
    await waitFor(() => (lab.runtime.watcher.status(session)?.evaluations ?? 0) >= 1, {
      timeoutMs: 10_000,
      what: 'the first evaluation',
    });
    expect(await checkEvents()).toEqual([]); // The first evaluation failed, silently.

    const lesson = readLessons(join(repoRoot, 'lessons')).find((l) => l.id === LESSON);
    const solution = lesson?.exercises.find((e) => e.id === 'build-image')?.solution ?? '';
    const built = await client.sh(session, 'node1', solution, 120_000);
    expect(built.exitCode, built.stderr).toBe(0);

    // The image's tag event wakes the watcher: no events socket is open, so no polling helped.
    const events = await waitFor(async () => (await checkEvents()).length > 0 && checkEvents(), {
      timeoutMs: 20_000,
      what: 'a watched check event',
    });
    expect(events).toEqual([
      expect.objectContaining({ lesson: LESSON, exercise: 'build-image', passed: true, watched: true }),
    ]);
    expect(events[0]?.reason).toMatch(/hello:1\.0/);
    const progress = await client.request('GET', '/api/progress');
    expect(progress.json).toContainEqual(
      expect.objectContaining({ lesson: LESSON, exercise: 'build-image', passed: true }),
    );
    // Nothing left to watch: the watcher let go of the session's engines.
    expect(lab.runtime.watcher.status(session)).toBeUndefined();
    const again = await client.request('POST', `/api/sessions/${session}/watch`, { lesson: LESSON });
    expect(again.json.exercises).toEqual([]);
  });

  it('polls state that raises no engine event only while a page listens, and stops with the session', async () => {
    const record = lab.runtime.sessions.ownedBy(decodeURIComponent(client.cookie.split('=')[1] ?? ''))[0];
    if (!record) throw new Error('no session');
    lab.runtime.checks.add({
      lesson: 'test/watch-file',
      exercises: {
        flag: async (ctx) =>
          (await ctx.node('node1').readFile('/tmp/flag')) ? pass('the flag is there') : fail('no flag yet'),
      },
    });
    const watcher = watcherOn('test/watch-file', ['flag'], 300);
    try {
      expect(await watcher.watch(record, 'test/watch-file')).toEqual(['flag']);
      // The first evaluation (at once, before the file exists) must be over before the file is written.
      await waitFor(() => (watcher.status(session)?.evaluations ?? 0) >= 1, {
        timeoutMs: 10_000,
        what: 'the first evaluation',
      });
      // Writing a file raises no engine event, and nobody listens: it stays pending.
      await client.sh(session, 'node1', 'echo up > /tmp/flag');
      await new Promise((r) => setTimeout(r, 1200));
      expect(watcher.status(session)?.pending).toEqual(['flag']);
      // A page opens the session's events: polling finds the file.
      const page = lab.runtime.events.subscribe(session, () => undefined);
      try {
        await waitFor(() => watcher.status(session) === undefined, { timeoutMs: 5000, what: 'the poll' });
      } finally {
        page();
      }
      const flag = (await checkEvents()).find((e) => e.exercise === 'flag');
      expect(flag).toMatchObject({ passed: true, watched: true, reason: 'the flag is there' });

      // A session that ends takes its watch with it.
      await client.sh(session, 'node1', 'rm /tmp/flag');
      await lab.runtime.store.recordCheck({
        ownerHash: record.ownerHash,
        lesson: 'test/other',
        exercise: 'x',
        passed: false,
        at: Date.now(),
      });
      lab.runtime.checks.add({
        lesson: 'test/other',
        exercises: { x: async () => fail('never') },
      });
      const other = watcherOn('test/other', ['x']);
      expect(await other.watch(record, 'test/other')).toEqual(['x']);
      await lab.runtime.events.publish(session, 'session-ended', { reason: 'deleted' });
      expect(other.status(session)).toBeUndefined();
      other.dispose();
    } finally {
      watcher.dispose();
    }
  });
});
