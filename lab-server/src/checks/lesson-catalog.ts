import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isLessonFile, lessonId, TRANSLATION_FOLDERS } from '../protocol/lesson-files.ts';

/** What the lab server needs of a lesson: its sandbox and its exercises' solutions. */
export interface LessonExercises {
  /** The content id: the path under lessons/ without extension, as the site names it. */
  id: string;
  file: string;
  title: string;
  sandbox?: string;
  exercises: { id: string; title: string; solution: string; node?: string; watch?: boolean }[];
}

/**
 * Reads the frontmatter of every English lesson under `dir`, chosen and named by the same rules as the
 * site's (protocol/lesson-files.ts); translations share their checks.
 */
export function readLessons(dir: string): LessonExercises[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      const rel = relative(dir, path).split(sep).join('/');
      if (entry.isDirectory()) {
        if (!TRANSLATION_FOLDERS.includes(rel)) walk(path);
      } else if (isLessonFile(rel)) files.push(path);
    }
  };
  walk(dir);
  return files.sort().flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
    if (!m?.[1]) return [];
    const data = parseYaml(m[1]) as {
      title?: string;
      sandbox?: string;
      exercises?: { id: string; title: string; solution: string; node?: string; watch?: boolean }[];
    };
    const id = lessonId(relative(dir, file).split(sep).join('/'));
    return [{ id, file, title: data.title ?? id, sandbox: data.sandbox, exercises: data.exercises ?? [] }];
  });
}

/** The exercises marked `watch: true`, by lesson id: the lab re-evaluates them on sandbox events. */
export function watchedExercises(lessons: LessonExercises[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const lesson of lessons) {
    const ids = lesson.exercises.filter((e) => e.watch === true).map((e) => e.id);
    if (ids.length > 0) map.set(lesson.id, ids);
  }
  return map;
}
