/**
 * The sandbox of one lesson page, as a small state machine the lab panel, the exercises and the code
 * blocks share. It starts a sandbox only when asked (never on page load), remembers its id per lesson
 * in localStorage so a reload finds the same sandbox, follows its events over a WebSocket (with GET
 * polling as a fallback), and says clearly when it ended.
 */

import { SESSION_ID } from '../../../../lab-server/src/protocol/names.ts';
import { route } from '../../../../lab-server/src/protocol/routes.ts';
import { pageTranslator } from '../../utils/ui-strings.ts';
import {
  type CheckResponse,
  type ExecResponse,
  LabApiError,
  labApi,
  type SessionEvent,
  type SessionView,
  socketUrl,
} from './api-client.ts';

export type LabPhase = 'idle' | 'resuming' | 'starting' | 'ready' | 'stopping' | 'ended' | 'error';

export interface LabSnapshot {
  phase: LabPhase;
  session?: SessionView;
  /** What went wrong (phase error), or what the last action that failed said. */
  error?: LabApiError;
  /** What was being done when `error` happened. */
  failedAction?: 'start' | 'resume' | 'stop';
  /** Why the sandbox ended: idle, max-age, deleted, missing (the lab no longer knows it), failed. */
  endedReason?: string;
  /** When Start was pressed (for the progress display). */
  startingSince?: number;
  /** Nodes whose container started while the sandbox was being created. */
  nodesUp: number;
  /** An expiry warning not yet answered by Extend. */
  expiry?: { expiresAt: number; reason: string };
}

/** What the lab panel offers the rest of the page: typing into a node's terminal. */
export interface TerminalHost {
  /** Types `text` into `node`'s terminal (opening it if needed) and shows that terminal. */
  type(node: string, text: string): void;
  /** The node whose terminal is shown. */
  selectedNode(): string;
}

const storageKey = (lesson: string) => `dockside:lab:${lesson}`;
const ACTIVE: LabPhase[] = ['starting', 'ready'];

export class LabSession extends EventTarget {
  readonly lesson: string;
  readonly template: string;
  #state: LabSnapshot = { phase: 'idle', nodesUp: 0 };
  #events: WebSocket | undefined;
  #eventsAttempt = 0;
  #eventsTimer: number | undefined;
  #lastEventId = 0;
  #seenUp = new Set<string>();
  #poll: number | undefined;
  #terminals: TerminalHost | undefined;
  #startDeadline = 0;
  /** The session whose watched checks the lab follows for this page (asked once per socket). */
  #watching: string | undefined;

  constructor(options: { lesson: string; template: string }) {
    super();
    this.lesson = options.lesson;
    this.template = options.template;
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && ACTIVE.includes(this.#state.phase)) void this.refresh();
    });
  }

  get snapshot(): LabSnapshot {
    return this.#state;
  }

  get sessionId(): string | undefined {
    return this.#state.session?.id;
  }

  get ready(): boolean {
    return this.#state.phase === 'ready';
  }

  /** Finds the sandbox this lesson had before a reload, if it is still there. */
  async resume(): Promise<void> {
    const stored = this.#stored();
    if (!stored) return this.#set({ phase: 'idle' });
    this.#set({ phase: 'resuming' });
    try {
      const session = await labApi.getSession(stored.id);
      this.#follow(session);
    } catch (err) {
      const error = asLabError(err);
      if (error.status === 404) {
        this.#forget();
        this.#set({ phase: 'ended', endedReason: 'missing', session: undefined });
      } else {
        this.#set({ phase: 'error', error, failedAction: 'resume' });
      }
    }
  }

  /** POST /api/sessions with wait: false, then follows the events until the sandbox is ready. */
  async start(): Promise<void> {
    if (['starting', 'ready', 'stopping'].includes(this.#state.phase)) return;
    this.#lastEventId = 0;
    this.#seenUp.clear();
    this.#set({
      phase: 'starting',
      session: undefined,
      error: undefined,
      endedReason: undefined,
      expiry: undefined,
      startingSince: Date.now(),
      nodesUp: 0,
    });
    try {
      const session = await labApi.createSession(this.template);
      localStorage.setItem(storageKey(this.lesson), JSON.stringify({ id: session.id, at: Date.now() }));
      this.#follow(session);
    } catch (err) {
      this.#set({ phase: 'error', error: asLabError(err), failedAction: 'start' });
    }
  }

  /** DELETE: removes the sandbox and everything in it. */
  async stop(): Promise<void> {
    const id = this.sessionId;
    if (!id) return;
    const before = this.#state;
    this.#set({ phase: 'stopping' });
    try {
      await labApi.deleteSession(id);
      this.#end('deleted', 'idle');
    } catch (err) {
      const error = asLabError(err);
      if (error.status === 404) return this.#end('deleted', 'idle');
      this.#set({ ...before, error, failedAction: 'stop' });
    }
  }

  async extend(): Promise<void> {
    const id = this.sessionId;
    if (!id) return;
    const session = await this.#act(() => labApi.extend(id));
    if (session) this.#set({ session, expiry: undefined });
  }

  async addNode(): Promise<void> {
    const id = this.sessionId;
    if (id && (await this.#act(() => labApi.addNode(id)))) await this.refresh();
  }

  async restartNode(node: string): Promise<void> {
    const id = this.sessionId;
    if (id && (await this.#act(() => labApi.restartNode(id, node)))) await this.refresh();
  }

  async killNode(node: string): Promise<void> {
    const id = this.sessionId;
    if (id && (await this.#act(() => labApi.killNode(id, node)))) await this.refresh();
  }

  /** Writes a file or runs a program on a node (file blocks). Throws LabApiError. */
  async exec(node: string, argv: string[], stdin?: string): Promise<ExecResponse> {
    const id = this.#requireReady();
    return labApi.exec(id, node, { argv, ...(stdin === undefined ? {} : { stdin }), timeoutMs: 20_000 });
  }

  /** Runs an exercise's check on the lab server. Throws LabApiError. */
  async check(exercise: string): Promise<CheckResponse> {
    const id = this.#requireReady();
    try {
      return await labApi.check(id, this.lesson, exercise);
    } catch (err) {
      const error = asLabError(err);
      if (error.code === 'SessionNotFound') void this.refresh();
      throw error;
    }
  }

  attachTerminals(host: TerminalHost): void {
    this.#terminals = host;
  }

  /** Types into a node's terminal; false when the sandbox is not ready. */
  typeInto(node: string | undefined, text: string): boolean {
    if (!this.ready || !this.#terminals) return false;
    this.#terminals.type(node ?? this.#terminals.selectedNode(), text);
    return true;
  }

  selectedNode(): string {
    return this.#terminals?.selectedNode() ?? 'node1';
  }

  /** Asks the lab panel to draw attention to its Start button (a Run or Check pressed too early). */
  requestStart(): void {
    this.dispatchEvent(new CustomEvent('start-requested'));
  }

  /** GET the session again: node states, ports, deadlines; notices when it ended. */
  async refresh(): Promise<void> {
    const id = this.sessionId;
    if (!id) return;
    try {
      const session = await labApi.getSession(id);
      if (this.sessionId !== id) return;
      this.#apply(session);
    } catch (err) {
      const error = asLabError(err);
      if (error.status === 404 && this.sessionId === id) {
        this.#end(this.#state.phase === 'starting' ? 'failed' : 'missing');
      }
      // Other errors (a lab restarting, a network blip) are retried by the next poll.
    }
  }

  // --- internals ---

  #follow(session: SessionView): void {
    this.#set({ session, error: undefined });
    this.#apply(session);
    this.#connectEvents();
    this.#schedulePoll();
  }

  #apply(session: SessionView): void {
    if (session.state === 'ready') {
      const expiry =
        this.#state.expiry && this.#state.expiry.expiresAt > Date.now() ? this.#state.expiry : undefined;
      this.#set({ phase: 'ready', session, expiry });
      this.#watchChecks();
    } else if (session.state === 'creating') {
      if (this.#state.phase !== 'starting') {
        this.#set({ phase: 'starting', startingSince: this.#state.startingSince ?? session.createdAt });
      }
      this.#startDeadline ||= Date.now() + 180_000;
      this.#set({ session });
    } else if (session.state === 'failed') {
      this.#end('failed');
    } else if (session.state === 'deleting') {
      this.#end('deleted');
    }
  }

  #connectEvents(): void {
    const id = this.sessionId;
    if (!id || this.#events) return;
    const ws = new WebSocket(socketUrl(route('events', { id }, { after: this.#lastEventId })));
    this.#events = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.#eventsAttempt = 0;
      // A lab that restarted forgot what it watched: ask again on every new socket.
      this.#watching = undefined;
      this.#watchChecks();
    };
    ws.onmessage = (message) => {
      try {
        this.#onEvent(JSON.parse(String(message.data)) as SessionEvent);
      } catch {
        // Not an event: ignore it rather than stop following the sandbox.
      }
    };
    ws.onclose = () => {
      if (this.#events !== ws) return;
      this.#events = undefined;
      if (!ACTIVE.includes(this.#state.phase) || this.sessionId !== id) return;
      // Refused or dropped: the session may be gone (GET says), or the network blinked (retry later).
      if (!opened) void this.refresh();
      const delay = Math.min(30_000, 1000 * 2 ** this.#eventsAttempt++) * (0.75 + Math.random() / 2);
      this.#eventsTimer = window.setTimeout(() => this.#connectEvents(), delay);
    };
  }

  #onEvent(event: SessionEvent): void {
    if (typeof event.id === 'number') this.#lastEventId = Math.max(this.#lastEventId, event.id);
    const node = typeof event.data?.node === 'string' ? event.data.node : undefined;
    switch (event.type) {
      case 'session-ready':
        void this.refresh();
        break;
      case 'node-up':
        if (this.#state.phase === 'starting' && node) {
          this.#seenUp.add(node);
          this.#set({ nodesUp: this.#seenUp.size });
        } else void this.refresh();
        break;
      case 'node-added':
      case 'node-removed':
      case 'node-down':
      case 'node-oom':
        void this.refresh();
        break;
      case 'expiry-warning': {
        const expiresAt = Number(event.data.expiresAt);
        if (expiresAt > Date.now()) {
          this.#set({ expiry: { expiresAt, reason: String(event.data.reason ?? 'idle') } });
        }
        break;
      }
      case 'extended':
        this.#set({ expiry: undefined });
        void this.refresh();
        break;
      case 'session-ended':
        this.#end(String(event.data.reason ?? 'deleted'));
        break;
    }
    this.dispatchEvent(new CustomEvent('lab-event', { detail: event }));
  }

  /**
   * Asks the lab to re-evaluate this lesson's `watch` exercises on sandbox changes; their passes come
   * back as `check` events. Only on pages that have such exercises, once the sandbox is ready.
   */
  #watchChecks(): void {
    const id = this.sessionId;
    if (!id || !this.ready || this.#watching === id) return;
    if (!document.querySelector('dockside-exercise[data-watch]')) return;
    this.#watching = id;
    labApi.watch(id, this.lesson).catch(() => {
      // Live feedback is a comfort, not a need: the Check button still works. Retried on reconnect.
      if (this.#watching === id) this.#watching = undefined;
    });
  }

  #schedulePoll(): void {
    window.clearTimeout(this.#poll);
    if (!ACTIVE.includes(this.#state.phase)) return;
    const starting = this.#state.phase === 'starting';
    this.#poll = window.setTimeout(
      async () => {
        if (document.visibilityState === 'visible' || starting) await this.refresh();
        if (this.#state.phase === 'starting' && this.#startDeadline && Date.now() > this.#startDeadline) {
          this.#set({
            phase: 'error',
            failedAction: 'start',
            error: new LabApiError(0, { error: 'SandboxSlow' }, pageTranslator()('error.SandboxSlow')),
          });
          return;
        }
        this.#schedulePoll();
      },
      starting ? 1500 : 5000,
    );
  }

  #end(reason: string, phase: LabPhase = 'ended'): void {
    this.#forget();
    this.#watching = undefined;
    window.clearTimeout(this.#poll);
    window.clearTimeout(this.#eventsTimer);
    const ws = this.#events;
    this.#events = undefined;
    ws?.close();
    this.#startDeadline = 0;
    this.#set({
      phase,
      session: undefined,
      endedReason: phase === 'ended' ? reason : undefined,
      expiry: undefined,
      nodesUp: 0,
    });
  }

  async #act<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await work();
      if (this.#state.error) this.#set({ error: undefined });
      return result;
    } catch (err) {
      const error = asLabError(err);
      this.#set({ error });
      if (error.status === 404 && error.code === 'SessionNotFound') await this.refresh();
      return undefined;
    }
  }

  #requireReady(): string {
    const id = this.sessionId;
    if (!id || !this.ready) {
      throw new LabApiError(0, { error: 'SandboxNotReady' }, pageTranslator()('error.SandboxNotReady'));
    }
    return id;
  }

  #stored(): { id: string } | undefined {
    try {
      const value = JSON.parse(localStorage.getItem(storageKey(this.lesson)) ?? 'null') as {
        id?: unknown;
      } | null;
      return typeof value?.id === 'string' && SESSION_ID.test(value.id) ? { id: value.id } : undefined;
    } catch {
      // Storage blocked or a torn value: nothing remembered.
      return undefined;
    }
  }

  #forget(): void {
    try {
      localStorage.removeItem(storageKey(this.lesson));
    } catch {
      // Storage blocked: nothing was remembered either.
    }
  }

  #set(patch: Partial<LabSnapshot>): void {
    const before = this.#state.phase;
    this.#state = { ...this.#state, ...patch };
    if (before !== this.#state.phase && ACTIVE.includes(this.#state.phase)) this.#schedulePoll();
    this.dispatchEvent(new CustomEvent('change', { detail: this.#state }));
  }
}

export function asLabError(err: unknown): LabApiError {
  if (err instanceof LabApiError) return err;
  return new LabApiError(0, { error: 'UnexpectedError' }, err instanceof Error ? err.message : String(err));
}

let pageSession: LabSession | undefined;

/** The sandbox of this lesson page, or undefined on a page without one. */
export function pageLab(): LabSession | undefined {
  if (pageSession) return pageSession;
  const element = document.querySelector<HTMLElement>('dockside-lab');
  const { lesson, template } = element?.dataset ?? {};
  if (!lesson || !template) return undefined;
  pageSession = new LabSession({ lesson, template });
  return pageSession;
}
