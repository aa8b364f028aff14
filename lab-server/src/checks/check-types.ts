/**
 * The API lesson checks are written against. A check reads the real state of the learner's sandbox
 * (engines, Swarm, files, what a server answers), never the commands typed, so any correct way of
 * solving an exercise passes. Checks live next to their lesson (`lessons/<track>/<lesson>.checks.ts`).
 */
import type Docker from 'dockerode';

export interface ExecOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One node of the learner's sandbox, as a check sees it. */
export interface CheckNode {
  name: string;
  /** A client on the Docker engine inside this node: containers, images, services, tasks, nodes, networks, volumes. */
  docker: Docker;
  /** Runs a program on the node (an argv array, or a string run with `sh -c`). */
  exec(command: string[] | string, options?: { timeoutMs?: number }): Promise<ExecOutput>;
  /** A file's text, or undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** An HTTP GET made from inside this node (so `localhost:8080` means this node's port 8080). */
  http(port: number, path?: string, options?: { host?: string }): Promise<HttpAnswer | undefined>;
}

export interface CheckContext {
  /** The sandbox's nodes by name: node1, node2, ... */
  nodes: Record<string, CheckNode>;
  /** Like `nodes[name]`, but fails the check with a clear reason when the node does not exist. */
  node(name: string): CheckNode;
  /** Retries `probe` until it returns something truthy or the time is up (then undefined). */
  eventually<T>(
    probe: () => Promise<T | undefined | false>,
    options?: { timeoutMs?: number; intervalMs?: number },
  ): Promise<T | undefined>;
}

export interface CheckResult {
  passed: boolean;
  /** One line in the learner's terms: "service web has 2 running tasks, 3 expected". */
  reason: string;
}

export type Check = (lab: CheckContext) => Promise<CheckResult>;

export interface LessonChecks {
  /** The lesson's content id, as the site knows it (its path under lessons/ without extension). */
  lesson: string;
  /** One check per exercise id of the lesson's frontmatter. */
  exercises: Record<string, Check>;
}

export const pass = (reason: string): CheckResult => ({ passed: true, reason });
export const fail = (reason: string): CheckResult => ({ passed: false, reason });

/** Declares a lesson's checks; the lab finds every `*.checks.ts` default export under lessons/. */
export function defineLessonChecks(checks: LessonChecks): LessonChecks {
  return checks;
}

/** Thrown by `lab.node(name)` and caught by the runner: the reason reaches the learner as it is. */
export class CheckFailure extends Error {}
