import type Docker from 'dockerode';

/** What the monitor needs from the lab. */
export interface EngineMonitorOptions {
  docker: Docker;
  /** Starts the engine again when the lab owns it and its process has gone; absent for a user's engine. */
  restart?: () => Promise<void>;
  /** Whether the lab's own engine process still exists (a hung one is waited for, not replaced). */
  processAlive?: () => boolean;
  /** Called once when the engine stops answering. */
  onDown: (reason: string) => void | Promise<void>;
  /** Called once it answers again; the monitor counts the engine as back when this has finished. */
  onUp: () => Promise<void>;
  log: (line: string, err?: unknown) => void;
  intervalMs?: number;
  /** How long a ping may take before it counts as unanswered. */
  pingTimeoutMs?: number;
}

const PING_TIMEOUT_MS = 3000;
/** Refused twice in a row: the engine is gone. */
const REFUSALS_FOR_DOWN = 2;
/** Unanswered (a busy machine answers late) this many times in a row, about 25 s: an outage. */
const SILENCES_FOR_DOWN = 5;

/**
 * Watches the lab's Docker engine. An engine that stops answering (restarted by an operator, crashed,
 * killed) is reported at once; the lab's own engine is started again when its process is gone; when the
 * engine answers again the lab recovers its sandboxes (onUp). Learners never wait on a dead socket.
 */
export class EngineMonitor {
  readonly #o: EngineMonitorOptions;
  #down: string | undefined;
  #refusals = 0;
  #silences = 0;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #disposed = false;

  constructor(options: EngineMonitorOptions) {
    this.#o = options;
  }

  /** Why the engine is unavailable, while it is. */
  get down(): string | undefined {
    return this.#down;
  }

  start(): void {
    this.#schedule();
  }

  /**
   * The engine's event stream ended: it went away, even if it answers again before the next ping (a
   * quick restart stops every container all the same), so the lab recovers when it answers.
   */
  lost(reason: string): void {
    if (this.#disposed || this.#down) return;
    void this.#markDown(reason);
    if (!this.#busy) {
      clearTimeout(this.#timer);
      this.#schedule(250);
    }
  }

  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#timer);
  }

  #schedule(delayMs = this.#o.intervalMs ?? 2000): void {
    if (this.#disposed) return;
    this.#timer = setTimeout(() => void this.#tick(), this.#down ? Math.min(delayMs, 1000) : delayMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    if (this.#busy || this.#disposed) return;
    this.#busy = true;
    try {
      const ping = await this.#ping();
      const answered = ping === 'answered';
      if (answered) {
        this.#refusals = 0;
        this.#silences = 0;
      }
      if (answered && this.#down) {
        this.#o.log(`the Docker engine answers again (it was down: ${this.#down}); recovering sandboxes`);
        try {
          await this.#o.onUp();
          this.#down = undefined;
        } catch (err) {
          // Still going down, or half up: try again at the next look.
          this.#o.log('recovering after the engine came back failed; trying again', err);
        }
      } else if (!answered && !this.#down) {
        // A late answer on a loaded machine is not an outage; a refused connection soon is.
        if (ping === 'refused') this.#refusals++;
        else this.#silences++;
        if (this.#refusals >= REFUSALS_FOR_DOWN || this.#silences >= SILENCES_FOR_DOWN) {
          await this.#markDown(
            this.#o.processAlive?.() === false ? 'its process exited' : 'it does not answer',
          );
        }
      }
      if (this.#down && this.#o.restart && this.#o.processAlive?.() === false) {
        this.#o.log('starting the lab engine again');
        await this.#o.restart().catch((err) => this.#o.log('the lab engine did not start again', err));
      }
    } finally {
      this.#busy = false;
      this.#schedule();
    }
  }

  async #markDown(reason: string): Promise<void> {
    this.#down = reason;
    this.#o.log(`the Docker engine is down (${reason})`);
    await Promise.resolve(this.#o.onDown(reason)).catch((err) => this.#o.log('onDown failed', err));
  }

  async #ping(): Promise<'answered' | 'refused' | 'silent'> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'silent'>((resolve) => {
      timer = setTimeout(() => resolve('silent'), this.#o.pingTimeoutMs ?? PING_TIMEOUT_MS);
    });
    const ping = this.#o.docker.ping().then(
      () => 'answered' as const,
      () => 'refused' as const,
    );
    const result = await Promise.race([ping, timeout]);
    clearTimeout(timer);
    return result;
  }
}
