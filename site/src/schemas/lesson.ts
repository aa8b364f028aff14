/**
 * The frontmatter of a lesson (`lessons/<track>/<lesson>.mdx`), added to Starlight's own page
 * frontmatter (title, description, ...). Every field says what it is for, so an author's editor can
 * show it; a wrong field fails `astro build` with the file and the field named.
 */
import { z } from 'astro/zod';
// The same shapes the lab server accepts (protocol/api.ts): one definition for both.
import { EXERCISE_ID, LESSON_ID, NODE_NAME } from '../../../lab-server/src/protocol/names.ts';
import { TEMPLATE_NAMES, TEMPLATES } from '../../../lab-server/src/protocol/templates.ts';
import { TRACK_IDS } from '../data/tracks.ts';

const REQUIRED = ['summary', 'track', 'order', 'duration', 'level'] as const;
const FIELD_HELP: Record<(typeof REQUIRED)[number], string> = {
  summary: 'a summary (one or two sentences)',
  track: `a track (one of ${TRACK_IDS.join(', ')})`,
  order: 'an order (its position in the track: 1, 2, ...)',
  duration: 'a duration in minutes',
  level: 'a level (beginner, intermediate or advanced)',
};

const LESSON_FIELDS = [
  'page',
  'summary',
  'track',
  'order',
  'duration',
  'level',
  'prerequisites',
  'sandbox',
  'nodeControls',
  'exercises',
];
/** Starlight's own page fields (title, description, ...), validated by Starlight's schema. */
const STARLIGHT_FIELDS = [
  'title',
  'description',
  'editUrl',
  'head',
  'tableOfContents',
  'template',
  'hero',
  'lastUpdated',
  'prev',
  'next',
  'sidebar',
  'banner',
  'pagefind',
  'draft',
];
const KNOWN_FIELDS = new Set([...LESSON_FIELDS, ...STARLIGHT_FIELDS]);

export const ExerciseSchema = z
  .object({
    /**
     * Permanent id of the exercise within its lesson: lowercase letters, digits, `-` and `_`. The lab
     * server's check for it is `exercises[id]` in the lesson's `.checks.ts`; progress is kept under it.
     */
    id: z
      .string()
      .regex(EXERCISE_ID, 'an exercise id is lowercase letters, digits, - and _ (e.g. build-image)'),
    /** A short title, shown as the exercise's heading: "Build an image from a Dockerfile". */
    title: z.string().min(3),
    /**
     * What must be true of the sandbox for the check to pass, in the learner's terms. Inline
     * Markdown code spans (`docker ps`) and **bold** are rendered.
     */
    goal: z.string().min(10),
    /** Hints from gentle to explicit, revealed one by one after failed checks. At least one. */
    hints: z.array(z.string().min(3)).min(1, 'give at least one hint'),
    /**
     * The shell commands a learner would type, one per line. `npm run test:lessons` types them into a
     * fresh sandbox's terminal and expects the check to pass afterwards; learners can reveal it.
     */
    solution: z.string().min(1),
    /** The node whose terminal the solution is typed into. Default: node1. */
    node: z.string().regex(NODE_NAME, 'a node name is node1, node2, ...').optional(),
    /**
     * Live feedback: the lab re-evaluates this check whenever the sandbox changes (a container
     * started, a service updated, every few seconds for files) and the exercise turns green by
     * itself. For checks that are quick and harmless to run often.
     */
    watch: z.boolean().default(false),
  })
  .strict();

/** The lesson fields, all as a lesson must have them (the type lesson pages work with). */
export const LessonFieldsSchema = z.object({
  /**
   * One or two sentences that say what the learner will do and why; shown on track pages, on the
   * home page and under the lesson's title. Also the page's meta description when `description` is
   * not set.
   */
  summary: z.string().min(20).max(320),
  /** The track the lesson belongs to; the file must be in the folder of the same name. */
  track: z.enum(TRACK_IDS),
  /** Position in its track: 1 comes first. Orders the sidebar and previous/next links. */
  order: z.number().int().min(1).max(99),
  /** Minutes a learner needs, reading and exercises included. */
  duration: z.number().int().min(1).max(240),
  /** Who the lesson is for. */
  level: z.enum(['beginner', 'intermediate', 'advanced']),
  /** Lesson ids to follow first (their path under lessons/ without extension: images/dockerfile-basics). */
  prerequisites: z
    .array(z.string().regex(LESSON_ID, 'a lesson id such as images/dockerfile-basics'))
    .default([]),
  /**
   * The sandbox the learner starts next to the lesson: `single` (one node), `trio` (three nodes),
   * `swarm-3` (a Swarm of one manager and two workers), `swarm-5` (three managers, two workers) or
   * `blank-5` (five nodes). Leave it out for a lesson that is only read.
   */
  sandbox: z.enum(TEMPLATE_NAMES).optional(),
  /** What the lab panel lets the learner do to the sandbox's nodes during this lesson. */
  nodeControls: z
    .object({
      /** An "Add node" button (new nodes join the Swarm as workers when the template has one). */
      add: z.boolean().default(false),
      /** A "Restart" button on each node. */
      restart: z.boolean().default(true),
      /** A "Stop abruptly" button that kills a node as a failing machine would be (it stays down). */
      kill: z.boolean().default(false),
    })
    .strict()
    .default({}),
  /** The exercises checked against the learner's sandbox (1 to 3 for a hands-on lesson). */
  exercises: z.array(ExerciseSchema).max(6).default([]),
});

/**
 * The schema of the `docs` collection's extension. Every entry of the collection is a lesson, so the
 * required fields are required; the site's own pages (home, tracks, 404), rendered with
 * `<StarlightPage>` against the same schema, say `page: true` instead.
 */
export const LessonSchema = LessonFieldsSchema.partial({
  summary: true,
  track: true,
  order: true,
  duration: true,
  level: true,
})
  .extend({
    /** Only for the site's own pages rendered with `<StarlightPage>`: this is not a lesson. */
    page: z.literal(true).optional(),
  })
  // Unknown keys are kept here so that a misspelt field ("durations") is reported, not ignored.
  .passthrough()
  .superRefine((lesson, ctx) => {
    if (lesson.page) return;
    for (const field of REQUIRED) {
      if (lesson[field] === undefined) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [field],
          message: `a lesson needs ${FIELD_HELP[field]}`,
        });
      }
    }
    for (const key of Object.keys(lesson)) {
      if (!KNOWN_FIELDS.has(key)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [key],
          message: `unknown field "${key}" (lesson fields: ${LESSON_FIELDS.filter((f) => f !== 'page').join(', ')})`,
        });
      }
    }
    if (lesson.exercises.length > 0 && !lesson.sandbox) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['sandbox'],
        message: `this lesson has exercises, so it needs a sandbox (one of ${TEMPLATE_NAMES.join(', ')})`,
      });
    }
    const seen = new Set<string>();
    lesson.exercises.forEach((exercise, index) => {
      if (seen.has(exercise.id)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['exercises', index, 'id'],
          message: `exercise id "${exercise.id}" is used twice in this lesson`,
        });
      }
      seen.add(exercise.id);
      const nodes = lesson.sandbox ? (TEMPLATES[lesson.sandbox]?.nodes ?? 0) : 0;
      const node = Number(exercise.node?.slice(4) ?? 1);
      if (lesson.sandbox && node > nodes) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['exercises', index, 'node'],
          message: `the ${lesson.sandbox} sandbox has ${nodes} node${nodes === 1 ? '' : 's'}; there is no ${exercise.node}`,
        });
      }
    });
    if (lesson.nodeControls.add && !lesson.sandbox) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['nodeControls', 'add'],
        message: 'only a lesson with a sandbox can let learners add nodes',
      });
    }
  });

export type LessonData = z.output<typeof LessonFieldsSchema>;
export type Exercise = z.output<typeof ExerciseSchema>;
