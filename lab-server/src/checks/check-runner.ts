import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type Docker from 'dockerode';
import { isLabError } from '../errors/lab-error.ts';
import type { SessionRecord } from '../storage/lab-store.ts';
import { waitFor } from '../util/wait-for.ts';
import {
  type Check,
  type CheckContext,
  CheckFailure,
  type CheckNode,
  type CheckResult,
  type ExecOutput,
  type LessonChecks,
} from './check-types.ts';

/** What the runner needs from the sessions: commands and engine clients on one session's nodes. */
export interface SandboxAccess {
  exec(
    record: SessionRecord,
    node: string,
    argv: string[],
    options: { timeoutMs: number },
  ): Promise<ExecOutput>;
  nodeEngine(record: SessionRecord, node: string): Docker;
  /** The lab's NodeDown for a stopped node of the session, if one is stopped (why a check broke). */
  whyDown?(record: SessionRecord): Promise<Error | undefined>;
}

export interface CheckOutcome extends CheckResult {
  lesson: string;
  exercise: string;
  durationMs: number;
}

/** Finds every `*.checks.ts` under the lessons folder. */
export function findCheckFiles(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findCheckFiles(path));
    else if (entry.name.endsWith('.checks.ts')) out.push(path);
  }
  return out.sort();
}

/**
 * Runs lesson checks inside the lab server, against one session's own engines and nothing else. Check
 * code comes only from the repository's lessons; a check that throws or hangs becomes a failure that
 * says so, never a stuck spinner.
 */
export class CheckRunner {
  readonly #checks = new Map<string, LessonChecks>();
  readonly #access: SandboxAccess;
  readonly #timeoutMs: number;

  constructor(options: { access: SandboxAccess; timeoutMs?: number }) {
    this.#access = options.access;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Loads the checks of every lesson under `dir`. */
  async load(dir: string): Promise<number> {
    for (const file of findCheckFiles(dir)) {
      const module = (await import(pathToFileURL(file).href)) as { default?: LessonChecks };
      const checks = module.default;
      if (!checks?.lesson || typeof checks.exercises !== 'object') {
        throw new Error(`${file} must export default defineLessonChecks({ lesson, exercises })`);
      }
      this.#checks.set(checks.lesson, checks);
    }
    return this.#checks.size;
  }

  add(checks: LessonChecks): void {
    this.#checks.set(checks.lesson, checks);
  }

  lessons(): LessonChecks[] {
    return [...this.#checks.values()];
  }

  find(lesson: string, exercise: string): Check | undefined {
    return this.#checks.get(lesson)?.exercises[exercise];
  }

  async run(record: SessionRecord, lesson: string, exercise: string): Promise<CheckOutcome> {
    const started = Date.now();
    const check = this.find(lesson, exercise);
    const done = (result: CheckResult): CheckOutcome => ({
      ...result,
      lesson,
      exercise,
      durationMs: Date.now() - started,
    });
    if (!check)
      return done({ passed: false, reason: `this lab has no check for exercise ${exercise} of ${lesson}` });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            passed: false,
            reason: `the check itself did not finish within ${Math.round(this.#timeoutMs / 1000)} s; try again`,
          }),
        this.#timeoutMs,
      );
    });
    try {
      const result = await Promise.race([
        check(this.#context(record)).catch((err) => this.#explain(err, record)),
        deadline,
      ]);
      return done(result);
    } finally {
      clearTimeout(timer);
    }
  }

  async #explain(err: unknown, record: SessionRecord): Promise<CheckResult> {
    if (err instanceof CheckFailure) return { passed: false, reason: err.message };
    if (isLabError(err)) return { passed: false, reason: err.message };
    // A node's engine that does not answer: most often the node stopped while the check ran.
    const down = await this.#access.whyDown?.(record).catch(() => undefined);
    if (down) return { passed: false, reason: down.message };
    const message = err instanceof Error ? err.message : String(err);
    return { passed: false, reason: `the check itself failed (${message})` };
  }

  #context(record: SessionRecord): CheckContext {
    const nodes: Record<string, CheckNode> = {};
    for (const { name } of record.nodes) nodes[name] = this.#node(record, name);
    return {
      nodes,
      node: (name) => {
        const node = nodes[name];
        if (!node)
          throw new CheckFailure(
            `this sandbox has no node ${name} (it has ${Object.keys(nodes).join(', ')})`,
          );
        return node;
      },
      eventually: async (probe, options) =>
        waitFor(probe, {
          timeoutMs: options?.timeoutMs ?? 3000,
          intervalMs: options?.intervalMs ?? 200,
          what: 'a check',
          // Not there in time: `eventually` answers undefined, and the check says what is missing.
        }).catch(() => undefined),
    };
  }

  #node(record: SessionRecord, name: string): CheckNode {
    const exec = (command: string[] | string, options?: { timeoutMs?: number }) =>
      this.#access.exec(record, name, typeof command === 'string' ? ['sh', '-c', command] : command, {
        timeoutMs: options?.timeoutMs ?? 5000,
      });
    return {
      name,
      docker: this.#access.nodeEngine(record, name),
      exec,
      readFile: async (path) => {
        const r = await exec(['cat', '--', path]);
        return r.exitCode === 0 ? r.stdout : undefined;
      },
      http: async (port, path = '/', options) => {
        const url = `http://${options?.host ?? 'localhost'}:${port}${path.startsWith('/') ? path : `/${path}`}`;
        const r = await exec([
          'curl',
          '-s',
          '-m',
          '3',
          '--max-filesize',
          '1000000',
          '-w',
          '\n%{http_code}',
          url,
        ]);
        if (r.exitCode !== 0) return undefined;
        const cut = r.stdout.lastIndexOf('\n');
        return { status: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut) };
      },
    };
  }
}
