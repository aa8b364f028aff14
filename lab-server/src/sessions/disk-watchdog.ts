import type Docker from 'dockerode';
import { runCommand } from '../util/run-command.ts';

/** What a node stopped over its cap may write after a restart before it is stopped again. */
const RESTART_ALLOWANCE_BYTES = 64 * 2 ** 20;

/** A node the watchdog looks at. */
export interface WatchedNode {
  sessionId: string;
  node: string;
  containerId: string;
}

/** What the watchdog found when it stops a node. */
export interface OverCap {
  usedBytes: number;
  capBytes: number;
}

/**
 * Watches what each running node writes to its own file system (its container's writable layer: apt
 * installs, files in /root, /tmp), which no file system of fixed size bounds (/var/lib/docker has one,
 * node-disks.ts) and which this host cannot cap with quotas. A node past its cap is stopped, once per
 * excess: restarted, it may delete files and carry on; only writing beyond the size it was stopped at
 * stops it again.
 */
export class DiskWatchdog {
  readonly #docker: Docker;
  readonly #nodes: () => WatchedNode[];
  readonly #capBytes: number;
  readonly #onOverCap: (node: WatchedNode, found: OverCap) => Promise<void>;
  readonly #onError: (err: unknown) => void;
  /** Usage a node was stopped at, while it stays over its cap. */
  readonly #stoppedAt = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: {
    docker: Docker;
    nodes: () => WatchedNode[];
    capBytes: number;
    onOverCap: (node: WatchedNode, found: OverCap) => Promise<void>;
    onError?: (err: unknown) => void;
  }) {
    this.#docker = options.docker;
    this.#nodes = options.nodes;
    this.#capBytes = options.capBytes;
    this.#onOverCap = options.onOverCap;
    this.#onError = options.onError ?? (() => undefined);
  }

  start(intervalMs: number): void {
    this.#timer = setInterval(() => {
      // One round at a time: a slow disk must not pile rounds up.
      this.#running ??= this.checkOnce()
        .catch(this.#onError)
        .finally(() => {
          this.#running = undefined;
        });
    }, intervalMs);
    this.#timer.unref();
  }

  /** Measures every running node once and stops those past their cap; returns when done. */
  async checkOnce(): Promise<void> {
    const live = new Set<string>();
    for (const node of this.#nodes()) {
      live.add(node.containerId);
      try {
        const used = await this.#measure(node.containerId);
        if (used === undefined) continue;
        if (used <= this.#capBytes) {
          this.#stoppedAt.delete(node.containerId);
          continue;
        }
        // Restarted over its cap: it runs while the learner cleans up. A node starting writes a little
        // (logs, pid files), so only a real amount more stops it again.
        const before = this.#stoppedAt.get(node.containerId);
        if (before !== undefined && used <= before + RESTART_ALLOWANCE_BYTES) continue;
        this.#stoppedAt.set(node.containerId, used);
        await this.#onOverCap(node, { usedBytes: used, capBytes: this.#capBytes });
      } catch (err) {
        this.#onError(err);
      }
    }
    for (const id of [...this.#stoppedAt.keys()]) if (!live.has(id)) this.#stoppedAt.delete(id);
  }

  /** Bytes in a running node's writable layer; undefined when it is not running or has gone. */
  async #measure(containerId: string): Promise<number | undefined> {
    const info = await this.#docker
      .getContainer(containerId)
      .inspect()
      .catch(() => undefined);
    if (!info?.State.Running) return undefined;
    const upper = (info.GraphDriver?.Data as { UpperDir?: string } | undefined)?.UpperDir;
    if (!upper) return undefined; // A storage driver without an upper dir: nothing to measure.
    // -x: mounts inside the layer (none on the host side) are not counted; nice: never starve learners.
    const r = await runCommand('nice', ['-n', '10', 'du', '-s', '-x', '-B1', upper]);
    const bytes = Number(r.stdout.split(/\s/)[0]);
    if (!Number.isFinite(bytes)) throw new Error(`du could not measure ${upper}: ${r.stderr.trim()}`);
    return bytes;
  }

  dispose(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
