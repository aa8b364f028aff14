import type { DownReason } from '../errors/catalog.ts';

/**
 * Why each stopped node stopped, by container id: kept so that whoever races a stop (an exec, a
 * terminal, a check) hears the lab's reason (NodeDown), and so that an engine recovery leaves down
 * the nodes stopped on purpose (by the learner, or by the disk watchdog).
 */
export class NodeStops {
  readonly #onPurpose = new Set<string>();
  readonly #reasons = new Map<string, DownReason>();

  /** The lab stops a node, and means it to stay down. */
  stopping(containerId: string, reason: DownReason): void {
    this.#onPurpose.add(containerId);
    this.#reasons.set(containerId, reason);
  }

  /** A better-known reason for a stop (the disk watchdog's figures, once measured). */
  explain(containerId: string, reason: DownReason): void {
    this.#reasons.set(containerId, reason);
  }

  /** The node is being started again: no reason holds any more. */
  restarting(containerId: string): void {
    this.#onPurpose.delete(containerId);
    this.#reasons.delete(containerId);
  }

  onPurpose(containerId: string): boolean {
    return this.#onPurpose.has(containerId);
  }

  reason(containerId: string): DownReason | undefined {
    return this.#reasons.get(containerId);
  }

  /** What the engine said of a node the lab did not stop itself (a start clears every reason). */
  noteEvent(containerId: string, status: 'start' | 'die' | 'oom', exitCode: number | undefined): void {
    if (status === 'start') this.#reasons.delete(containerId);
    else if (status === 'oom') this.#reasons.set(containerId, { kind: 'oom' });
    else if (!this.#reasons.has(containerId))
      this.#reasons.set(containerId, { kind: 'exited', ...(exitCode !== undefined ? { exitCode } : {}) });
  }
}
