import type WebSocket from 'ws';
import { decodeFrame, encodeFrame, FrameCode, type TerminalStatus } from '../src/protocol/terminal-frames.ts';
import { waitFor } from '../src/util/wait-for.ts';

/**
 * A terminal as the browser drives it, for tests: keeps the screen's text, acknowledges output it has
 * "written" (like xterm's write callback), and collects status frames.
 */
export class TerminalClient {
  readonly ws: WebSocket;
  /** Output arrives in frames that may split a character: one decoder, streaming. */
  readonly #output = new TextDecoder();
  output = '';
  statuses: TerminalStatus[] = [];
  /** When false, output is not acknowledged (a slow or frozen browser). */
  acknowledge = true;
  #closed: Promise<number>;

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      const { code, payload } = decodeFrame(data);
      if (code === FrameCode.Output) {
        this.output += this.#output.decode(payload, { stream: true });
        if (this.acknowledge) ws.send(encodeFrame(FrameCode.Ack, String(payload.length)));
      } else if (code === FrameCode.Status) {
        this.statuses.push(JSON.parse(new TextDecoder().decode(payload)) as TerminalStatus);
      }
    });
    this.#closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === this.ws.OPEN) return resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    });
  }

  type(text: string): void {
    this.ws.send(encodeFrame(FrameCode.Input, text));
  }

  resize(cols: number, rows: number): void {
    this.ws.send(encodeFrame(FrameCode.Resize, JSON.stringify({ cols, rows })));
  }

  /** The next output frame, resolved the moment it arrives (latency measurements: no polling). */
  nextOutput(timeoutMs = 5000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.ws.off('message', onMessage);
        reject(new Error(`no terminal output within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (data: Buffer) => {
        const { code, payload } = decodeFrame(data);
        if (code !== FrameCode.Output) return;
        clearTimeout(timer);
        this.ws.off('message', onMessage);
        resolve(Buffer.from(payload));
      };
      this.ws.on('message', onMessage);
    });
  }

  async waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    return waitFor(() => pattern.exec(this.output), {
      timeoutMs,
      what: `terminal output matching ${pattern}`,
    });
  }

  close(): Promise<number> {
    this.ws.close();
    return this.#closed;
  }
}
