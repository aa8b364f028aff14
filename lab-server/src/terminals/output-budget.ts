/**
 * The terminal output the whole lab streams per second, shared by every shell. Streaming a terminal
 * costs CPU in dockerd, the shim and the lab server (about one core for 35 MB/s here), so without a
 * budget a room of `yes` floods takes the machine from everyone: a new sandbox could not even start.
 * A token bucket: each chunk read from a shell spends its size; a shell that overdraws pauses and
 * waits its turn (first come, first served), so floods share the budget. A shell that has streamed
 * little lately (typing, a prompt, a short listing) is never made to wait, even when floods have
 * overdrawn the budget: keystrokes echo at once however busy the room is.
 */
export class OutputBudget {
  readonly #rate: number;
  readonly #burst: number;
  readonly #clock: () => number;
  #tokens: number;
  #at: number;
  readonly #waiting = new Set<() => void>();
  #timer: NodeJS.Timeout | undefined;
  readonly #interactive: number;
  readonly #usage = new WeakMap<object, { bytes: number; at: number }>();

  constructor(options: {
    bytesPerSecond: number;
    burstBytes?: number;
    /** A reader whose decaying usage (about the last second) is under this is never throttled. */
    interactiveBytes?: number;
    clock?: () => number;
  }) {
    this.#interactive = options.interactiveBytes ?? 64 * 1024;
    this.#rate = options.bytesPerSecond;
    this.#burst = options.burstBytes ?? Math.max(256 * 1024, options.bytesPerSecond / 4);
    this.#clock = options.clock ?? Date.now;
    this.#tokens = this.#burst;
    this.#at = this.#clock();
  }

  /**
   * Spends `bytes` for `reader`; false when the budget is overdrawn and the reader must pause and
   * `wait`. An interactive reader always gets true (its bytes still count against the budget).
   */
  spend(bytes: number, reader: object = this): boolean {
    this.#refill();
    this.#tokens -= bytes;
    const now = this.#clock();
    const before = this.#usage.get(reader);
    const usage = (before ? before.bytes * Math.exp(-(now - before.at) / 1000) : 0) + bytes;
    this.#usage.set(reader, { bytes: usage, at: now });
    return this.#tokens >= 0 || usage <= this.#interactive;
  }

  /** Calls `resume` once it is this waiter's turn; the returned function cancels the wait. */
  wait(resume: () => void): () => void {
    this.#waiting.add(resume);
    this.#schedule();
    return () => {
      this.#waiting.delete(resume);
    };
  }

  get waiting(): number {
    return this.#waiting.size;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#waiting.clear();
  }

  #refill(): void {
    const now = this.#clock();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
  }

  #schedule(): void {
    if (this.#timer || this.#waiting.size === 0) return;
    this.#refill();
    const delayMs = this.#tokens > 0 ? 0 : Math.ceil((-this.#tokens / this.#rate) * 1000) + 1;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#refill();
      // One waiter per positive balance: each spends its next chunk, and the rest keep their turn.
      for (const resume of this.#waiting) {
        if (this.#tokens <= 0) break;
        this.#waiting.delete(resume);
        resume();
        this.#tokens -= 16 * 1024; // What it will read before it spends for real.
      }
      this.#schedule();
    }, delayMs);
    this.#timer.unref?.();
  }
}
