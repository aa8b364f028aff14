/**
 * One node's shell in the browser: an xterm.js terminal speaking the lab's binary terminal protocol
 * (lab-server/src/protocol/terminal-frames.ts). Loaded with a dynamic import when the sandbox starts,
 * so a lesson page carries none of xterm until then.
 *
 * - Flow control: output is acknowledged from xterm's write callback with the number of bytes written,
 *   so the server pauses a flood (`yes`) instead of filling the browser's memory.
 * - Reattach: the tab id (per browser tab, kept in sessionStorage by the caller) names the shell; a
 *   reload or a dropped connection reattaches to the same shell and the server replays recent output.
 * - Reconnection with exponential backoff when the connection drops; never when the shell exited or
 *   another browser tab took the terminal over (the learner decides).
 */
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { type ITheme, Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { route } from '../../../../lab-server/src/protocol/routes.ts';
import {
  decodeFrame,
  encodeFrame,
  FrameCode,
  TERMINAL_LIMITS,
  type TerminalStatus,
} from '../../../../lab-server/src/protocol/terminal-frames.ts';
import { pageLanguage, socketUrl } from './api-client.ts';

export type TerminalState =
  | { kind: 'connecting' }
  | { kind: 'connected'; fresh: boolean }
  | { kind: 'reconnecting'; inMs: number; attempt: number }
  | { kind: 'exited'; reason: string; code: number | null }
  | { kind: 'replaced' }
  /** The server refused this terminal for a reason retrying will not fix (a limit): the learner decides. */
  | { kind: 'failed'; reason: string }
  | { kind: 'disposed' };

export interface TerminalViewOptions {
  /** Where the terminal is drawn; it fills the element. */
  element: HTMLElement;
  sessionId: string;
  node: string;
  /** Names this browser tab's shell on the node (letters, digits, - and _). */
  tab: string;
  onState?: (state: TerminalState) => void;
  /** A problem the server reported without ending the shell (a paste too large, ...). */
  onNotice?: (message: string, hint?: string) => void;
  /** Ctrl+Shift+F in the terminal. */
  onSearchRequest?: () => void;
}

// Frames stay well under the server's limit even with the one-byte code in front.
const INPUT_CHUNK = 32 * 1024;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The terminal's colours, from CSS custom properties the site defines for its light and dark themes. */
export function readTheme(element: Element): ITheme {
  const style = getComputedStyle(element);
  const v = (name: string) => style.getPropertyValue(`--term-${name}`).trim() || undefined;
  return {
    background: v('bg'),
    foreground: v('fg'),
    cursor: v('cursor'),
    cursorAccent: v('bg'),
    selectionBackground: v('selection'),
    selectionInactiveBackground: v('selection-inactive'),
    black: v('black'),
    red: v('red'),
    green: v('green'),
    yellow: v('yellow'),
    blue: v('blue'),
    magenta: v('magenta'),
    cyan: v('cyan'),
    white: v('white'),
    brightBlack: v('bright-black'),
    brightRed: v('bright-red'),
    brightGreen: v('bright-green'),
    brightYellow: v('bright-yellow'),
    brightBlue: v('bright-blue'),
    brightMagenta: v('bright-magenta'),
    brightCyan: v('bright-cyan'),
    brightWhite: v('bright-white'),
  };
}

export class TerminalView {
  readonly node: string;
  readonly #options: TerminalViewOptions;
  readonly #term: Terminal;
  readonly #fit = new FitAddon();
  readonly #search = new SearchAddon();
  readonly #resizeObserver: ResizeObserver;
  readonly #themeObserver: MutationObserver;
  #ws: WebSocket | undefined;
  #attempt = 0;
  #timer: number | undefined;
  #state: TerminalState = { kind: 'connecting' };
  #attachedOnce = false;
  /** Keystrokes typed while the connection is down, sent when it is back. */
  #pending: Uint8Array[] = [];
  #fitFrame = 0;
  /** When Escape was last pressed: Escape then Tab leaves the terminal (no keyboard trap). */
  #escapeAt = 0;
  /** The last error status, kept to explain a close that follows it. */
  #lastError: string | undefined;
  readonly #onOnline = () => {
    if (this.#state.kind === 'reconnecting') this.reconnect();
  };

  constructor(options: TerminalViewOptions) {
    this.#options = options;
    this.node = options.node;
    const style = getComputedStyle(options.element);
    this.#term = new Terminal({
      allowProposedApi: true, // The search addon's match decorations use it.
      cursorBlink: true,
      fontFamily: style.getPropertyValue('--term-font').trim() || 'monospace',
      fontSize: Number(style.getPropertyValue('--term-font-size').trim()) || 14,
      lineHeight: 1.15,
      scrollback: 5000,
      theme: readTheme(options.element),
      macOptionIsMeta: true,
      rightClickSelectsWord: false,
      minimumContrastRatio: 4.5,
    });
    this.#term.loadAddon(this.#fit);
    this.#term.loadAddon(this.#search);
    this.#term.loadAddon(
      new WebLinksAddon((event, uri) => {
        event.preventDefault();
        window.open(uri, '_blank', 'noopener');
      }),
    );
    this.#term.attachCustomKeyEventHandler((event) => this.#onKey(event));
    this.#term.onData((data) => this.#send(FrameCode.Input, encoder.encode(data)));
    // Mouse reports in legacy modes arrive as binary strings: one byte per character.
    this.#term.onBinary((data) =>
      this.#send(
        FrameCode.Input,
        Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff),
      ),
    );
    this.#term.onResize(({ cols, rows }) => this.#sendResize(cols, rows));

    this.#term.open(options.element);
    const textarea = options.element.querySelector('textarea');
    textarea?.setAttribute(
      'aria-label',
      options.element.getAttribute('aria-label') ?? `Terminal on ${options.node}`,
    );
    this.#resizeObserver = new ResizeObserver(() => this.fit());
    this.#resizeObserver.observe(options.element);
    this.#themeObserver = new MutationObserver(() => {
      this.#term.options.theme = readTheme(options.element);
    });
    this.#themeObserver.observe(document.documentElement, {
      attributes: true,
      attributeFilter: ['data-theme'],
    });
    window.addEventListener('online', this.#onOnline);
    this.fit();
    this.#connect();
  }

  get state(): TerminalState {
    return this.#state;
  }

  /** Types text as if the learner did (runnable code blocks), in frames the server accepts. */
  type(text: string): void {
    const bytes = encoder.encode(text);
    for (let i = 0; i < bytes.length; i += INPUT_CHUNK) {
      this.#send(FrameCode.Input, bytes.subarray(i, i + INPUT_CHUNK));
    }
  }

  focus(): void {
    this.#term.focus();
  }

  /** Fits the terminal to its element (skipped while it is hidden). */
  fit(): void {
    cancelAnimationFrame(this.#fitFrame);
    this.#fitFrame = requestAnimationFrame(() => {
      const { element } = this.#options;
      if (element.offsetWidth === 0 || element.offsetHeight === 0) return;
      try {
        this.#fit.fit();
      } catch {
        // Not measurable yet (fonts loading): the next resize fits it.
      }
    });
  }

  findNext(text: string): boolean {
    return this.#search.findNext(text, { incremental: false, decorations: this.#searchDecorations() });
  }

  findPrevious(text: string): boolean {
    return this.#search.findPrevious(text, { decorations: this.#searchDecorations() });
  }

  clearSearch(): void {
    this.#search.clearDecorations();
    this.#term.clearSelection();
  }

  hasSelection(): boolean {
    return this.#term.hasSelection();
  }

  /** Copies the selection to the clipboard; false when there is none or the browser refused. */
  async copySelection(): Promise<boolean> {
    const text = this.#term.getSelection();
    if (!text) return false;
    return copyText(text);
  }

  /** Pastes the clipboard (the button; keyboard paste goes through the browser's paste event). */
  async paste(): Promise<boolean> {
    try {
      const text = await navigator.clipboard.readText();
      if (text) this.#term.paste(text);
      this.focus();
      return true;
    } catch {
      // Clipboard refused: the caller shows how to paste by hand.
      return false;
    }
  }

  /** Connects again at once: after a drop, after the shell exited (a new one), or to take it back. */
  reconnect(): void {
    if (this.#state.kind === 'disposed') return;
    window.clearTimeout(this.#timer);
    this.#attempt = 0;
    this.#closeSocket();
    this.#connect();
  }

  dispose(): void {
    if (this.#state.kind === 'disposed') return;
    window.clearTimeout(this.#timer);
    cancelAnimationFrame(this.#fitFrame);
    this.#setState({ kind: 'disposed' });
    this.#closeSocket();
    this.#resizeObserver.disconnect();
    this.#themeObserver.disconnect();
    window.removeEventListener('online', this.#onOnline);
    this.#term.dispose();
  }

  // --- connection ---

  #connect(): void {
    const { sessionId, node, tab } = this.#options;
    this.#setState({ kind: 'connecting' });
    const ws = new WebSocket(
      socketUrl(route('terminal', { id: sessionId, node }, { tab, lang: pageLanguage() })),
    );
    ws.binaryType = 'arraybuffer';
    this.#ws = ws;
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      this.#sendResize(this.#term.cols, this.#term.rows);
      for (const bytes of this.#pending.splice(0)) ws.send(encodeFrame(FrameCode.Input, bytes));
    };
    ws.onmessage = (message) => {
      if (this.#ws !== ws || !(message.data instanceof ArrayBuffer)) return;
      const { code, payload } = decodeFrame(new Uint8Array(message.data));
      if (code === FrameCode.Output) {
        const length = payload.length;
        // Acknowledge once xterm has really drawn it: that is the flow control.
        this.#term.write(payload, () => {
          if (this.#ws === ws && ws.readyState === WebSocket.OPEN) {
            ws.send(encodeFrame(FrameCode.Ack, String(length)));
          }
        });
      } else if (code === FrameCode.Status) {
        this.#onStatus(JSON.parse(decoder.decode(payload)) as TerminalStatus);
      }
    };
    ws.onclose = (event) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      const kind = this.#state.kind;
      if (kind === 'disposed' || kind === 'exited' || kind === 'replaced') return;
      // 1008: refused by policy (too many terminals on the node); retrying alone would not help.
      if (event.code === 1008) {
        this.#setState({ kind: 'failed', reason: this.#lastError ?? (event.reason || 'refused by the lab') });
        return;
      }
      this.#scheduleReconnect();
    };
  }

  #onStatus(status: TerminalStatus): void {
    switch (status.type) {
      case 'attached':
        // The server replays the shell's recent output: start from a clean screen so it is not doubled.
        if (status.replayed > 0) this.#term.reset();
        else if (this.#attachedOnce && status.fresh)
          this.#term.write('\r\n\x1b[2m── new shell ──\x1b[0m\r\n');
        this.#attachedOnce = true;
        this.#attempt = 0;
        this.#lastError = undefined;
        this.#setState({ kind: 'connected', fresh: status.fresh });
        break;
      case 'exited':
        this.#setState({ kind: 'exited', reason: status.reason, code: status.code });
        break;
      case 'replaced':
        this.#setState({ kind: 'replaced' });
        break;
      case 'error':
        this.#lastError = status.hint ? `${status.message} ${status.hint}` : status.message;
        this.#options.onNotice?.(status.message, status.hint);
        break;
    }
  }

  #scheduleReconnect(): void {
    const base = BACKOFF_MS[Math.min(this.#attempt, BACKOFF_MS.length - 1)] ?? 15_000;
    const inMs = Math.round(base * (0.8 + Math.random() * 0.4));
    this.#attempt++;
    this.#setState({ kind: 'reconnecting', inMs, attempt: this.#attempt });
    this.#timer = window.setTimeout(() => this.#connect(), inMs);
  }

  #closeSocket(): void {
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'closed by the page');
  }

  #send(code: number, payload: Uint8Array): void {
    const ws = this.#ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(encodeFrame(code, payload));
    } else if (code === FrameCode.Input) {
      const queued = this.#pending.reduce((n, b) => n + b.length, 0);
      if (queued + payload.length <= TERMINAL_LIMITS.maxInputBytes) this.#pending.push(payload.slice());
    }
  }

  #sendResize(cols: number, rows: number): void {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(encodeFrame(FrameCode.Resize, JSON.stringify({ cols, rows })));
  }

  #setState(state: TerminalState): void {
    this.#state = state;
    this.#options.onState?.(state);
  }

  // --- keyboard ---

  #onKey(event: KeyboardEvent): boolean {
    if (event.type !== 'keydown') return true;
    // Tab belongs to the shell (completion); Escape then Tab moves focus out, as in code editors.
    if (event.key === 'Escape') this.#escapeAt = Date.now();
    else if (event.key === 'Tab' && Date.now() - this.#escapeAt < 1500) {
      this.#escapeAt = 0;
      return false;
    } else if (event.key !== 'Shift') this.#escapeAt = 0;
    const ctrl = event.ctrlKey && !event.altKey && !event.metaKey;
    const key = event.key.toLowerCase();
    // Copy: Ctrl+Shift+C always; Ctrl+C only while text is selected (otherwise it interrupts, as usual).
    if (ctrl && key === 'c' && (event.shiftKey || this.#term.hasSelection())) {
      event.preventDefault();
      void this.copySelection().then(() => this.#term.clearSelection());
      return false;
    }
    // Paste: let the browser fire its paste event, which xterm turns into input (bracketed if asked).
    if (ctrl && key === 'v') return false;
    if (ctrl && event.shiftKey && key === 'f') {
      event.preventDefault();
      this.#options.onSearchRequest?.();
      return false;
    }
    return true;
  }

  #searchDecorations() {
    const style = getComputedStyle(this.#options.element);
    const match = style.getPropertyValue('--term-search-match').trim() || '#d4a72c';
    const active = style.getPropertyValue('--term-search-active').trim() || '#f0883e';
    return {
      matchBackground: match,
      matchOverviewRuler: match,
      activeMatchBackground: active,
      activeMatchColorOverviewRuler: active,
    };
  }
}

/** Writes text to the clipboard, with the older API where the async one is not allowed (plain http). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard refused: the fallback below.
    const active = document.activeElement as HTMLElement | null;
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    active?.focus();
    return ok;
  }
}
