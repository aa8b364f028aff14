import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TRACKS } from '../data/tracks.ts';

interface LessonRef {
  slug: string;
  track: string;
  order: number;
}

/**
 * Reads `track` and `order` from the frontmatter of every English lesson: enough to order the
 * sidebar (and so the previous/next links). The full frontmatter is validated by the content
 * collection's schema when the site builds; a lesson this cannot read is left for it to report.
 */
export function readLessonOrder(lessonsDir: string): LessonRef[] {
  const refs: LessonRef[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (relative(lessonsDir, path) !== 'fr') walk(path);
        continue;
      }
      if (!/^[^_].*\.mdx?$/.test(entry.name) || entry.name === 'README.md') continue;
      const frontmatter = /^---\r?\n([\s\S]*?)\r?\n---/.exec(readFileSync(path, 'utf8'))?.[1] ?? '';
      const track = /^track:\s*['"]?([\w-]+)/m.exec(frontmatter)?.[1];
      const order = Number(/^order:\s*(\d+)/m.exec(frontmatter)?.[1] ?? 99);
      const slug = relative(lessonsDir, path)
        .replace(/\.mdx?$/, '')
        .replace(/\/index$/, '')
        .toLowerCase();
      if (track) refs.push({ slug, track, order });
    }
  };
  walk(lessonsDir);
  return refs;
}

/** Starlight sidebar: a link to the tracks, then one group per track with its lessons in order. */
export function lessonSidebar(lessonsDir: string) {
  const lessons = readLessonOrder(lessonsDir);
  const groups = TRACKS.map((track) => ({
    label: track.title.en,
    translations: { fr: track.title.fr },
    items: lessons
      .filter((l) => l.track === track.id)
      .sort((a, b) => a.order - b.order || a.slug.localeCompare(b.slug))
      .map((l) => ({ slug: l.slug })),
  })).filter((g) => g.items.length > 0);
  return [{ label: 'All tracks', translations: { fr: 'Tous les parcours' }, link: '/#tracks' }, ...groups];
}
