import type { LabEvent, LabStore } from '../storage/lab-store.ts';

export type EventListener = (event: LabEvent) => void;

/**
 * Session events (node up/down, expiry warning, ...): stored, then pushed to whoever listens on that
 * session's event WebSocket.
 */
export class SessionEvents {
  readonly #store: LabStore;
  readonly #clock: () => number;
  readonly #listeners = new Map<string, Set<EventListener>>();

  constructor(options: { store: LabStore; clock?: () => number }) {
    this.#store = options.store;
    this.#clock = options.clock ?? Date.now;
  }

  async publish(sessionId: string, type: string, data: Record<string, unknown> = {}): Promise<LabEvent> {
    const event = await this.#store.appendEvent({ sessionId, at: this.#clock(), type, data });
    for (const listener of this.#listeners.get(sessionId) ?? []) {
      try {
        listener(event);
      } catch {
        // One broken listener must not stop the others.
      }
    }
    return event;
  }

  subscribe(sessionId: string, listener: EventListener): () => void {
    let set = this.#listeners.get(sessionId);
    if (!set) {
      set = new Set();
      this.#listeners.set(sessionId, set);
    }
    set.add(listener);
    return () => {
      set?.delete(listener);
      if (set?.size === 0) this.#listeners.delete(sessionId);
    };
  }

  /** How many listen to the session's events (its event WebSockets, the check watcher). */
  listenerCount(sessionId: string): number {
    return this.#listeners.get(sessionId)?.size ?? 0;
  }

  history(sessionId: string, afterId?: number, limit?: number): Promise<LabEvent[]> {
    return this.#store.listEvents(sessionId, { afterId, limit });
  }
}
