import type { ErrorDefinition } from '../errors/lab-error.ts';
import { TERMINAL_LIMITS } from '../protocol/terminal-frames.ts';

// What a terminal says back to a browser that sent something it cannot use, in the shape of the error
// catalog (errors/catalog.ts). They travel as `error` status frames; the connection stays open.

const define = <Args>(def: ErrorDefinition<Args>): ErrorDefinition<Args> => def;

export const TerminalFrameUnknown = define<{ code: number | undefined }>({
  name: 'TerminalFrameUnknown',
  title: 'Unknown terminal frame',
  message: ({ code }) =>
    code === undefined
      ? 'The terminal received an empty frame.'
      : `The terminal received a frame of unknown type ${JSON.stringify(String.fromCharCode(code))}.`,
  hint: () => "Frames start with '0' (input), '1' (resize) or '2' (acknowledgement).",
});

export const TerminalInputTooLarge = define<{ bytes: number }>({
  name: 'TerminalInputTooLarge',
  title: 'Paste too large',
  message: ({ bytes }) =>
    `That paste is ${bytes} bytes; a terminal takes at most ${TERMINAL_LIMITS.maxInputBytes} at once, so it was not typed.`,
  hint: () => 'Paste it in smaller parts, or write large files with the file blocks of the lesson.',
});

export const TerminalResizeInvalid = define<{ reason: string }>({
  name: 'TerminalResizeInvalid',
  title: 'Bad resize frame',
  message: ({ reason }) => `The terminal could not be resized: ${reason}.`,
  hint: () => 'A resize frame holds JSON {"cols": n, "rows": n} with numbers.',
});

export const TerminalAckInvalid = define<{ text: string }>({
  name: 'TerminalAckInvalid',
  title: 'Bad acknowledgement frame',
  message: ({ text }) => `An acknowledgement must be a whole number of bytes, not ${JSON.stringify(text)}.`,
  hint: () => "Send '2' followed by the decimal count of output bytes written.",
});

export const TerminalLimitReached = define<{ node: string; max: number }>({
  name: 'TerminalLimitReached',
  title: 'Too many terminals',
  message: ({ node, max }) => `${node} already has ${max} terminals open, all of them in use.`,
  hint: () => 'Close a terminal tab on this node, then reload this one.',
});

export const TerminalStartFailed = define<{ node: string; reason: string }>({
  name: 'TerminalStartFailed',
  title: 'The shell did not start',
  message: ({ node, reason }) => `A shell could not be started on ${node}: ${reason}.`,
  hint: ({ node }) => `Check that ${node} is running (restart it from the lesson page), then reload.`,
});

export const TerminalHubClosed = define<Record<string, never>>({
  name: 'TerminalHubClosed',
  title: 'The lab server is stopping',
  message: () => 'The lab server is stopping and opens no more terminals.',
  hint: () => 'Reload the page once the lab is back.',
});
