import { z } from 'zod';
import type { ErrorDefinition } from '../errors/lab-error.ts';
import {
  TerminalAckInvalid,
  TerminalFrameUnknown,
  TerminalInputTooLarge,
  TerminalResizeInvalid,
} from '../errors/terminal-errors.ts';
import { decodeFrame, FrameCode, TERMINAL_LIMITS } from '../protocol/terminal-frames.ts';

/** What a browser's frame asks of its shell, read and checked; a bad frame is a catalog error to answer. */
export type BrowserFrame =
  | { kind: 'input'; bytes: Buffer }
  | { kind: 'resize'; cols: number; rows: number }
  | { kind: 'ack'; bytes: number }
  | { kind: 'refused'; error: ErrorDefinition<never>; args: Record<string, unknown> };

const ResizeFrame = z.object({ cols: z.number(), rows: z.number() });
const ACK = /^\d{1,15}$/;
const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, Math.round(n)));

const refused = <Args>(error: ErrorDefinition<Args>, args: Args): BrowserFrame => ({
  kind: 'refused',
  error: error as ErrorDefinition<never>,
  args: args as Record<string, unknown>,
});

/**
 * Reads one frame a browser sent (protocol/terminal-frames.ts): input (at most the protocol's size), a
 * size clamped to what a terminal may be, or how many output bytes it has shown.
 */
export function readBrowserFrame(data: Buffer): BrowserFrame {
  const { code, payload: bytes } = decodeFrame(data);
  const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (code) {
    case FrameCode.Input:
      return payload.length > TERMINAL_LIMITS.maxInputBytes
        ? refused(TerminalInputTooLarge, { bytes: payload.length })
        : { kind: 'input', bytes: payload };
    case FrameCode.Resize: {
      let json: unknown;
      try {
        json = JSON.parse(payload.toString('utf8'));
      } catch {
        // Answered to the browser as the refusal it is.
        return refused(TerminalResizeInvalid, { reason: 'not-json' });
      }
      const size = ResizeFrame.safeParse(json);
      if (!size.success) return refused(TerminalResizeInvalid, { reason: 'not-numbers' });
      return {
        kind: 'resize',
        cols: clamp(size.data.cols, TERMINAL_LIMITS.minCols, TERMINAL_LIMITS.maxCols),
        rows: clamp(size.data.rows, TERMINAL_LIMITS.minRows, TERMINAL_LIMITS.maxRows),
      };
    }
    case FrameCode.Ack: {
      const text = payload.toString('latin1');
      return ACK.test(text)
        ? { kind: 'ack', bytes: Number(text) }
        : refused(TerminalAckInvalid, { text: text.slice(0, 32) });
    }
    default:
      return refused(TerminalFrameUnknown, { code });
  }
}
