import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LessonSchema } from './lesson.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const good = {
  title: 'A lesson',
  summary: 'A summary long enough to say what the learner will do.',
  track: 'images',
  order: 1,
  duration: 10,
  level: 'beginner',
  sandbox: 'single',
  exercises: [
    {
      id: 'build-image',
      title: 'Build it',
      goal: 'An image tagged hello:1.0 exists.',
      hints: ['docker build -t hello:1.0 .'],
      solution: 'docker build -t hello:1.0 .',
    },
  ],
};

const problems = (data: unknown) => {
  const result = LessonSchema.safeParse(data);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('lesson frontmatter', () => {
  it('accepts a complete lesson and fills the defaults', () => {
    const result = LessonSchema.safeParse(good);
    expect(result.success).toBe(true);
    expect(result.data?.exercises[0]?.watch).toBe(false);
    expect(result.data?.nodeControls).toEqual({ add: false, restart: true, kill: false });
  });

  it('names each missing field and says what it should hold', () => {
    const { duration: _d, track: _t, ...rest } = good;
    expect(problems(rest)).toEqual([
      expect.stringMatching(/^track: a lesson needs a track \(one of history, .*kubernetes\)/),
      'duration: a lesson needs a duration in minutes',
    ]);
  });

  it('reports a misspelt field instead of ignoring it', () => {
    expect(problems({ ...good, durations: 10 })).toEqual([
      expect.stringMatching(/^durations: unknown field "durations" \(lesson fields: summary, track/),
    ]);
  });

  it('checks exercises against the sandbox they run in', () => {
    const exercise = { ...good.exercises[0], node: 'node3' };
    expect(problems({ ...good, exercises: [exercise] })).toEqual([
      'exercises.0.node: the single sandbox has 1 node; there is no node3',
    ]);
    expect(problems({ ...good, sandbox: undefined })).toEqual([
      expect.stringMatching(/^sandbox: this lesson has exercises, so it needs a sandbox/),
    ]);
    expect(problems({ ...good, exercises: [good.exercises[0], good.exercises[0]] })).toEqual([
      'exercises.1.id: exercise id "build-image" is used twice in this lesson',
    ]);
    expect(problems({ ...good, exercises: [{ ...good.exercises[0], hints: [] }] })).toEqual([
      'exercises.0.hints: give at least one hint',
    ]);
  });

  it('lets the site’s own pages skip the lesson fields', () => {
    expect(problems({ title: 'Tracks', page: true })).toEqual([]);
  });
});

describe('astro build', () => {
  it('fails on a wrong frontmatter, naming the file and the field', () => {
    // A copy of the site with one broken lesson added, so the real site and its caches are untouched.
    const root = mkdtempSync(join(tmpdir(), 'dockside-site-'));
    try {
      for (const dir of ['site/src', 'site/public', 'lessons', 'lab-server/src']) {
        cpSync(join(repo, dir), join(root, dir), { recursive: true });
      }
      for (const file of ['site/astro.config.mjs', 'site/ec.config.mjs', 'site/package.json']) {
        cpSync(join(repo, file), join(root, file));
      }
      symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
      mkdirSync(join(root, 'lessons', 'images'), { recursive: true });
      writeFileSync(
        join(root, 'lessons', 'images', 'broken-lesson.mdx'),
        '---\ntitle: Broken\nsummary: A lesson whose duration is a word, not minutes.\ntrack: images\norder: 9\nduration: long\nlevel: beginner\n---\n\nText.\n',
      );
      const build = spawnSync(join(repo, 'node_modules', '.bin', 'astro'), ['build'], {
        cwd: join(root, 'site'),
        encoding: 'utf8',
        env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
      });
      const output = build.stdout + build.stderr;
      expect(build.status, output).not.toBe(0);
      expect(output).toContain('broken-lesson.mdx');
      expect(output).toMatch(/duration/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 180_000);
});
