import { defineCollection } from 'astro:content';
import { docsSchema } from '@astrojs/starlight/schema';
import { glob } from 'astro/loaders';
import { LessonSchema } from './schemas/lesson.ts';

/**
 * Starlight's `docs` collection holds the lessons, read from the repository's top-level `lessons/`
 * folder (the lab server reads the same files for their exercises and checks). English lessons are at
 * the root, translations under `lessons/fr/`. Files starting with `_` are drafts left out of the site.
 */
export const collections = {
  docs: defineCollection({
    loader: glob({ base: '../lessons', pattern: ['**/[^_]*.{md,mdx}', '!**/README.md'] }),
    schema: docsSchema({ extend: LessonSchema }),
  }),
};
