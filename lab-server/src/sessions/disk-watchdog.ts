import type { DiskStopReason } from '../protocol/events.ts';
import type { BigFile, NodeFiles } from './node-files.ts';

/**
 * What a node stopped over its cap may write after a restart, over what it held once stopped: a
 * starting node writes logs and pid files, and a learner's first commands may write a little.
 */
export const RESTART_ALLOWANCE_BYTES = 64 * 2 ** 20;

/** A node the watchdog looks at. */
export interface WatchedNode {
  sessionId: string;
  node: string;
  containerId: string;
}

/**
 * Why a node is stopped: `cap` its files passed the cap; `grace-ended` still over it when the grace
 * window after a restart ended; `ceiling` it kept writing during that window, past the hard ceiling.
 */
export type { DiskStopReason };

/** A node stopped by the watchdog, measured once nothing in it writes any more. */
export interface DiskStopped {
  reason: DiskStopReason;
  usedBytes: number;
  capBytes: number;
  /** What it may hold during the grace window of its next run. */
  ceilingBytes: number;
}

/** A node over its cap that runs in its grace window after a restart. */
export interface DiskWarning {
  usedBytes: number;
  capBytes: number;
  ceilingBytes: number;
  /** What to delete to get back under the cap. */
  freeBytes: number;
  /** When the node is stopped again if it is still over its cap (ms since the epoch). */
  graceEndsAt: number;
  largest: BigFile[];
}

/** What the watchdog asks of the lab. */
export interface DiskWatchdogHooks {
  /** Stops the node (resolves once it has stopped); the reason answers whoever races the stop. */
  stop(node: WatchedNode, reason: DiskStopReason): Promise<void>;
  /** The node was stopped: tell the learner why, with what it holds now. */
  stopped(node: WatchedNode, found: DiskStopped): Promise<void>;
  /** Restarted over its cap: tell the learner how much to free, by when, and where. */
  warn(node: WatchedNode, warning: DiskWarning): Promise<void>;
  /** Back under its cap after a stop: the warning no longer holds. */
  recovered(node: WatchedNode, found: { usedBytes: number; capBytes: number }): Promise<void>;
}

/** A node the watchdog stopped and which has not come back under its cap since. */
interface Excess {
  ceilingBytes: number;
  /** The run that was stopped (its StartedAt). */
  stoppedRun: string;
  /** The run being given a grace window, when it ends, and whether its warning went out. */
  graceRun?: string;
  graceEndsAt?: number;
  warned?: boolean;
}

/**
 * Watches what each running node writes to its own file system, which no file system of fixed size
 * bounds (/var/lib/docker has one, node-disks.ts) and which this host cannot cap with quotas.
 *
 * A node past its cap is stopped, and measured again once stopped (a writer goes on writing until the
 * stop lands). Restarted (by the learner, the lab or an engine recovery), it gets a grace window to
 * delete files, with a warning that says how much and where; the hard ceiling (what it held once
 * stopped, plus a small allowance) holds through the window, so a writer never runs free. Still over
 * the cap when the window ends, it is stopped again.
 */
export interface DiskWatchdogOptions {
  files: NodeFiles;
  /** The nodes to watch, asked afresh every round. */
  nodes: () => WatchedNode[];
  capBytes: number;
  graceMs: number;
  hooks: DiskWatchdogHooks;
  onError?: (err: unknown) => void;
  clock?: () => number;
}

export class DiskWatchdog {
  readonly #o: Required<DiskWatchdogOptions>;
  readonly #excess = new Map<string, Excess>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: DiskWatchdogOptions) {
    this.#o = { ...options, onError: options.onError ?? (() => undefined), clock: options.clock ?? Date.now };
  }

  start(intervalMs: number): void {
    this.#timer = setInterval(() => {
      // One round at a time: a slow disk must not pile rounds up.
      this.#running ??= this.checkOnce()
        .catch(this.#o.onError)
        .finally(() => {
          this.#running = undefined;
        });
    }, intervalMs);
    this.#timer.unref();
  }

  /** Measures every running node once and acts on what it finds; returns when done. */
  async checkOnce(): Promise<void> {
    const live = new Set<string>();
    for (const node of this.#o.nodes()) {
      live.add(node.containerId);
      try {
        await this.#look(node);
      } catch (err) {
        this.#o.onError(err);
      }
    }
    for (const id of [...this.#excess.keys()]) if (!live.has(id)) this.#excess.delete(id);
  }

  async #look(node: WatchedNode): Promise<void> {
    const run = await this.#o.files.run(node.containerId);
    if (!run?.running) return;
    const used = await this.#o.files.usedBytes(node.containerId);
    if (used === undefined) return;
    const excess = this.#excess.get(node.containerId);
    if (used <= this.#o.capBytes) {
      if (!excess) return;
      this.#excess.delete(node.containerId);
      await this.#o.hooks.recovered(node, { usedBytes: used, capBytes: this.#o.capBytes });
      return;
    }
    // Over the cap for the first time, or still in the run that was stopped (the stop did not land).
    if (!excess || run.startedAt === excess.stoppedRun) return this.#stop(node, 'cap');
    const now = this.#o.clock();
    if (excess.graceRun !== run.startedAt) {
      // A new run since the stop: its grace window starts now.
      excess.graceRun = run.startedAt;
      excess.graceEndsAt = now + this.#o.graceMs;
      excess.warned = false;
    }
    if (used > excess.ceilingBytes) return this.#stop(node, 'ceiling');
    if (now >= (excess.graceEndsAt ?? now)) return this.#stop(node, 'grace-ended');
    if (excess.warned) return;
    excess.warned = true;
    await this.#o.hooks.warn(node, {
      usedBytes: used,
      capBytes: this.#o.capBytes,
      ceilingBytes: excess.ceilingBytes,
      freeBytes: used - this.#o.capBytes,
      graceEndsAt: excess.graceEndsAt ?? now,
      // The warning goes out without the file list rather than not at all.
      largest: await this.#o.files.largest(node.containerId, 5).catch(() => []),
    });
  }

  async #stop(node: WatchedNode, reason: DiskStopReason): Promise<void> {
    await this.#o.hooks.stop(node, reason);
    // Measured once stopped: whatever was writing has written all it will.
    const [after, run] = await Promise.all([
      this.#o.files.usedBytes(node.containerId),
      this.#o.files.run(node.containerId),
    ]);
    if (after === undefined || !run) return; // Removed meanwhile.
    const ceilingBytes = after + RESTART_ALLOWANCE_BYTES;
    this.#excess.set(node.containerId, { ceilingBytes, stoppedRun: run.startedAt });
    await this.#o.hooks.stopped(node, { reason, usedBytes: after, capBytes: this.#o.capBytes, ceilingBytes });
  }

  dispose(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
