import { defineCollection } from 'astro:content';
import { docsSchema } from '@astrojs/starlight/schema';
import { glob } from 'astro/loaders';
import { LESSON_GLOBS } from '../../lab-server/src/protocol/lesson-files.ts';
import { LessonSchema } from './schemas/lesson.ts';

/**
 * Starlight's `docs` collection holds the lessons, read from the repository's top-level `lessons/`
 * folder (the lab server reads the same files for their exercises and checks). English lessons are at
 * the root, translations under `lessons/fr/`. Which files are lessons, and their ids, follow the rules the
 * lab server reads them by (lab-server/src/protocol/lesson-files.ts): `_draft.mdx` files are left out.
 */
export const collections = {
  docs: defineCollection({
    loader: glob({ base: '../lessons', pattern: LESSON_GLOBS }),
    schema: docsSchema({ extend: LessonSchema }),
  }),
};
