import { getEntry } from 'astro:content';
import { defineRouteMiddleware } from '@astrojs/starlight/route-data';
import { AstroError } from 'astro/errors';
import type { LessonData } from './schemas/lesson.ts';
import { lessonId } from './utils/lessons.ts';

/**
 * Lesson pages with a sandbox use the lab layout (lesson | terminals): no table of contents and no
 * fixed navigation column; the lessons menu opens from the lesson's own toolbar instead. This also
 * checks what a schema cannot: a lesson sits in its track's folder and its prerequisites exist.
 */
export const onRequest = defineRouteMiddleware(async (context) => {
  const route = context.locals.starlightRoute;
  const entry = route.entry;
  const data = entry.data as Partial<LessonData> & typeof entry.data;
  if (!data.track) return; // Not a lesson (home, track pages, 404).

  const id = lessonId(entry.id);
  const file = entry.filePath ?? entry.id;
  if (id.split('/')[0] !== data.track) {
    throw new AstroError(
      `${file}: track is "${data.track}" but the file is in the folder "${id.split('/')[0]}".`,
      `Move the lesson to lessons/${data.track}/ or change its track; lesson ids (and their checks) follow the folder.`,
    );
  }
  for (const prerequisite of data.prerequisites ?? []) {
    if (!(await getEntry('docs', prerequisite))) {
      throw new AstroError(
        `${file}: prerequisites names "${prerequisite}", which is not a lesson.`,
        'A prerequisite is a lesson id: its path under lessons/ without extension, e.g. images/dockerfile-basics.',
      );
    }
  }

  if (!data.description && data.summary) {
    route.head.push({ tag: 'meta', attrs: { name: 'description', content: data.summary }, content: '' });
  }
  if (data.sandbox) {
    route.toc = undefined;
    route.hasSidebar = false;
  }
});
