import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type WebSocket from 'ws';
import { type ErrorDefinition, errorText, isLabError, LabError, type Language } from '../errors/lab-error.ts';
import {
  TerminalHubClosed,
  TerminalInputTooLarge,
  TerminalLimitReached,
  TerminalStartFailed,
} from '../errors/terminal-errors.ts';
import { encodeFrame, FrameCode, type TerminalStatus } from '../protocol/terminal-frames.ts';
import { waitFor } from '../util/wait-for.ts';
import { readBrowserFrame } from './browser-frames.ts';
import { OutputBudget } from './output-budget.ts';
import { ReplayBuffer } from './replay-buffer.ts';
import { killShell, MARKER_ENV, SHELL_SCRIPT, type TerminalLogger } from './shell-process.ts';

/** The node a terminal runs on. */
export interface TerminalTarget {
  sessionId: string;
  node: string;
  container: Docker.Container;
  /** Turns an engine error into the lab's own (a node that stopped: NodeDown, with why). */
  explain?: (err: unknown) => Promise<unknown>;
  /** The language the browser's page is in, for the errors it is sent. */
  lang?: Language;
}

export type { TerminalLogger };

export interface TerminalHubOptions {
  /** Output kept per shell for a browser that reattaches. Default 64 KiB. */
  replayBytes?: number;
  /** Unacknowledged output (or output queued in the socket) above which the shell is paused. Default 256 KiB. */
  highWatermark?: number;
  /** Unacknowledged output below which a paused shell resumes. Default 32 KiB. */
  lowWatermark?: number;
  /**
   * Shells kept per node. A new one ends the least recently used detached shell; when every shell is
   * attached, the new connection is refused (error status, close 1008). Default 8.
   */
  maxTerminalsPerNode?: number;
  /** How long a hung-up shell has to exit before it is killed. Default 1 s. */
  killGraceMs?: number;
  /**
   * The lab server runs as root on the engine's host, so an exec's `Pid` (a host PID) can be signalled
   * directly. Default true; false (a remote engine) signals shells from inside their container.
   */
  hostSignals?: boolean;
  /** Output bytes per second the whole hub streams, shared by every shell (output-budget.ts); 0: none. */
  outputBytesPerSecond?: number;
  logger?: TerminalLogger;
}

/** Counters for metrics; bytes are totals since the hub started. */
export interface TerminalStats {
  terminals: number;
  attached: number;
  bytesOut: number;
  bytesIn: number;
  pausedTerminals: number;
}

interface Shell {
  key: string;
  sessionId: string;
  node: string;
  tab: string;
  container: Docker.Container;
  exec: Docker.Exec;
  stream: Duplex;
  /** A random value in the shell's environment: proves which process is ours before signalling it. */
  marker: string;
  replay: ReplayBuffer;
  ws: WebSocket | undefined;
  /** The size asked for while a resize is being applied; only the newest counts. */
  nextSize: { w: number; h: number } | undefined;
  resizing: boolean;
  /** Input that came after a resize, held until the shell has its new size (frames keep their order). */
  held: Buffer[];
  heldBytes: number;
  /** OUTPUT payload bytes sent to `ws` and not yet acknowledged. */
  unacked: number;
  paused: boolean;
  /** Waiting for its turn in the shared output budget (independent of `paused`). */
  throttled: boolean;
  cancelWait: (() => void) | undefined;
  lastUsed: number;
  /** The language of the page attached last (its errors are sent in it). */
  lang: Language;
  /** Why it ended, once it has. */
  ended: string | undefined;
  /** Its connection to Docker ended; the exit is being read. */
  exiting: boolean;
  /** Settles once an ended shell's process is gone (or could not be killed). */
  finished: Promise<void>;
}

interface PendingStart {
  sessionId: string;
  node: string;
  promise: Promise<Shell>;
  /** Set when the node or session was closed while the shell was starting: end it at once. */
  closing: string | undefined;
}

interface Ending {
  code: number | null;
  reason: string;
  closeCode?: number;
  /** Signal the process: Docker 20.10 leaves an exec running when its connection closes. */
  kill: boolean;
}

const OPEN = 1;
/** Frames a browser sends before its shell has started (it types at once) are kept, up to this. */
const EARLY_FRAME_BYTES = 256 * 1024;
/** Input held while a resize is applied (a few milliseconds, or Docker's 10 s timeout at worst). */
const MAX_HELD_BYTES = 256 * 1024;

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function errorStatus<Args>(definition: ErrorDefinition<Args>, args: Args, lang: Language): TerminalStatus {
  const { message, hint } = errorText(definition, args, lang);
  return { type: 'error', message, hint };
}

/** A WebSocket close reason holds at most 123 bytes. */
function closeReason(reason: string): string {
  let text = reason;
  while (Buffer.byteLength(text) > 123) text = text.slice(0, -1);
  return text;
}

/**
 * Shells in nodes, streamed to browsers over WebSockets (protocol/terminal-frames.ts). A shell outlives
 * its connection: a reload or a dropped network reattaches to the same shell (same tab id) and gets its
 * recent output replayed. Output is paused while the browser has not acknowledged enough of it, as ttyd
 * does, so a flood costs bounded memory and never starves other learners; with nobody attached, output
 * goes to the replay buffer only, so a shell never blocks for want of a reader.
 */
export class TerminalHub {
  readonly #shells = new Map<string, Shell>();
  readonly #starting = new Map<string, PendingStart>();
  readonly #replayBytes: number;
  readonly #high: number;
  readonly #low: number;
  readonly #maxPerNode: number;
  readonly #killGraceMs: number;
  readonly #hostSignals: boolean;
  readonly #logger: TerminalLogger | undefined;
  readonly #budget: OutputBudget | undefined;
  #bytesIn = 0;
  #bytesOut = 0;
  #disposed = false;

  constructor(options: TerminalHubOptions = {}) {
    this.#replayBytes = options.replayBytes ?? 64 * 1024;
    this.#high = options.highWatermark ?? 256 * 1024;
    this.#low = Math.min(options.lowWatermark ?? 32 * 1024, this.#high);
    this.#maxPerNode = Math.max(1, options.maxTerminalsPerNode ?? 8);
    this.#killGraceMs = options.killGraceMs ?? 1000;
    this.#hostSignals = options.hostSignals ?? true;
    this.#logger = options.logger;
    const rate = options.outputBytesPerSecond ?? 4 * 1024 * 1024;
    this.#budget = rate > 0 ? new OutputBudget({ bytesPerSecond: rate }) : undefined;
  }

  /**
   * Connects a browser's WebSocket to the shell of (session, node, tab), starting one when there is
   * none. Sends an `attached` status, the replay, then live output. A connection already attached to
   * that tab is told `replaced` and closed with 4000. Rejects (after telling the browser and closing
   * with 1011) only when a shell could not be started.
   */
  async attach(target: TerminalTarget, tabId: string, ws: WebSocket): Promise<void> {
    const key = JSON.stringify([target.sessionId, target.node, tabId]);
    const lang = target.lang ?? 'en';
    let shell: Shell | undefined;
    const early: Buffer[] = [];
    let earlyBytes = 0;
    let earlyDropped = 0;
    ws.on('error', (err) => this.#logger?.debug({ err, key }, 'terminal websocket error'));
    ws.on('message', (data: WebSocket.RawData) => {
      const bytes = toBuffer(data);
      if (!shell) {
        if (earlyBytes + bytes.length > EARLY_FRAME_BYTES) earlyDropped += bytes.length;
        else {
          early.push(bytes);
          earlyBytes += bytes.length;
        }
        return;
      }
      if (shell.ws === ws) this.#onFrame(shell, bytes);
    });
    ws.on('close', () => {
      if (shell && shell.ws === ws) this.#detach(shell);
    });

    if (this.#disposed) {
      this.#status(ws, errorStatus(TerminalHubClosed, {}, lang));
      this.#close(ws, 1001, 'the lab server is stopping');
      return;
    }
    let fresh = false;
    const existing = this.#shells.get(key);
    if (existing) shell = existing;
    else {
      const pending = this.#starting.get(key);
      try {
        if (pending) shell = await pending.promise;
        else if (this.#makeRoom(target.sessionId, target.node)) {
          shell = await this.#startTracked(target, tabId, key);
          fresh = true;
        }
      } catch (err) {
        const explained = (await target.explain?.(err).catch(() => err)) ?? err;
        if (isLabError(explained)) {
          // The lab knows why (the node stopped): say that, not the engine's words.
          const { message, hint } = explained.text(lang);
          this.#status(ws, { type: 'error', message, hint });
          this.#close(ws, 1011, explained.message);
          throw explained;
        }
        const reason = err instanceof Error ? err.message : String(err);
        this.#status(ws, errorStatus(TerminalStartFailed, { node: target.node, reason }, lang));
        this.#close(ws, 1011, 'the shell did not start');
        throw new LabError(TerminalStartFailed, { node: target.node, reason }, { cause: err });
      }
    }
    if (!shell) {
      this.#status(ws, errorStatus(TerminalLimitReached, { node: target.node, max: this.#maxPerNode }, lang));
      this.#close(ws, 1008, 'too many terminals on this node');
      return;
    }
    if (shell.ended !== undefined) {
      // Its node or session was closed while it started.
      this.#status(ws, { type: 'exited', code: null, reason: shell.ended });
      this.#close(ws, 1000, shell.ended);
      return;
    }
    shell.lastUsed = Date.now();
    if (ws.readyState !== OPEN) return; // Gone while the shell started: it stays, detached.
    shell.lang = lang;
    this.#connect(shell, ws, fresh);
    for (const bytes of early.splice(0)) if (shell.ws === ws) this.#onFrame(shell, bytes);
    if (earlyDropped > 0) this.#status(ws, errorStatus(TerminalInputTooLarge, { bytes: earlyDropped }, lang));
  }

  /** Ends the shells of one node (removed, restarted or killed) and closes their connections. */
  async closeNode(sessionId: string, node: string, reason = `${node} was stopped or removed`): Promise<void> {
    await this.#closeWhere((s) => s.sessionId === sessionId && s.node === node, reason);
  }

  /** Ends every shell of a session and closes their connections. */
  async closeSession(sessionId: string, reason = 'the sandbox ended'): Promise<void> {
    await this.#closeWhere((s) => s.sessionId === sessionId, reason);
  }

  stats(): TerminalStats {
    let attached = 0;
    let paused = 0;
    for (const s of this.#shells.values()) {
      if (s.ws) attached++;
      if (s.paused) paused++;
    }
    return {
      terminals: this.#shells.size,
      attached,
      bytesOut: this.#bytesOut,
      bytesIn: this.#bytesIn,
      pausedTerminals: paused,
    };
  }

  /** Output bytes of one terminal sent and not yet acknowledged (tests and diagnostics). */
  unacknowledged(sessionId: string, node: string, tabId: string): number | undefined {
    return this.#shells.get(JSON.stringify([sessionId, node, tabId]))?.unacked;
  }

  /** Ends every shell (their processes too) and closes every connection with 1001. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    await this.#closeWhere(() => true, 'the lab server is stopping', 1001);
    this.#budget?.dispose();
  }

  async #closeWhere(
    match: (s: { sessionId: string; node: string }) => boolean,
    reason: string,
    closeCode = 1000,
  ): Promise<void> {
    const done: Promise<void>[] = [];
    for (const pending of this.#starting.values()) {
      if (!match(pending)) continue;
      pending.closing = reason;
      // A start that failed was answered to its own connection already.
      done.push(pending.promise.then((s) => s.finished).catch(() => undefined));
    }
    for (const s of [...this.#shells.values()]) {
      if (match(s)) done.push(this.#end(s, { code: null, reason, closeCode, kill: true }));
    }
    await Promise.all(done);
  }

  /** Starts a shell, known as starting meanwhile so a second attach or a close finds it. */
  #startTracked(target: TerminalTarget, tab: string, key: string): Promise<Shell> {
    const pending: PendingStart = {
      sessionId: target.sessionId,
      node: target.node,
      closing: undefined,
      promise: this.#start(target, tab, key).then(
        (shell) => {
          this.#starting.delete(key);
          if (pending.closing !== undefined) {
            void this.#end(shell, { code: null, reason: pending.closing, kill: true });
          } else this.#shells.set(key, shell);
          return shell;
        },
        (err: unknown) => {
          this.#starting.delete(key);
          throw err;
        },
      ),
    };
    this.#starting.set(key, pending);
    return pending.promise;
  }

  async #start(target: TerminalTarget, tab: string, key: string): Promise<Shell> {
    const marker = randomBytes(12).toString('hex');
    const exec = await target.container.exec({
      Cmd: ['/bin/sh', '-c', SHELL_SCRIPT],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      Env: ['TERM=xterm-256color', 'COLORTERM=truecolor', 'LANG=C.UTF-8', `${MARKER_ENV}=${marker}`],
    });
    const stream = await exec.start({ hijack: true, stdin: true, Tty: true });
    const shell: Shell = {
      key,
      sessionId: target.sessionId,
      node: target.node,
      tab,
      container: target.container,
      exec,
      stream,
      marker,
      replay: new ReplayBuffer(this.#replayBytes),
      ws: undefined,
      nextSize: undefined,
      resizing: false,
      held: [],
      heldBytes: 0,
      unacked: 0,
      paused: false,
      throttled: false,
      cancelWait: undefined,
      lastUsed: Date.now(),
      lang: target.lang ?? 'en',
      ended: undefined,
      exiting: false,
      finished: Promise.resolve(),
    };
    stream.on('data', (chunk: Buffer) => this.#onOutput(shell, chunk));
    const onEnd = () => void this.#onStreamEnd(shell);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.on('error', (err) => this.#logger?.debug({ err, key }, 'terminal stream error'));
    return shell;
  }

  #connect(s: Shell, ws: WebSocket, fresh: boolean): void {
    const previous = s.ws;
    if (previous && previous !== ws) {
      this.#status(previous, { type: 'replaced' });
      this.#close(previous, 4000, 'replaced by another connection');
    }
    s.ws = ws;
    s.unacked = 0;
    s.lastUsed = Date.now();
    const replay = s.replay.replay();
    this.#status(ws, { type: 'attached', node: s.node, tab: s.tab, replayed: replay.length, fresh });
    if (replay.length > 0) this.#send(s, ws, replay);
    this.#maybeResume(s);
  }

  #detach(s: Shell): void {
    s.ws = undefined;
    s.lastUsed = Date.now();
    // Nobody watches: read on into the replay buffer so the shell never blocks on its output.
    s.unacked = 0;
    this.#maybeResume(s);
  }

  #onOutput(s: Shell, chunk: Buffer): void {
    s.replay.push(chunk);
    const ws = s.ws;
    if (ws && ws.readyState === OPEN) this.#send(s, ws, chunk);
    if (this.#budget && !s.throttled && !this.#budget.spend(chunk.length, s)) {
      s.throttled = true;
      s.stream.pause();
      s.cancelWait = this.#budget.wait(() => {
        s.throttled = false;
        s.cancelWait = undefined;
        if (!s.paused && s.ended === undefined) s.stream.resume();
      });
    }
  }

  #send(s: Shell, ws: WebSocket, data: Buffer): void {
    // The callback runs once the frame has left for the network: the socket's queue shrank.
    ws.send(encodeFrame(FrameCode.Output, data), () => this.#maybeResume(s));
    this.#bytesOut += data.length;
    s.unacked += data.length;
    if (!s.paused && (s.unacked > this.#high || ws.bufferedAmount > this.#high)) {
      // Stop reading the exec's connection: Docker stops reading the pty, and the shell blocks.
      s.paused = true;
      s.stream.pause();
    }
  }

  #maybeResume(s: Shell): void {
    if (!s.paused || s.ended !== undefined) return;
    const ws = s.ws;
    if (ws && ws.readyState === OPEN && (s.unacked >= this.#low || ws.bufferedAmount >= this.#low)) return;
    s.paused = false;
    if (!s.throttled) s.stream.resume();
  }

  #onFrame(s: Shell, data: Buffer): void {
    s.lastUsed = Date.now();
    const frame = readBrowserFrame(data);
    switch (frame.kind) {
      case 'input': {
        const payload = frame.bytes;
        if (payload.length === 0) return;
        if (s.resizing) {
          if (s.heldBytes + payload.length > MAX_HELD_BYTES) {
            this.#status(
              s.ws,
              errorStatus(TerminalInputTooLarge, { bytes: s.heldBytes + payload.length }, s.lang),
            );
            return;
          }
          s.held.push(payload);
          s.heldBytes += payload.length;
        } else if (s.stream.writable) s.stream.write(payload);
        this.#bytesIn += payload.length;
        return;
      }
      case 'resize':
        s.nextSize = { w: frame.cols, h: frame.rows };
        if (!s.resizing) void this.#applyResizes(s);
        return;
      case 'ack':
        s.unacked = Math.max(0, s.unacked - frame.bytes);
        this.#maybeResume(s);
        return;
      case 'refused':
        this.#status(s.ws, errorStatus(frame.error, frame.args as never, s.lang));
    }
  }

  /**
   * Resizes go to Docker one at a time (concurrent requests could land out of order), and input typed
   * after a resize waits for it: `stty size` right after a resize sees the new size.
   */
  async #applyResizes(s: Shell): Promise<void> {
    s.resizing = true;
    for (let size = s.nextSize; size && s.ended === undefined; size = s.nextSize) {
      s.nextSize = undefined;
      await s.exec
        .resize(size)
        .catch((err: unknown) => this.#logger?.debug({ err, key: s.key }, 'terminal resize failed'));
    }
    s.resizing = false;
    const held = s.held.splice(0);
    s.heldBytes = 0;
    for (const payload of held) if (s.stream.writable) s.stream.write(payload);
  }

  #status(ws: WebSocket | undefined, status: TerminalStatus): void {
    if (ws && ws.readyState === OPEN) ws.send(encodeFrame(FrameCode.Status, JSON.stringify(status)));
  }

  #close(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, closeReason(reason));
    } catch (err) {
      this.#logger?.debug({ err }, 'terminal websocket close failed');
      ws.terminate();
    }
  }

  /** The exec's connection ended: the shell exited, or the connection to Docker broke. */
  async #onStreamEnd(s: Shell): Promise<void> {
    if (s.ended !== undefined || s.exiting) return;
    s.exiting = true;
    let code: number | null = null;
    let running = true;
    try {
      // Docker may close the connection a moment before it records the exit.
      const info = await waitFor(
        async () => {
          const i = await s.exec.inspect();
          return !i.Running && i;
        },
        { timeoutMs: 2000, intervalMs: 20, what: `the shell of ${s.node} to exit` },
      );
      code = info.ExitCode ?? null;
      running = false;
    } catch {
      // Still running (or the container is gone): the process has no connection any more; end it.
    }
    await this.#end(s, {
      code,
      reason: running ? 'the connection to the shell was lost' : 'the shell exited',
      kill: running,
    });
  }

  /** Ends a shell: tells the browser, closes its connection, and kills the process when asked. */
  #end(s: Shell, how: Ending): Promise<void> {
    if (s.ended !== undefined) return s.finished;
    s.ended = how.reason;
    if (this.#shells.get(s.key) === s) this.#shells.delete(s.key);
    const ws = s.ws;
    s.ws = undefined;
    if (ws) {
      this.#status(ws, { type: 'exited', code: how.code, reason: how.reason });
      this.#close(ws, how.closeCode ?? 1000, how.reason);
    }
    s.paused = false;
    s.cancelWait?.();
    s.stream.destroy();
    s.finished = how.kill
      ? killShell(s, {
          hostSignals: this.#hostSignals,
          graceMs: this.#killGraceMs,
          logger: this.#logger,
        }).catch((err: unknown) =>
          this.#logger?.warn({ err, session: s.sessionId, node: s.node, tab: s.tab }, 'terminal kill failed'),
        )
      : Promise.resolve();
    return s.finished;
  }

  #makeRoom(sessionId: string, node: string): boolean {
    const onNode = [...this.#shells.values()].filter((s) => s.sessionId === sessionId && s.node === node);
    let count = onNode.length;
    for (const p of this.#starting.values()) if (p.sessionId === sessionId && p.node === node) count++;
    const idle = onNode.filter((s) => !s.ws).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const s of idle) {
      if (count < this.#maxPerNode) break;
      void this.#end(s, {
        code: null,
        reason: 'too many terminals on this node; the least recently used one was closed',
        kill: true,
      });
      count--;
    }
    return count < this.#maxPerNode;
  }
}
