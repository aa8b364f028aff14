/**
 * The lab server's HTTP API, shared by the server (which validates every request with these schemas)
 * and the site. docs/api.md describes each route.
 */
import { z } from 'zod';
import { EXERCISE_ID, LESSON_ID, NODE_NAME, SESSION_ID } from './names.ts';
import { TEMPLATE_NAMES } from './templates.ts';

export type { CheckEventData, SessionEvent } from './events.ts';

/** 128 random bits as 32 hexadecimal characters (sessions made before were 16; they are still read). */
export const SessionId = z.string().regex(SESSION_ID, 'a session id is 32 hexadecimal characters');
export const NodeName = z.string().regex(NODE_NAME, 'a node name is node1, node2, ...');

/** POST /api/sessions */
export const CreateSessionRequest = z
  .object({
    /** A template name: single, trio, swarm-3, swarm-5, blank-5. */
    template: z.enum(TEMPLATE_NAMES),
    /** true (default): answer when the sandbox is ready; false: answer at once, follow the events. */
    wait: z.boolean().default(true),
  })
  .strict();

/** POST /api/sessions/:id/nodes/:node/exec: exactly one of argv and command. */
export const ExecRequest = z
  .object({
    /** The program and its arguments, run without a shell. */
    argv: z.array(z.string().max(8192)).min(1).max(256).optional(),
    /** A shell command line, run with `sh -c`. */
    command: z.string().min(1).max(16384).optional(),
    /** Given to the command's standard input. */
    stdin: z
      .string()
      .max(1024 * 1024)
      .optional(),
    /** Killed after this long (default 10 s, at most 120 s). */
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  })
  .strict()
  .refine((r) => (r.argv === undefined) !== (r.command === undefined), {
    message: 'give exactly one of argv and command',
  });

export type CreateSessionRequest = z.infer<typeof CreateSessionRequest>;
export type ExecRequest = z.infer<typeof ExecRequest>;

export interface PublishedPort {
  /** The port on the node (what a preview address names). */
  port: number;
  /** The container inside the node that publishes it. */
  container: string;
  image: string;
  /** Where the browser opens it through the lab's preview proxy. */
  previewUrl?: string;
}

export interface NodeView {
  name: string;
  role: 'manager' | 'worker' | 'none';
  /** The node container's state: running, exited, restarting, missing, ... */
  state: string;
  address: string;
  ports: PublishedPort[];
  /** How full the node's /var/lib/docker is (its own file system of a fixed size), when it has one. */
  disk?: { usedBytes: number; capBytes: number };
}

export interface SessionView {
  id: string;
  template: string;
  state: 'creating' | 'ready' | 'failed' | 'deleting';
  createdAt: number;
  /** When the session ends if nothing happens (the earlier of the idle and maximum-age deadlines). */
  expiresAt: number;
  /** Secret that names this session in preview addresses. */
  previewToken: string;
  nodes: NodeView[];
}

export interface ExecResponse {
  exitCode: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
  durationMs: number;
}

export interface ApiError {
  /** Permanent name from the error catalog, e.g. SessionNotFound. */
  error: string;
  message: string;
  hint?: string;
}

/** POST /api/sessions/:id/checks */
export const CheckRequest = z
  .object({
    /** The lesson's content id, e.g. images/dockerfile-basics. */
    lesson: z.string().regex(LESSON_ID, 'a lesson id'),
    exercise: z.string().regex(EXERCISE_ID, 'an exercise id'),
  })
  .strict();
export type CheckRequest = z.infer<typeof CheckRequest>;

export interface CheckResponse {
  lesson: string;
  exercise: string;
  passed: boolean;
  /** One line in the learner's terms. */
  reason: string;
  /** How many times this learner has checked this exercise, this one included. */
  attempts: number;
  at: number;
  durationMs: number;
}

/** POST /api/sessions/:id/watch: re-evaluate the lesson's `watch` exercises on sandbox events. */
export const WatchRequest = z
  .object({
    /** The lesson whose watched exercises turn green by themselves; null stops watching. */
    lesson: z.string().regex(LESSON_ID, 'a lesson id').nullable(),
  })
  .strict();
export type WatchRequest = z.infer<typeof WatchRequest>;

export interface WatchResponse {
  lesson: string | null;
  /** The exercises now watched: the lesson's `watch` exercises the learner has not passed yet. */
  exercises: string[];
}

export interface ProgressEntry {
  lesson: string;
  exercise: string;
  passed: boolean;
  attempts: number;
  at: number;
}
