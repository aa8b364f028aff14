import type { SessionRecord } from '../storage/lab-store.ts';
import type { NodeStops } from './node-stops.ts';
import type { NodeStatus, Provisioner } from './provisioner.ts';
import type { SessionEvents } from './session-events.ts';

/** What following the engine and living through its outages needs of the session manager. */
export interface EngineOutageDeps {
  provisioner: Provisioner;
  events: SessionEvents;
  stops: NodeStops;
  /** The live sessions. */
  sessions: () => Iterable<SessionRecord>;
  has: (sessionId: string) => boolean;
  status: (containerId: string) => Promise<NodeStatus | undefined>;
  /** Reports a failure no caller receives, with what was being done. */
  report: (context: Record<string, string>) => (err: unknown) => undefined;
}

/**
 * The sessions' side of the lab's engine: node up, down and out-of-memory events read from the engine
 * itself and told to learners, and an outage lived through (learners told at once, every node started
 * again when the engine is back).
 */
export class EngineOutage {
  readonly #d: EngineOutageDeps;
  /** Closes the engine's node events (set while they are followed). */
  #stopEvents: (() => void) | undefined;
  /** Why the lab's engine is unavailable, while it is (the API answers 503). */
  down: string | undefined;
  /** Called when the engine's event stream ends (the engine may have gone: the monitor looks at once). */
  onEventsEnded: (() => void) | undefined;

  constructor(deps: EngineOutageDeps) {
    this.#d = deps;
  }

  /** Follows node events from the engine. */
  async watch(): Promise<void> {
    const { provisioner, events, stops } = this.#d;
    const close = await provisioner.watchNodeEvents(
      (e) => {
        if (!this.#d.has(e.sessionId)) return;
        const type = e.status === 'start' ? 'node-up' : e.status === 'oom' ? 'node-oom' : 'node-down';
        stops.noteEvent(e.containerId, e.status, e.exitCode);
        void events
          .publish(e.sessionId, type, {
            node: e.node,
            ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}),
          })
          .catch(this.#d.report({ session: e.sessionId, node: e.node, operation: type }));
      },
      () => {
        if (this.#stopEvents !== close) return; // Replaced or closed on purpose.
        this.#stopEvents = undefined;
        this.onEventsEnded?.();
      },
    );
    this.#stopEvents = close;
  }

  /** Closes the engine's event stream on purpose (its end then signals no outage). */
  stopWatching(): void {
    const close = this.#stopEvents;
    this.#stopEvents = undefined;
    close?.();
  }

  /** The engine stopped answering: every learner is told, before their terminals drop. */
  async lost(reason: string): Promise<void> {
    this.down = reason;
    for (const record of this.#d.sessions()) {
      await this.#d.events
        .publish(record.id, 'engine-down', {
          message: "The lab's Docker engine stopped; your nodes will be started again as soon as it is back.",
        })
        .catch(this.#d.report({ session: record.id, operation: 'announce the engine outage' }));
    }
  }

  /**
   * The engine answers again after a restart (which stopped every node): follow its events anew and
   * start each node of each live session, its disk mounted first. Swarm state, images and containers
   * inside the nodes come back from their disks; containers inside a node restart only if they have a
   * restart policy.
   */
  async recovered(): Promise<void> {
    this.stopWatching();
    await this.watch();
    // Every session at once: a room of learners waits on the slowest, not on the sum.
    await Promise.all(
      [...this.#d.sessions()]
        .filter((record) => record.state === 'ready')
        .map((record) => this.#recover(record)),
    );
    this.down = undefined;
  }

  async #recover(record: SessionRecord): Promise<void> {
    const { provisioner, report } = this.#d;
    const restarted: string[] = [];
    const failed: string[] = [];
    for (const node of record.nodes) {
      // A node stopped on purpose (by the learner, or by the disk watchdog) stays down.
      if ((await this.#d.status(node.containerId))?.running || this.#d.stops.onPurpose(node.containerId))
        continue;
      try {
        await provisioner.startNode(record.id, node.name, node.containerId);
        restarted.push(node.name);
      } catch (err) {
        // Said to the learner in the engine-restarted event below.
        report({ session: record.id, node: node.name, operation: 'start after the outage' })(err);
        failed.push(node.name);
      }
    }
    await Promise.all(
      restarted.map((n) =>
        provisioner
          .waitForNodeEngine(record.id, n, 60_000)
          .catch(report({ session: record.id, node: n, operation: 'wait for the engine after the outage' })),
      ),
    );
    await this.#d.events
      .publish(record.id, 'engine-restarted', {
        restarted,
        failed,
        message: failed.length
          ? `The lab's Docker engine is back, but ${failed.join(', ')} could not start again: restart or remove ${failed.length > 1 ? 'them' : 'it'}.`
          : "The lab's Docker engine is back and your nodes run again; reconnect your terminals.",
      })
      .catch(report({ session: record.id, operation: 'announce the recovery' }));
  }
}
