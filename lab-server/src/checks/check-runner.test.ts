import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '../storage/lab-store.ts';
import { CheckRunner } from './check-runner.ts';
import { defineLessonChecks, fail, pass } from './check-types.ts';

// The runner's own logic (deadlines, errors, missing nodes) needs no engine; checks that read real
// sandboxes are tested on the real engine by the lesson solution tests.
const record = {
  id: '0123456789abcdef',
  nodes: [
    { name: 'node1', containerId: 'c1', role: 'none' },
    { name: 'node2', containerId: 'c2', role: 'none' },
  ],
} as SessionRecord;
const access = {
  exec: async () => ({ exitCode: 0, stdout: 'hello\n', stderr: '' }),
  nodeEngine: () => ({}) as Docker,
};

function runner(timeoutMs = 200) {
  const r = new CheckRunner({ access, timeoutMs });
  r.add(
    defineLessonChecks({
      lesson: 'demo/lesson',
      exercises: {
        passes: async (lab) =>
          (await lab.node('node1').readFile('/x')) === 'hello\n' ? pass('read it') : fail('no'),
        throws: async () => {
          throw new Error('boom');
        },
        hangs: () => new Promise(() => undefined),
        missingNode: async (lab) => (lab.node('node9') ? pass('?') : fail('?')),
      },
    }),
  );
  return r;
}

describe('check runner', () => {
  it('passes a check that reads the sandbox', async () => {
    expect(await runner().run(record, 'demo/lesson', 'passes')).toMatchObject({
      passed: true,
      reason: 'read it',
    });
  });

  it('turns an exception into a failure that says the check itself failed', async () => {
    const result = await runner().run(record, 'demo/lesson', 'throws');
    expect(result).toMatchObject({ passed: false, reason: 'the check itself failed (boom)' });
  });

  it('turns a hang into a failure after the deadline', async () => {
    const result = await runner(150).run(record, 'demo/lesson', 'hangs');
    expect(result.passed).toBe(false);
    expect(result.reason).toMatch(/did not finish within/);
    expect(result.durationMs).toBeLessThan(1000);
  });

  it('names the nodes the sandbox has when a check targets a missing one', async () => {
    const result = await runner().run(record, 'demo/lesson', 'missingNode');
    expect(result.reason).toBe('this sandbox has no node node9 (it has node1, node2)');
  });

  it('fails an exercise it has no check for, saying so', async () => {
    const result = await runner().run(record, 'demo/lesson', 'nope');
    expect(result).toMatchObject({
      passed: false,
      reason: 'this lab has no check for exercise nope of demo/lesson',
    });
  });
});
