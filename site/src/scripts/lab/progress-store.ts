/**
 * The learner's progress, kept in this browser (localStorage) so it survives reloads and ended
 * sandboxes, and merged with what the lab server recorded (GET /api/progress) when it answers.
 * Other tabs hear about changes through the `storage` event; this tab through `dockside:progress`.
 */
import type { ProgressEntry } from './api-client.ts';

const KEY = 'dockside:progress:v1';
export const PROGRESS_EVENT = 'dockside:progress';

export interface ExerciseProgress {
  passed: boolean;
  attempts: number;
  at: number;
}

export interface LessonProgress {
  exercises: Record<string, ExerciseProgress>;
  /** How many hints of each exercise the learner has revealed. */
  hints: Record<string, number>;
  /** Exercises whose solution the learner asked for. */
  solutions: Record<string, boolean>;
  /** When a lesson without exercises was marked as read. */
  readAt?: number;
}

interface ProgressFile {
  version: 1;
  lessons: Record<string, LessonProgress>;
}

export type LessonStatus = 'done' | 'partial' | 'new';

function load(): ProgressFile {
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) ?? 'null') as ProgressFile | null;
    if (parsed?.version === 1 && typeof parsed.lessons === 'object') return parsed;
  } catch {
    // Unreadable or blocked storage: start afresh rather than break the page.
  }
  return { version: 1, lessons: {} };
}

function save(file: ProgressFile): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(file));
  } catch {
    // Private mode or a full quota: progress lasts for this page only.
  }
  window.dispatchEvent(new CustomEvent(PROGRESS_EVENT));
}

function lessonOf(file: ProgressFile, lesson: string): LessonProgress {
  let entry = file.lessons[lesson];
  if (!entry) {
    entry = { exercises: {}, hints: {}, solutions: {} };
    file.lessons[lesson] = entry;
  }
  entry.exercises ??= {};
  entry.hints ??= {};
  entry.solutions ??= {};
  return entry;
}

export const progress = {
  lesson(lesson: string): LessonProgress {
    return lessonOf(load(), lesson);
  },

  recordCheck(lesson: string, exercise: string, passed: boolean, attempts?: number): ExerciseProgress {
    const file = load();
    const entry = lessonOf(file, lesson);
    const before = entry.exercises[exercise];
    const result: ExerciseProgress = {
      // Once done, an exercise stays done: a later failing check (the learner moved on) is not a loss.
      passed: passed || before?.passed === true,
      attempts: Math.max(attempts ?? 0, (before?.attempts ?? 0) + 1),
      at: Date.now(),
    };
    entry.exercises[exercise] = result;
    save(file);
    return result;
  },

  setHints(lesson: string, exercise: string, shown: number): void {
    const file = load();
    const entry = lessonOf(file, lesson);
    entry.hints[exercise] = Math.max(entry.hints[exercise] ?? 0, shown);
    save(file);
  },

  showSolution(lesson: string, exercise: string): void {
    const file = load();
    lessonOf(file, lesson).solutions[exercise] = true;
    save(file);
  },

  markRead(lesson: string): void {
    const file = load();
    lessonOf(file, lesson).readAt = Date.now();
    save(file);
  },

  /** done: every exercise passed (or read, for a lesson without any); partial: some progress. */
  status(lesson: string, exercises: string[]): { status: LessonStatus; done: number; total: number } {
    const entry = load().lessons[lesson];
    const done = exercises.filter((e) => entry?.exercises?.[e]?.passed).length;
    if (exercises.length === 0) return { status: entry?.readAt ? 'done' : 'new', done: 0, total: 0 };
    const started = Object.keys(entry?.exercises ?? {}).length > 0;
    return {
      status: done === exercises.length ? 'done' : started ? 'partial' : 'new',
      done,
      total: exercises.length,
    };
  },

  /** Adds what the lab server recorded for this learner (another browser, or a cleared storage). */
  merge(entries: ProgressEntry[]): void {
    const file = load();
    let changed = false;
    for (const e of entries) {
      const entry = lessonOf(file, e.lesson);
      const mine = entry.exercises[e.exercise];
      if (!mine || (e.passed && !mine.passed) || e.attempts > mine.attempts) {
        entry.exercises[e.exercise] = {
          passed: e.passed || mine?.passed === true,
          attempts: Math.max(e.attempts, mine?.attempts ?? 0),
          at: Math.max(e.at, mine?.at ?? 0),
        };
        changed = true;
      }
    }
    if (changed) save(file);
  },

  /** Calls `listener` when progress changes in this tab or another one. */
  subscribe(listener: () => void): () => void {
    const onStorage = (e: StorageEvent) => {
      if (e.key === KEY) listener();
    };
    window.addEventListener(PROGRESS_EVENT, listener);
    window.addEventListener('storage', onStorage);
    return () => {
      window.removeEventListener(PROGRESS_EVENT, listener);
      window.removeEventListener('storage', onStorage);
    };
  },
};
