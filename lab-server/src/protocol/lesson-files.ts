/**
 * Which files under lessons/ are lessons, and the content id of each: the site's content collection and
 * the lab server (exercises, checks, the lesson tests) read the same files by these rules.
 */

/** Globs, relative to lessons/: .md and .mdx files; `_draft.mdx` and the README are not lessons. */
export const LESSON_GLOBS = ['**/[^_]*.{md,mdx}', '!**/README.md'];

/** Folders of translations (lessons/fr/...): they share the English lesson's exercises and checks. */
export const TRANSLATION_FOLDERS = ['fr'];

/** Whether a file (its path relative to lessons/, with `/`) is a lesson, by LESSON_GLOBS. */
export function isLessonFile(relativePath: string): boolean {
  const name = relativePath.split('/').pop() ?? '';
  return /\.mdx?$/.test(name) && !name.startsWith('_') && name !== 'README.md';
}

/** A lesson file's content id: its path without the extension (and a final /index), in lower case. */
export function lessonId(relativePath: string): string {
  return relativePath
    .replace(/\.mdx?$/, '')
    .replace(/\/index$/, '')
    .toLowerCase();
}
