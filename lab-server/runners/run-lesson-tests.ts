/**
 * `npm run test:lessons`: proves every lesson works. For each lesson with exercises: a fresh sandbox from
 * its template, every check fails; then each solution is typed into a terminal exactly as a learner
 * would (through the lab's WebSocket), and every check passes. Ends with `N passed, M failed`, counting
 * lessons.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLessons } from '../src/checks/lesson-catalog.ts';
import { loadConfig, repoRoot } from '../src/config.ts';
import { startLab } from '../src/lab.ts';
import { LabClient } from '../testing/lab-client.ts';
import { TerminalClient } from '../testing/terminal-client.ts';

const log = (line: string) => process.stdout.write(`${line}\n`);
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));

async function main(): Promise<number> {
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' });
  const lab = await startLab(
    {
      ...config,
      databaseUrl: `sqlite:${join(mkdtempSync(join(tmpdir(), 'dockside-lessons-')), 'lab.sqlite')}`,
      limits: { ...config.limits, maxSessionsPerOwner: 100, createsPerAddressPerMinute: 10_000 },
    },
    { say: (l) => log(`  lab: ${l}`), buildSite: false },
  );
  const lessons = readLessons(join(repoRoot, 'lessons')).filter(
    (l) => l.exercises.length > 0 && (only.length === 0 || only.includes(l.id)),
  );
  let passed = 0;
  let failed = 0;
  try {
    for (const lesson of lessons) {
      const problems = await testLesson(lab.url, lesson, lab.runtime.checks);
      if (problems.length === 0) {
        passed++;
        log(`✓ ${lesson.id} (${lesson.exercises.length} exercises)`);
      } else {
        failed++;
        log(`✗ ${lesson.id}`);
        for (const p of problems) log(`    ${p}`);
      }
    }
  } finally {
    await lab.stop();
  }
  log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

async function testLesson(
  url: string,
  lesson: ReturnType<typeof readLessons>[number],
  checks: { find(lesson: string, exercise: string): unknown },
): Promise<string[]> {
  const problems: string[] = [];
  for (const e of lesson.exercises) {
    if (!checks.find(lesson.id, e.id)) problems.push(`exercise ${e.id} has no check in a .checks.ts file`);
  }
  if (problems.length > 0) return problems;
  if (!lesson.sandbox) return [`${lesson.file} has exercises but no sandbox template`];

  const client = new LabClient(url);
  const created = await client.request('POST', '/api/sessions', { template: lesson.sandbox });
  if (created.status !== 201) return [`the ${lesson.sandbox} sandbox did not start: ${created.text}`];
  const id = created.json.id as string;
  const check = async (exercise: string) =>
    (await client.request('POST', `/api/sessions/${id}/checks`, { lesson: lesson.id, exercise })).json as {
      passed: boolean;
      reason: string;
    };
  try {
    for (const e of lesson.exercises) {
      const before = await check(e.id);
      if (before.passed) problems.push(`${e.id}: passes before the solution ran (${before.reason})`);
    }
    const terminals = new Map<string, TerminalClient>();
    for (const e of lesson.exercises) {
      const node = e.node ?? 'node1';
      let term = terminals.get(node);
      if (!term) {
        term = new TerminalClient(
          client.websocket(`/api/sessions/${id}/nodes/${node}/terminal?tab=solution`),
        );
        await term.opened();
        terminals.set(node, term);
      }
      const marker = `SOLVED-${e.id}`;
      for (const line of e.solution.trim().split('\n')) term.type(`${line}\r`);
      // Computed by the shell, so the echo of the typed line cannot match it.
      term.type(`echo "${marker}-$((6*7))"\r`);
      await term.waitForOutput(new RegExp(`${marker}-42`), 180_000).catch(() => {
        problems.push(
          `${e.id}: the solution did not finish within 180 s; last output: ${term?.output.slice(-300)}`,
        );
      });
      let after = await check(e.id);
      for (let i = 0; !after.passed && i < 10; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        after = await check(e.id);
      }
      if (!after.passed) problems.push(`${e.id}: still fails after the solution: ${after.reason}`);
    }
    for (const term of terminals.values()) await term.close();
  } finally {
    await client.request('DELETE', `/api/sessions/${id}`);
  }
  return problems;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`test:lessons: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
