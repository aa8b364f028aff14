import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../config.ts';
import { readLessons } from './lesson-catalog.ts';

const lesson = (title: string) =>
  `---\ntitle: ${title}\nsandbox: single\nexercises:\n  - id: one\n    title: One\n    solution: "true"\n---\nText.\n`;

describe('the lessons the lab reads', () => {
  it('are the site’s: no draft, no README, no translation, ids as the site names them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockside-lessons-'));
    for (const folder of ['images', 'fr/images', 'swarm']) mkdirSync(join(dir, folder), { recursive: true });
    writeFileSync(join(dir, 'images', 'First-Steps.mdx'), lesson('First steps'));
    writeFileSync(join(dir, 'images', '_draft.mdx'), lesson('Draft'));
    writeFileSync(join(dir, 'fr', 'images', 'First-Steps.mdx'), lesson('Premiers pas'));
    writeFileSync(join(dir, 'swarm', 'index.md'), lesson('Swarm'));
    writeFileSync(join(dir, 'README.md'), '# Writing lessons\n');
    expect(readLessons(dir).map((l) => [l.id, l.title])).toEqual([
      ['images/first-steps', 'First steps'],
      ['swarm', 'Swarm'],
    ]);
  });

  it('reads every lesson of the repository with its exercises', () => {
    const lessons = readLessons(join(repoRoot, 'lessons'));
    expect(lessons.length).toBeGreaterThanOrEqual(12);
    for (const l of lessons) expect(l.id).toMatch(/^[a-z0-9][a-z0-9/_-]*$/);
  });
});
