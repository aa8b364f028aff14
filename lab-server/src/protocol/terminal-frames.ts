/**
 * The terminal WebSocket protocol, shared by the lab server and the site. Every frame is binary; its
 * first byte says what it is (as in ttyd), the rest is the payload.
 *
 * Browser → server
 *   '0' INPUT    keystrokes, UTF-8
 *   '1' RESIZE   JSON {"cols": n, "rows": n}; the server clamps to 2..500 columns, 2..200 rows
 *   '2' ACK      ASCII decimal: how many OUTPUT payload bytes the browser has finished writing
 *                (send from xterm's write callback); the server pauses the shell's output while too
 *                much is unacknowledged, so a flood cannot grow memory or starve other learners
 *
 * Server → browser
 *   '0' OUTPUT   bytes from the shell
 *   '1' STATUS   JSON TerminalStatus
 */
export const FrameCode = {
  Input: 0x30,
  Resize: 0x31,
  Ack: 0x32,
  Output: 0x30,
  Status: 0x31,
} as const;

export type TerminalStatus =
  /** Attached to a shell; `replayed` bytes of earlier output follow first (after a reload). */
  | { type: 'attached'; node: string; tab: string; replayed: number; fresh: boolean }
  /** The shell ended (exit, or the node went away); the browser may ask for a new one. */
  | { type: 'exited'; code: number | null; reason: string }
  /** Another connection took this terminal over (same tab id elsewhere). */
  | { type: 'replaced' }
  | { type: 'error'; message: string; hint?: string };

export const TERMINAL_LIMITS = {
  minCols: 2,
  maxCols: 500,
  minRows: 2,
  maxRows: 200,
  /** Largest input frame accepted (a paste); larger ones are refused with an error status. */
  maxInputBytes: 64 * 1024,
} as const;

const utf8 = new TextEncoder();

/** One frame: its code byte, then the payload (text is sent as UTF-8). */
export function encodeFrame(code: number, payload: Uint8Array | string): Uint8Array {
  const body = typeof payload === 'string' ? utf8.encode(payload) : payload;
  const bytes = new Uint8Array(body.length + 1);
  bytes[0] = code;
  bytes.set(body, 1);
  return bytes;
}

/** A frame's code (undefined for an empty frame) and payload (a view, not a copy). */
export function decodeFrame(data: Uint8Array): { code: number | undefined; payload: Uint8Array } {
  return { code: data[0], payload: data.subarray(1) };
}
