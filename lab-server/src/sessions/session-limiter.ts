import { CapacityReached, RateLimited, TooManySessions } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import { TEMPLATES } from '../protocol/templates.ts';
import type { SessionRecord } from '../storage/lab-store.ts';

export interface SessionLimits {
  /** Sandboxes running at once on this lab. */
  maxSessions: number;
  /** Sandboxes one learner may hold at once. */
  maxSessionsPerOwner: number;
  /** New sandboxes per client address per minute (a workshop room often shares one address). */
  createsPerAddressPerMinute: number;
  maxNodesPerSession: number;
  /** Nodes running at once on this lab, all sandboxes together. */
  maxLabNodes: number;
}

const MINUTE = 60_000;

/**
 * Decides whether a new sandbox or node may start, and says which limit refuses it: the lab's
 * sandboxes and nodes, the learner's sandboxes, and creations per client address per minute.
 */
export class SessionLimiter {
  readonly limits: SessionLimits;
  readonly #clock: () => number;
  /** When each address created sandboxes, within the last minute. */
  readonly #createdBy = new Map<string, number[]>();

  constructor(limits: SessionLimits, clock: () => number) {
    this.limits = limits;
    this.#clock = clock;
  }

  /** Throws the catalog error of the first limit a new sandbox of `nodes` nodes would pass. */
  admit(sessions: SessionRecord[], ownerHash: string, address: string, nodes: number): void {
    const now = this.#clock();
    if (sessions.length >= this.limits.maxSessions) {
      throw new LabError(CapacityReached, {
        active: sessions.length,
        max: this.limits.maxSessions,
        unit: 'sandboxes',
      });
    }
    this.admitNodes(sessions, nodes);
    if (sessions.filter((s) => s.ownerHash === ownerHash).length >= this.limits.maxSessionsPerOwner) {
      throw new LabError(TooManySessions, { max: this.limits.maxSessionsPerOwner });
    }
    const recent = (this.#createdBy.get(address) ?? []).filter((t) => now - t < MINUTE);
    this.#createdBy.set(address, recent);
    if (recent.length >= this.limits.createsPerAddressPerMinute) {
      const retryAfterSeconds = Math.ceil((MINUTE - (now - (recent[0] ?? now))) / 1000);
      throw new LabError(RateLimited, {
        perMinute: this.limits.createsPerAddressPerMinute,
        retryAfterSeconds,
      });
    }
  }

  /** The lab-wide node cap: nodes of sandboxes being made count as soon as they are asked for. */
  admitNodes(sessions: SessionRecord[], wanted: number): void {
    let active = 0;
    for (const s of sessions)
      active += s.state === 'creating' ? (TEMPLATES[s.template]?.nodes ?? 0) : s.nodes.length;
    if (active + wanted > this.limits.maxLabNodes) {
      throw new LabError(CapacityReached, { active, max: this.limits.maxLabNodes, unit: 'nodes', wanted });
    }
  }

  /** Counts a creation against its address (refused ones never count). */
  created(address: string): void {
    this.#createdBy.set(address, [...(this.#createdBy.get(address) ?? []), this.#clock()]);
  }
}
