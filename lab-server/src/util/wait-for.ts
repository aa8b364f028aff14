import { WaitTimedOut } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';

export interface WaitOptions {
  timeoutMs: number;
  /** Said in the error when the deadline passes: "engine on node1". */
  what: string;
  intervalMs?: number;
  /** Stops waiting early with this error (a crashed process will never answer). */
  abort?: () => Error | undefined;
}

/** Calls `probe` until it resolves truthy, or fails with a message naming what it waited for. */
type Falsy = false | 0 | '' | null | undefined;

export async function waitFor<T>(
  probe: () => Promise<T> | T,
  options: WaitOptions,
): Promise<Exclude<T, Falsy>> {
  const deadline = Date.now() + options.timeoutMs;
  let interval = options.intervalMs ?? 50;
  let last: string | undefined;
  for (;;) {
    const aborted = options.abort?.();
    if (aborted) throw aborted;
    try {
      const value = await probe();
      if (value) return value as Exclude<T, Falsy>;
      last = undefined;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      throw new LabError(WaitTimedOut, { what: options.what, timeoutMs: options.timeoutMs, last });
    }
    await new Promise((r) => setTimeout(r, interval));
    interval = Math.min(interval * 1.5, 1000);
  }
}
