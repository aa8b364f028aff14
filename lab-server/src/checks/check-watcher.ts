import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { SessionEvents } from '../sessions/session-events.ts';
import type { LabStore, SessionRecord } from '../storage/lab-store.ts';
import type { CheckRunner } from './check-runner.ts';

/** What the watcher needs from the sessions: a client on each node's inner engine. */
export interface WatchAccess {
  nodeEngine(record: SessionRecord, node: string): Docker;
}

export interface CheckWatcherOptions {
  runner: CheckRunner;
  access: WatchAccess;
  store: LabStore;
  events: SessionEvents;
  /** The exercises marked `watch: true`, by lesson id (from the lessons' frontmatter). */
  watched: ReadonlyMap<string, readonly string[]>;
  /** Sandbox events arriving within this time are evaluated together. */
  debounceMs?: number;
  /** Also re-evaluates this often, for state that emits no engine event (a file written). */
  pollMs?: number;
  onError?: (err: unknown) => void;
}

interface Watch {
  record: SessionRecord;
  lesson: string;
  /** Exercises still to turn green; a passed one is not evaluated again. */
  pending: Set<string>;
  streams: Map<string, Readable>;
  timer?: NodeJS.Timeout;
  poll?: NodeJS.Timeout;
  running: boolean;
  again: boolean;
  /** Evaluations finished so far. */
  evaluations: number;
  unsubscribe: () => void;
}

// The engine events that can change an exercise's outcome; the rest (exec_start, health checks...)
// would only wake the checks up for nothing.
const WATCHED_EVENTS = {
  container: ['start', 'die', 'destroy', 'create', 'rename', 'update'],
  image: ['build', 'tag', 'untag', 'pull', 'import', 'load', 'delete'],
  network: ['create', 'destroy', 'connect', 'disconnect'],
  volume: ['create', 'destroy', 'mount'],
  service: ['create', 'update', 'remove'],
  node: ['update', 'create', 'remove'],
} satisfies Record<string, string[]>;
type EventType = keyof typeof WATCHED_EVENTS;

/**
 * Live feedback: while a lesson page watches its sandbox, the exercises marked `watch` are evaluated
 * again whenever the sandbox's engines report a change (a container started, a service updated), and
 * a pass is recorded and pushed as a `check` event, so the panel turns green without a click. Only
 * passes are reported: a learner halfway through an exercise sees no failure they did not ask for.
 */
export class CheckWatcher {
  readonly #o: Required<Omit<CheckWatcherOptions, 'onError'>> & Pick<CheckWatcherOptions, 'onError'>;
  readonly #watches = new Map<string, Watch>();

  constructor(options: CheckWatcherOptions) {
    this.#o = { debounceMs: 500, pollMs: 5000, ...options };
  }

  /** The exercises of `lesson` that can be watched. */
  watchable(lesson: string): readonly string[] {
    return this.#o.watched.get(lesson) ?? [];
  }

  /**
   * Watches `lesson` on the session (replacing what it watched before) and evaluates once at once.
   * Exercises the learner has already passed are left alone. Returns the exercises watched.
   */
  async watch(record: SessionRecord, lesson: string): Promise<string[]> {
    this.unwatch(record.id);
    const done = new Set(
      (await this.#o.store.listProgress(record.ownerHash))
        .filter((p) => p.lesson === lesson && p.passed)
        .map((p) => p.exercise),
    );
    const pending = new Set(this.watchable(lesson).filter((e) => !done.has(e)));
    if (pending.size === 0) return [];
    const watch: Watch = {
      record,
      lesson,
      pending,
      streams: new Map(),
      running: false,
      again: false,
      evaluations: 0,
      unsubscribe: () => {},
    };
    this.#watches.set(record.id, watch);
    // A node that comes back (restarted, added, or after the lab's engine restarted, once every node's
    // engine answers) has a new engine: follow its events again.
    watch.unsubscribe = this.#o.events.subscribe(record.id, (event) => {
      if (event.type === 'session-ended') this.unwatch(record.id);
      else if (event.type === 'node-up' || event.type === 'node-added' || event.type === 'engine-restarted') {
        this.#follow(watch);
        this.#schedule(watch);
      }
    });
    this.#follow(watch);
    // Polling only while a page listens to the session's events (besides this watcher): a closed tab
    // must not keep running checks until the session expires.
    watch.poll = setInterval(() => {
      if (this.#o.events.listenerCount(record.id) > 1) this.#schedule(watch);
    }, this.#o.pollMs);
    watch.poll.unref();
    this.#schedule(watch, 0);
    return [...pending];
  }

  unwatch(sessionId: string): void {
    const watch = this.#watches.get(sessionId);
    if (!watch) return;
    this.#watches.delete(sessionId);
    watch.unsubscribe();
    clearTimeout(watch.timer);
    clearInterval(watch.poll);
    for (const stream of watch.streams.values()) stream.destroy();
    watch.streams.clear();
  }

  /** The lesson a session watches, if any, what is still pending, and how often it was evaluated. */
  status(sessionId: string): { lesson: string; pending: string[]; evaluations: number } | undefined {
    const watch = this.#watches.get(sessionId);
    return watch && { lesson: watch.lesson, pending: [...watch.pending], evaluations: watch.evaluations };
  }

  dispose(): void {
    for (const id of [...this.#watches.keys()]) this.unwatch(id);
  }

  #follow(watch: Watch): void {
    for (const { name } of watch.record.nodes) {
      if (watch.streams.has(name)) continue;
      let docker: Docker;
      try {
        docker = this.#o.access.nodeEngine(watch.record, name);
      } catch {
        continue; // Removed meanwhile.
      }
      // Held before the request is made, so two node-up events do not open two streams.
      const placeholder = { destroy: () => {} } as unknown as Readable;
      watch.streams.set(name, placeholder);
      docker
        .getEvents({ filters: { type: Object.keys(WATCHED_EVENTS) as EventType[] } })
        .then((stream) => {
          const current = this.#watches.get(watch.record.id);
          if (current !== watch || watch.streams.get(name) !== placeholder) {
            (stream as Readable).destroy();
            return;
          }
          const readable = stream as Readable;
          watch.streams.set(name, readable);
          let buffered = '';
          readable.on('data', (chunk: Buffer) => {
            buffered += chunk.toString('utf8');
            const lines = buffered.split('\n');
            buffered = lines.pop() ?? '';
            if (lines.some((line) => relevant(line))) this.#schedule(watch);
          });
          // The node stopped or restarted: its next node-up follows the new engine.
          const ended = () => {
            if (watch.streams.get(name) === readable) watch.streams.delete(name);
          };
          readable.on('end', ended);
          readable.on('close', ended);
          readable.on('error', ended);
        })
        .catch(() => {
          // The node's engine is not answering (stopped, restarting): the next node-up retries.
          if (watch.streams.get(name) === placeholder) watch.streams.delete(name);
        });
    }
  }

  #schedule(watch: Watch, delayMs = this.#o.debounceMs): void {
    if (this.#watches.get(watch.record.id) !== watch) return;
    if (watch.running) {
      watch.again = true;
      return;
    }
    // Already due: a steady stream of events must not push the evaluation back for ever.
    if (watch.timer && delayMs > 0) return;
    clearTimeout(watch.timer);
    watch.timer = setTimeout(() => {
      watch.timer = undefined;
      void this.#evaluate(watch);
    }, delayMs);
    watch.timer.unref();
  }

  async #evaluate(watch: Watch): Promise<void> {
    watch.running = true;
    watch.again = false;
    try {
      for (const exercise of [...watch.pending]) {
        if (this.#watches.get(watch.record.id) !== watch) return;
        const outcome = await this.#o.runner.run(watch.record, watch.lesson, exercise);
        if (!outcome.passed || this.#watches.get(watch.record.id) !== watch) continue;
        watch.pending.delete(exercise);
        const progress = await this.#o.store.recordCheck({
          ownerHash: watch.record.ownerHash,
          lesson: watch.lesson,
          exercise,
          passed: true,
          at: Date.now(),
        });
        await this.#o.events.publish(watch.record.id, 'check', {
          lesson: watch.lesson,
          exercise,
          passed: true,
          reason: outcome.reason,
          attempts: progress.attempts,
          watched: true,
        });
      }
      if (watch.pending.size === 0) this.unwatch(watch.record.id);
    } catch (err) {
      this.#o.onError?.(err);
    } finally {
      watch.running = false;
      watch.evaluations++;
      if (watch.again) this.#schedule(watch);
    }
  }
}

function relevant(line: string): boolean {
  if (!line.trim()) return false;
  try {
    const event = JSON.parse(line) as { Type?: string; Action?: string };
    const actions = (WATCHED_EVENTS as Record<string, string[]>)[event.Type ?? ''];
    // "exec_start: sh" and the like carry a suffix after a colon.
    const action = (event.Action ?? '').split(':')[0] ?? '';
    return actions?.includes(action) ?? false;
  } catch {
    // An event line that is not JSON wakes nothing.
    return false;
  }
}
