import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LabError } from '../errors/lab-error.ts';
import { LabIdInUse } from '../errors/peer-errors.ts';
import type { Health } from '../protocol/health.ts';
import type { LabRecord, LabStore } from '../storage/lab-store.ts';

/**
 * This lab's hold on its id in the shared store: claimed at start (a second live lab with the same id is
 * refused), renewed while it runs, let go when it stops. A lab that dies holds it until the lease runs
 * out; the other labs then list it as down, and its sessions wait for it, untouched.
 */
export class LabLease {
  /**
   * This process's token (`host:pid:random`): a restart of the same lab is a new holder, and a holder
   * on this host whose process is gone is known dead.
   */
  readonly holder = `${hostname()}:${process.pid}:${randomUUID()}`;
  readonly #store: LabStore;
  readonly #lab: Pick<LabRecord, 'id' | 'address' | 'publicUrl'>;
  readonly #leaseMs: number;
  readonly #clock: () => number;
  readonly #startedAt: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: {
    store: LabStore;
    lab: Pick<LabRecord, 'id' | 'address' | 'publicUrl'>;
    /** How long a lease lasts without renewal: how soon a dead lab's id is free again. */
    leaseMs?: number;
    clock?: () => number;
  }) {
    this.#store = options.store;
    this.#lab = options.lab;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#clock = options.clock ?? Date.now;
    this.#startedAt = this.#clock();
  }

  get id(): string {
    return this.#lab.id;
  }

  /** Takes the id, or fails with LabIdInUse naming the live holder. */
  async claim(): Promise<void> {
    const now = this.#clock();
    const record: LabRecord = {
      ...this.#lab,
      holder: this.holder,
      startedAt: this.#startedAt,
      heartbeatAt: now,
      leaseUntil: now + this.#leaseMs,
    };
    let result = await this.#store.claimLab(record);
    if (!result.claimed && deadHere(result.holder.holder)) {
      // The lab was killed on this machine moments ago (kill -9, out of memory): no need to wait.
      result = await this.#store.claimLab(record, { replacing: result.holder.holder });
    }
    if (!result.claimed) {
      throw new LabError(LabIdInUse, {
        id: this.#lab.id,
        address: result.holder.address,
        untilSeconds: Math.max(0, Math.ceil((result.holder.leaseUntil - now) / 1000)),
      });
    }
  }

  /**
   * Renews the lease every third of its length. `onError` hears a renewal that failed (the database
   * away, or the id taken while this lab stalled past its lease); `onRenewed` follows each success.
   */
  keep(hooks: { onError: (err: unknown) => void; onRenewed?: () => Promise<void> }): void {
    this.#timer = setInterval(
      () =>
        void this.claim()
          .then(() => hooks.onRenewed?.())
          .catch(hooks.onError),
      Math.round(this.#leaseMs / 3),
    );
    this.#timer.unref();
  }

  /** Stops renewing and frees the id at once (a clean stop). */
  async release(): Promise<void> {
    clearInterval(this.#timer);
    await this.#store.releaseLab(this.#lab.id, this.holder);
  }
}

/** Whether a holder token names a process of this host that no longer runs. */
function deadHere(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname() || !/^\d+$/.test(pid ?? '') || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A lab as /api/health lists it: up while its lease runs. */
export type LabView = NonNullable<Health['labs']>[number];

export async function listLabViews(store: LabStore, selfId: string, now = Date.now()): Promise<LabView[]> {
  return (await store.listLabs()).map((l) => ({
    id: l.id,
    address: l.address,
    publicUrl: l.publicUrl,
    up: l.leaseUntil > now,
    self: l.id === selfId,
    heartbeatAt: l.heartbeatAt,
  }));
}
