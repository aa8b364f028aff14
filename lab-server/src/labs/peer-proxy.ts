import { request as httpRequest, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { LabError } from '../errors/lab-error.ts';
import { OwnerLabDown } from '../errors/peer-errors.ts';
import { matchRoute, type RouteName, route } from '../protocol/routes.ts';
import type { LabRecord, LabStore } from '../storage/lab-store.ts';

/** Set on a request one lab passes to another: the owner answers it itself, never passing it on. */
export const VIA_HEADER = 'x-dockside-via';

/** Every route that names a session: a request on one is answered by the lab that runs the session. */
const SESSION_ROUTES: RouteName[] = [
  'session',
  'extend',
  'nodes',
  'node',
  'restartNode',
  'killNode',
  'exec',
  'events',
  'terminal',
  'checks',
  'watch',
];

/** Where a request goes: to another lab (up, or down with the error to answer). */
export type Destination =
  | { lab: LabRecord; up: true }
  | { lab: LabRecord; up: false; error: LabError<{ lab: string }> };

export interface PeerProxyOptions {
  store: LabStore;
  selfId: string;
  /** Whether this lab runs the session (no store lookup for its own). */
  isLocal: (sessionId: string) => boolean;
  isLocalPreview: (token: string) => boolean;
  /** The preview token a request is for, if it is a preview. */
  previewToken: (req: IncomingMessage) => string | undefined;
  clock?: () => number;
  /** How long the owner may take to start answering (exec and checks can take a while). */
  timeoutMs?: number;
}

/**
 * Labs sharing one store answer for each other: a request for a session (HTTP, WebSocket, preview)
 * that reaches a lab other than the one running its sandbox is passed, as it came, to that lab's
 * internal address, and its answer passed back. The owner checks the learner's cookie itself.
 */
export class PeerProxy {
  readonly #o: Required<PeerProxyOptions>;

  constructor(options: PeerProxyOptions) {
    this.#o = { clock: Date.now, timeoutMs: 120_000, ...options };
  }

  /** Another lab that should answer this request, or undefined when this lab answers it. */
  async destination(req: IncomingMessage): Promise<Destination | undefined> {
    if (req.headers[VIA_HEADER]) return undefined;
    const pathname = new URL(req.url ?? '/', 'http://lab').pathname;
    const token = this.#o.previewToken(req);
    let labId: string | undefined;
    if (token !== undefined) {
      if (this.#o.isLocalPreview(token)) return undefined;
      labId = (await this.#o.store.getSessionByPreviewToken(token))?.labId;
    } else {
      const id = SESSION_ROUTES.map((r) => matchRoute(r, pathname) as { id?: string } | undefined).find(
        (m) => m?.id,
      )?.id;
      if (!id || this.#o.isLocal(id)) return undefined;
      labId = (await this.#o.store.getSession(id))?.labId;
    }
    if (!labId || labId === this.#o.selfId) return undefined;
    const lab = (await this.#o.store.listLabs()).find((l) => l.id === labId) ?? {
      id: labId,
      holder: '',
      address: '',
      publicUrl: '',
      startedAt: 0,
      heartbeatAt: 0,
      leaseUntil: 0,
    };
    if (lab.address && lab.leaseUntil > this.#o.clock()) return { lab, up: true };
    return { lab, up: false, error: new LabError(OwnerLabDown, { lab: lab.id }) };
  }

  /**
   * The learner's sandboxes that other labs run, as their labs describe them (`GET` of each session, with
   * the learner's own cookie). A lab that is down, or does not answer in time, leaves its out for now.
   */
  async othersOf(ownerHash: string, req: IncomingMessage): Promise<unknown[]> {
    const now = this.#o.clock();
    const labs = new Map((await this.#o.store.listLabs()).map((l) => [l.id, l]));
    const theirs = (await this.#o.store.listSessions({ ownerHash })).filter(
      (s) => s.labId && s.labId !== this.#o.selfId && !this.#o.isLocal(s.id),
    );
    const views = await Promise.all(
      theirs.map(async (s) => {
        const lab = labs.get(s.labId);
        if (!lab?.address || lab.leaseUntil <= now) return undefined;
        try {
          const answer = await fetch(new URL(route('session', { id: s.id }), lab.address), {
            headers: {
              [VIA_HEADER]: this.#o.selfId,
              cookie: req.headers.cookie ?? '',
              host: req.headers.host ?? '',
              'accept-language': req.headers['accept-language'] ?? '',
            },
            signal: AbortSignal.timeout(3000),
          });
          return answer.ok ? ((await answer.json()) as unknown) : undefined;
        } catch {
          // Away or slow: its sandbox is listed again once it answers.
          return undefined;
        }
      }),
    );
    return views.filter((v) => v !== undefined);
  }

  /** Passes an HTTP request to `lab` and its answer back; an owner that does not answer is OwnerLabDown. */
  forward(req: IncomingMessage, res: ServerResponse, lab: LabRecord, lang: 'en' | 'fr'): Promise<void> {
    return new Promise((resolve) => {
      const out = httpRequest(new URL(req.url ?? '/', lab.address), {
        method: req.method,
        headers: { ...req.headers, [VIA_HEADER]: this.#o.selfId },
        timeout: this.#o.timeoutMs,
      });
      out.on('response', (answer) => {
        // Hop-by-hop headers are this connection's own, not the owner's.
        const { connection: _c, 'keep-alive': _k, ...headers } = answer.headers;
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
        answer.on('end', resolve);
        answer.on('error', () => res.destroy());
      });
      out.on('timeout', () => out.destroy(new Error('the owner lab took too long')));
      out.on('error', () => {
        if (!res.headersSent) {
          const body = JSON.stringify(new LabError(OwnerLabDown, { lab: lab.id }).body(lang));
          res.writeHead(503, { 'content-type': 'application/json; charset=utf-8' }).end(body);
        } else res.destroy();
        resolve();
      });
      // The learner went away: nothing to pass on.
      req.on('aborted', () => out.destroy());
      req.pipe(out);
    });
  }

  /**
   * Passes a WebSocket upgrade to `lab`, then the bytes both ways. A refusal of the owner's (an unknown
   * node, a foreign origin) reaches the client as the owner said it; no answer at all is OwnerLabDown.
   */
  forwardUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    lab: LabRecord,
    refuse: (err: Pick<LabError, 'status' | 'body'>) => void,
  ): void {
    const out = httpRequest(new URL(req.url ?? '/', lab.address), {
      method: 'GET',
      headers: { ...req.headers, [VIA_HEADER]: this.#o.selfId },
      timeout: 10_000,
    });
    out.on('upgrade', (answer, peer, peerHead) => {
      out.setTimeout(0);
      socket.write(`HTTP/1.1 101 Switching Protocols\r\n${rawHeaders(answer.rawHeaders)}\r\n`);
      if (peerHead.length) socket.write(peerHead);
      if (head.length) peer.write(head);
      peer.pipe(socket).pipe(peer);
      // Either side closing closes the other: a closed tab ends the owner's socket, and the reverse.
      peer.on('error', () => socket.destroy());
      socket.on('error', () => peer.destroy());
      peer.on('close', () => socket.destroy());
      socket.on('close', () => peer.destroy());
    });
    out.on('response', (answer) => {
      const status = answer.statusCode ?? 502;
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${rawHeaders(answer.rawHeaders)}\r\n`,
      );
      answer.pipe(socket);
    });
    out.on('timeout', () => out.destroy(new Error('the owner lab took too long')));
    out.on('error', () => {
      if (!socket.destroyed) refuse(new LabError(OwnerLabDown, { lab: lab.id }));
    });
    socket.on('error', () => out.destroy());
    out.end();
  }
}

/** Node's flat [name, value, name, value, ...] as header lines. */
function rawHeaders(flat: string[]): string {
  let lines = '';
  for (let i = 0; i + 1 < flat.length; i += 2) lines += `${flat[i]}: ${flat[i + 1]}\r\n`;
  return lines;
}
