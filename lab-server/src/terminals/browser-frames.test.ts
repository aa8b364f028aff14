import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameCode, TERMINAL_LIMITS } from '../protocol/terminal-frames.ts';
import { readBrowserFrame } from './browser-frames.ts';

const refusal = (data: Uint8Array) => {
  const frame = readBrowserFrame(Buffer.from(data));
  return frame.kind === 'refused' ? [frame.error.name, frame.args] : frame.kind;
};

describe('frames from the browser', () => {
  it('reads input, a size and an acknowledgement', () => {
    expect(readBrowserFrame(Buffer.from(encodeFrame(FrameCode.Input, 'ls\r')))).toEqual({
      kind: 'input',
      bytes: Buffer.from('ls\r'),
    });
    expect(readBrowserFrame(Buffer.from(encodeFrame(FrameCode.Resize, '{"cols":120,"rows":40}')))).toEqual({
      kind: 'resize',
      cols: 120,
      rows: 40,
    });
    expect(readBrowserFrame(Buffer.from(encodeFrame(FrameCode.Ack, '4096')))).toEqual({
      kind: 'ack',
      bytes: 4096,
    });
  });

  it('clamps a size to what a terminal may be', () => {
    const frame = readBrowserFrame(Buffer.from(encodeFrame(FrameCode.Resize, '{"cols":-5,"rows":1e9}')));
    expect(frame).toEqual({ kind: 'resize', cols: TERMINAL_LIMITS.minCols, rows: TERMINAL_LIMITS.maxRows });
  });

  it('refuses what it cannot use, with the catalog entry that says why', () => {
    expect(refusal(encodeFrame(FrameCode.Input, 'x'.repeat(TERMINAL_LIMITS.maxInputBytes + 1)))).toEqual([
      'TerminalInputTooLarge',
      { bytes: TERMINAL_LIMITS.maxInputBytes + 1 },
    ]);
    expect(refusal(encodeFrame(FrameCode.Resize, '{"cols":'))).toEqual([
      'TerminalResizeInvalid',
      { reason: 'not-json' },
    ]);
    expect(refusal(encodeFrame(FrameCode.Resize, '{"cols":"80"}'))).toEqual([
      'TerminalResizeInvalid',
      { reason: 'not-numbers' },
    ]);
    expect(refusal(encodeFrame(FrameCode.Ack, '-1'))).toEqual(['TerminalAckInvalid', { text: '-1' }]);
    expect(refusal(Uint8Array.of(0x7a, 1, 2))).toEqual(['TerminalFrameUnknown', { code: 0x7a }]);
  });
});
