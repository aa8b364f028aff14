import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import { FrameCode, TERMINAL_LIMITS, type TerminalStatus } from '../protocol/terminal-frames.ts';
import { ReplayBuffer } from './replay-buffer.ts';

export interface TerminalTarget {
  sessionId: string;
  node: string;
  container: Docker.Container;
}

export interface TerminalHubOptions {
  /** Output kept for a browser that reattaches. */
  replayBytes?: number;
  /** Unacknowledged output above which the shell's output is paused. */
  highWatermark?: number;
  /** Unacknowledged output below which it resumes. */
  lowWatermark?: number;
  /** Shells kept per node; beyond it the least recently used detached one is ended. */
  maxTerminalsPerNode?: number;
  logger?: Pick<Logger, 'warn' | 'debug'>;
}

interface Terminal {
  key: string;
  sessionId: string;
  node: string;
  tab: string;
  exec: Docker.Exec;
  stream: Duplex;
  replay: ReplayBuffer;
  ws: WebSocket | undefined;
  unacked: number;
  paused: boolean;
  lastUsed: number;
  ended: boolean;
}

const OPEN = 1;

// A login shell when the node has bash; sh elsewhere.
const SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi'];

function frame(code: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([Buffer.from([code]), body]);
}

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, Math.round(n)));

/**
 * Shells in nodes, streamed to browsers over WebSockets. A shell outlives its connection: a reload or a
 * dropped network reattaches to the same shell and gets its recent output replayed. Output is paused
 * while the browser has not acknowledged enough of it (as ttyd does), so a flood costs bounded memory
 * and never starves other learners.
 */
export class TerminalHub {
  readonly #terminals = new Map<string, Terminal>();
  readonly #replayBytes: number;
  readonly #high: number;
  readonly #low: number;
  readonly #maxPerNode: number;
  readonly #logger: TerminalHubOptions['logger'];
  #bytesIn = 0;
  #bytesOut = 0;

  constructor(options: TerminalHubOptions = {}) {
    this.#replayBytes = options.replayBytes ?? 64 * 1024;
    this.#high = options.highWatermark ?? 256 * 1024;
    this.#low = options.lowWatermark ?? 32 * 1024;
    this.#maxPerNode = options.maxTerminalsPerNode ?? 8;
    this.#logger = options.logger;
  }

  /** Attaches a browser to the shell of (session, node, tab), starting one when there is none. */
  async attach(target: TerminalTarget, tab: string, ws: WebSocket): Promise<void> {
    const key = `${target.sessionId}/${target.node}/${tab}`;
    // Frames can arrive while the shell is being started (a browser types at once): keep them.
    const early: Buffer[] = [];
    let ready = false;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const bytes = isBinary ? data : Buffer.from(data);
      if (!ready) {
        early.push(bytes);
        return;
      }
      const t = this.#terminals.get(key);
      if (t && t.ws === ws) this.#onFrame(t, bytes);
    });
    ws.on('close', () => {
      const t = this.#terminals.get(key);
      if (!t || t.ws !== ws) return;
      t.ws = undefined;
      t.lastUsed = Date.now();
      // Nobody watches: keep reading into the replay buffer so the shell never blocks on output.
      t.unacked = 0;
      this.#maybeResume(t);
    });

    let terminal = this.#terminals.get(key);
    const fresh = !terminal;
    if (!terminal) {
      terminal = await this.#start(target, tab, key);
      this.#evict(target.sessionId, target.node);
    }
    if (ws.readyState !== OPEN) return;
    if (terminal.ws && terminal.ws !== ws) {
      this.#status(terminal.ws, { type: 'replaced' });
      terminal.ws.close(4000, 'replaced by another connection');
    }
    terminal.ws = ws;
    terminal.lastUsed = Date.now();
    terminal.unacked = 0;
    const replay = terminal.replay.contents();
    this.#status(ws, { type: 'attached', node: target.node, tab, replayed: replay.length, fresh });
    if (replay.length > 0) this.#send(terminal, replay);
    this.#maybeResume(terminal);
    ready = true;
    for (const bytes of early.splice(0)) this.#onFrame(terminal, bytes);
  }

  /** Ends the shells of one node (removed, restarted or killed). */
  closeNode(sessionId: string, node: string, reason = `${node} went away`): void {
    for (const t of [...this.#terminals.values()]) {
      if (t.sessionId === sessionId && t.node === node) this.#end(t, null, reason);
    }
  }

  /** Ends every shell of a session. */
  closeSession(sessionId: string, reason = 'the sandbox ended'): void {
    for (const t of [...this.#terminals.values()]) if (t.sessionId === sessionId) this.#end(t, null, reason);
  }

  stats(): {
    terminals: number;
    attached: number;
    bytesOut: number;
    bytesIn: number;
    pausedTerminals: number;
  } {
    let attached = 0;
    let paused = 0;
    for (const t of this.#terminals.values()) {
      if (t.ws) attached++;
      if (t.paused) paused++;
    }
    return {
      terminals: this.#terminals.size,
      attached,
      bytesOut: this.#bytesOut,
      bytesIn: this.#bytesIn,
      pausedTerminals: paused,
    };
  }

  /** Unacknowledged bytes of one terminal (tests and diagnostics). */
  unacknowledged(sessionId: string, node: string, tab: string): number | undefined {
    return this.#terminals.get(`${sessionId}/${node}/${tab}`)?.unacked;
  }

  async dispose(): Promise<void> {
    for (const t of [...this.#terminals.values()]) this.#end(t, null, 'the lab server is stopping', 1001);
  }

  async #start(target: TerminalTarget, tab: string, key: string): Promise<Terminal> {
    const exec = await target.container.exec({
      Cmd: SHELL,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      Env: ['TERM=xterm-256color', 'COLORTERM=truecolor', 'LANG=C.UTF-8'],
      WorkingDir: '/root',
    });
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as unknown as Duplex;
    const terminal: Terminal = {
      key,
      sessionId: target.sessionId,
      node: target.node,
      tab,
      exec,
      stream,
      replay: new ReplayBuffer(this.#replayBytes),
      ws: undefined,
      unacked: 0,
      paused: false,
      lastUsed: Date.now(),
      ended: false,
    };
    this.#terminals.set(key, terminal);
    stream.on('data', (chunk: Buffer) => this.#onOutput(terminal, chunk));
    const onEnd = () => {
      if (terminal.ended) return;
      void exec
        .inspect()
        .then((info) => info.ExitCode ?? null)
        .catch(() => null)
        .then((code) =>
          this.#end(
            terminal,
            code,
            code === null ? 'the connection to the shell was lost' : 'the shell exited',
            1000,
            false,
          ),
        );
    };
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', (err) => this.#logger?.debug({ err, key }, 'terminal stream error'));
    return terminal;
  }

  #onOutput(t: Terminal, chunk: Buffer): void {
    t.replay.push(chunk);
    const ws = t.ws;
    if (!ws || ws.readyState !== OPEN) return;
    this.#send(t, chunk);
  }

  #send(t: Terminal, data: Buffer): void {
    const ws = t.ws;
    if (!ws || ws.readyState !== OPEN) return;
    ws.send(frame(FrameCode.Output, data));
    this.#bytesOut += data.length;
    t.unacked += data.length;
    if (!t.paused && (t.unacked > this.#high || ws.bufferedAmount > this.#high)) {
      t.paused = true;
      t.stream.pause();
    }
  }

  #maybeResume(t: Terminal): void {
    if (!t.paused) return;
    const buffered = t.ws?.bufferedAmount ?? 0;
    if (!t.ws || (t.unacked < this.#low && buffered < this.#low)) {
      t.paused = false;
      t.stream.resume();
    }
  }

  #onFrame(t: Terminal, data: Buffer): void {
    const code = data[0];
    const payload = data.subarray(1);
    t.lastUsed = Date.now();
    if (code === FrameCode.Input) {
      if (payload.length > TERMINAL_LIMITS.maxInputBytes) {
        this.#status(t.ws, {
          type: 'error',
          message: `That paste is ${payload.length} bytes; a terminal takes at most ${TERMINAL_LIMITS.maxInputBytes} at once.`,
          hint: 'Write large files with the file blocks of the lesson instead.',
        });
        return;
      }
      this.#bytesIn += payload.length;
      t.stream.write(payload);
    } else if (code === FrameCode.Resize) {
      let size: { cols?: unknown; rows?: unknown };
      try {
        size = JSON.parse(payload.toString('utf8'));
      } catch {
        this.#status(t.ws, {
          type: 'error',
          message: 'A resize frame must hold JSON {"cols": n, "rows": n}.',
        });
        return;
      }
      if (
        typeof size.cols !== 'number' ||
        typeof size.rows !== 'number' ||
        !Number.isFinite(size.cols + size.rows)
      ) {
        this.#status(t.ws, { type: 'error', message: 'A resize frame needs numeric cols and rows.' });
        return;
      }
      const w = clamp(size.cols, TERMINAL_LIMITS.minCols, TERMINAL_LIMITS.maxCols);
      const h = clamp(size.rows, TERMINAL_LIMITS.minRows, TERMINAL_LIMITS.maxRows);
      t.exec.resize({ h, w }).catch((err: Error) => this.#logger?.debug({ err }, 'resize failed'));
    } else if (code === FrameCode.Ack) {
      const n = Number(payload.toString('ascii'));
      if (!Number.isInteger(n) || n < 0) {
        this.#status(t.ws, {
          type: 'error',
          message: 'An acknowledgement frame holds a whole number of bytes.',
        });
        return;
      }
      t.unacked = Math.max(0, t.unacked - n);
      this.#maybeResume(t);
    } else {
      this.#status(t.ws, {
        type: 'error',
        message: `Unknown frame type ${code === undefined ? '(empty)' : String.fromCharCode(code)}.`,
      });
    }
  }

  #status(ws: WebSocket | undefined, status: TerminalStatus): void {
    if (ws && ws.readyState === OPEN) ws.send(frame(FrameCode.Status, JSON.stringify(status)));
  }

  /** Ends a shell: tells the browser, closes the socket, and kills the process (Docker would not). */
  #end(t: Terminal, code: number | null, reason: string, closeCode = 1000, kill = true): void {
    if (t.ended) return;
    t.ended = true;
    this.#terminals.delete(t.key);
    this.#status(t.ws, { type: 'exited', code, reason });
    t.ws?.close(closeCode, reason.slice(0, 100));
    t.stream.destroy();
    if (kill) void killShell(t.exec);
  }

  #evict(sessionId: string, node: string): void {
    const onNode = [...this.#terminals.values()].filter((t) => t.sessionId === sessionId && t.node === node);
    const excess = onNode.length - this.#maxPerNode;
    if (excess <= 0) return;
    const detached = onNode.filter((t) => !t.ws).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const t of detached.slice(0, excess))
      this.#end(t, null, 'too many terminals on this node; the oldest unused one was closed');
  }
}

/**
 * Docker 20.10 leaves an exec's process running when its connection closes. The exec's Pid is a host
 * pid (the lab runs on the engine's host): hang it up, then kill it if it lingers.
 */
async function killShell(exec: Docker.Exec): Promise<void> {
  const info = (await exec.inspect().catch(() => undefined)) as
    | { Running?: boolean; Pid?: number }
    | undefined;
  const pid = info?.Pid;
  if (!info?.Running || !pid) return;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // Gone already.
    }
  };
  signal('SIGHUP');
  await new Promise((r) => setTimeout(r, 500));
  const still = (await exec.inspect().catch(() => undefined)) as { Running?: boolean } | undefined;
  if (still?.Running) signal('SIGKILL');
}
