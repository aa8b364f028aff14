import {
  type ClientRequest,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream';
import type { Logger } from 'pino';
import { isLabError, LabError, pickLanguage } from '../errors/lab-error.ts';
import {
  PreviewAddressInvalid,
  PreviewConnectionClosed,
  PreviewLookupFailed,
  PreviewNotFound,
  PreviewNotHttp,
  PreviewNothingListening,
  PreviewTimedOut,
  PreviewUnreachable,
} from '../errors/preview-errors.ts';
import { TOKEN_COOKIE } from '../protocol/names.ts';
import {
  describeAddress,
  hostnameOf,
  type ParsedPreview,
  type PreviewRef,
  type PreviewTarget,
  parsePreviewHost,
  parsePreviewPath,
} from './preview-address.ts';
import {
  connectionTokens,
  cookieName,
  FORWARDED,
  first,
  HOP_BY_HOP,
  renderPage,
  rewriteLocation,
  withoutLabCookie,
} from './preview-http.ts';

export type { ParsedPreview, PreviewRef, PreviewTarget } from './preview-address.ts';
export { renderPage, rewriteLocation } from './preview-http.ts';

export type PreviewLogger = Pick<Logger, 'debug' | 'info' | 'warn'>;

export interface PreviewProxyOptions {
  /**
   * The target of a preview, or undefined when the token names no session or the node is not in that
   * session. It only knows the token's own session: that is what keeps learners out of each other's ports.
   * A LabError it throws (a node that is down) is shown with its own status and hint.
   */
  resolve: (ref: PreviewRef) => Promise<PreviewTarget | undefined>;
  /** Domains preview host names end with: `localhost`, and a configured wildcard domain. */
  baseDomains: string[];
  /** Where path-based previews live on the lab's own host. */
  pathPrefix?: string;
  logger?: PreviewLogger;
  /** Called once per request or upgrade that is forwarded (its preview exists): metrics, session activity. */
  onRequest?: (ref: PreviewRef, kind: 'http' | 'upgrade') => void;
  /** How long the target has to accept a connection. */
  connectTimeoutMs?: number;
  /** How long the target has, once the request is sent, to begin its answer. */
  responseTimeoutMs?: number;
  /**
   * Path-based previews share the lab's origin, so a page from a learner's container could call the lab's
   * API with the visitor's cookie. When true (the default) they are served with `Content-Security-Policy:
   * sandbox`, which gives them an opaque origin; their scripts run, but same-origin storage and
   * credentialed calls back to their own server do not work. Host-based previews are separate origins
   * and need none of this.
   */
  isolatePathPreviews?: boolean;
}

// A preview host name's first label: <port>-<node>-<token>.
const SANDBOX_CSP = 'sandbox allow-downloads allow-forms allow-modals allow-popups allow-scripts';

const UNREACHABLE_CODES = new Set([
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** What a refusal page is made of: any LabError. */
type Refusal = Pick<LabError, 'name' | 'title' | 'message' | 'hint' | 'status' | 'text'>;

class TargetTimeout extends Error {
  readonly phase: 'connect' | 'answer';
  readonly ms: number;
  constructor(phase: 'connect' | 'answer', ms: number) {
    super(`no ${phase} within ${ms} ms`);
    this.phase = phase;
    this.ms = ms;
  }
}

/**
 * The web preview proxy: opens a port of a learner's node in the browser, by host name
 * (`http://8080-node1-<token>.localhost:4000/`) or by path (`/preview/<token>/node1/8080/`). HTTP
 * requests and upgrades (WebSocket) stream both ways; a preview that does not exist, a port nobody
 * listens on and a target that does not answer each get a page that says what to do.
 */
export class PreviewProxy {
  readonly #resolve: PreviewProxyOptions['resolve'];
  readonly #domains: string[];
  readonly #prefix: string;
  readonly #logger: PreviewLogger | undefined;
  readonly #onRequest: PreviewProxyOptions['onRequest'];
  readonly #connectTimeoutMs: number;
  readonly #responseTimeoutMs: number;
  readonly #isolatePaths: boolean;
  /** Open upstream requests and tunnels, closed by dispose(). */
  readonly #open = new Set<{ destroy(): unknown }>();

  constructor(options: PreviewProxyOptions) {
    this.#resolve = options.resolve;
    this.#domains = options.baseDomains
      .map((d) =>
        d
          .trim()
          .toLowerCase()
          .replace(/^\.+|\.+$/g, ''),
      )
      .filter((d) => d !== '');
    this.#prefix = `/${(options.pathPrefix ?? '/preview').replace(/^\/+|\/+$/g, '')}`;
    this.#logger = options.logger;
    this.#onRequest = options.onRequest;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.#responseTimeoutMs = options.responseTimeoutMs ?? 60_000;
    this.#isolatePaths = options.isolatePathPreviews ?? true;
  }

  /** The preview a request is for, or undefined when it is not a preview request. */
  parse(req: Pick<IncomingMessage, 'headers' | 'url'>): ParsedPreview | undefined {
    return parsePreviewHost(req, this.#domains) ?? parsePreviewPath(req.url ?? '/', this.#prefix);
  }

  /**
   * A path under the preview prefix that names no preview (a token, node or port that cannot be one):
   * answered by the proxy as a refusal page, not left to the site's "page not found".
   */
  malformed(req: Pick<IncomingMessage, 'headers' | 'url'>): string | undefined {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    return path.startsWith(`${this.#prefix}/`) && !this.parse(req) ? path.slice(0, 200) : undefined;
  }

  #invalid(req: IncomingMessage): LabError<{ address: string }> | undefined {
    const address = this.malformed(req);
    return address === undefined ? undefined : new LabError(PreviewAddressInvalid, { address });
  }

  /** Proxies a preview request; false (and nothing written) when it is not one. */
  async handleRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const parsed = this.parse(req);
    const invalid = parsed ? undefined : this.#invalid(req);
    if (invalid) this.#refuse(req, res, invalid);
    if (!parsed) return Boolean(invalid);
    if (parsed.redirect) {
      res.writeHead(307, { location: parsed.redirect, 'cache-control': 'no-store', 'content-length': 0 });
      res.end();
      return true;
    }
    const target = await this.#lookup(parsed, req, 'http', (err) => this.#refuse(req, res, err));
    if (target) await this.#forward(req, res, parsed, target);
    return true;
  }

  /** Proxies an HTTP upgrade (WebSocket) to a preview; false (and nothing written) when it is not one. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<boolean> {
    const parsed = this.parse(req);
    const invalid = parsed ? undefined : this.#invalid(req);
    if (invalid) this.#refuseSocket(req, socket, invalid);
    if (!parsed) return Boolean(invalid);
    // The browser's side may reset at any moment; that ends the tunnel, nothing more.
    socket.on('error', () => socket.destroy());
    const target = await this.#lookup(parsed, req, 'upgrade', (err) => this.#refuseSocket(req, socket, err));
    if (target) this.#tunnel(req, socket, head, parsed, target);
    return true;
  }

  /** Closes every open preview connection. */
  dispose(): void {
    for (const open of this.#open) open.destroy();
    this.#open.clear();
  }

  /** The target, or undefined after `refuse` has answered. */
  async #lookup(
    parsed: ParsedPreview,
    req: IncomingMessage,
    kind: 'http' | 'upgrade',
    refuse: (err: Refusal) => void,
  ): Promise<PreviewTarget | undefined> {
    const address = describeAddress(parsed);
    let target: PreviewTarget | undefined;
    try {
      target = await this.#resolve(parsed.ref);
    } catch (err) {
      if (isLabError(err)) {
        this.#logger?.debug({ ref: parsed.ref, err }, 'preview refused');
        refuse(err);
      } else {
        this.#logger?.warn({ ref: parsed.ref, err }, 'preview lookup failed');
        refuse(new LabError(PreviewLookupFailed, { address }, { cause: err }));
      }
      return undefined;
    }
    if (!target) {
      this.#logger?.debug({ ref: parsed.ref, url: req.url }, 'no such preview');
      refuse(new LabError(PreviewNotFound, { address }));
      return undefined;
    }
    try {
      this.#onRequest?.(parsed.ref, kind);
    } catch (err) {
      this.#logger?.warn({ err }, 'preview onRequest callback failed');
    }
    return target;
  }

  #forward(
    req: IncomingMessage,
    res: ServerResponse,
    parsed: ParsedPreview,
    target: PreviewTarget,
  ): Promise<void> {
    const { ref } = parsed;
    return new Promise<void>((done) => {
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        clearTimeout(answerTimer);
        this.#open.delete(upstream);
        done();
      };
      let answerTimer: NodeJS.Timeout | undefined;
      const upstream: ClientRequest = httpRequest({
        host: target.host,
        port: target.port,
        method: req.method,
        path: parsed.path,
        headers: this.#requestHeaders(req, parsed),
        setHost: false,
        // A fresh connection each time: a reused one that the learner's server has just closed would show
        // up as a spurious "hung up" page.
        agent: false,
      });
      this.#open.add(upstream);
      this.#connectDeadline(upstream);
      upstream.on('finish', () => {
        // The clock runs from the end of the request to the start of the answer; an early answer stops it.
        if (settled || res.headersSent) return;
        answerTimer = setTimeout(
          () => upstream.destroy(new TargetTimeout('answer', this.#responseTimeoutMs)),
          this.#responseTimeoutMs,
        );
      });
      upstream.on('response', (upstreamRes) => {
        clearTimeout(answerTimer);
        res.writeHead(
          upstreamRes.statusCode ?? 502,
          upstreamRes.statusMessage || undefined,
          this.#responseHeaders(upstreamRes.headers, req, parsed, target),
        );
        // Either side failing or closing early ends the other.
        pipeline(upstreamRes, res, finish);
      });
      upstream.on('error', (err) => {
        if (!res.headersSent && !res.destroyed) this.#refuse(req, res, this.#failure(err, ref));
        else res.destroy();
        finish();
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
        finish();
      });
      req.pipe(upstream);
    });
  }

  #tunnel(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    parsed: ParsedPreview,
    target: PreviewTarget,
  ): void {
    const upstream = connect({ host: target.host, port: target.port });
    this.#open.add(upstream);
    // connecting → waiting (request sent) → open (the target answered) → closed.
    let state: 'connecting' | 'waiting' | 'open' | 'closed' = 'connecting';
    let answerTimer: NodeJS.Timeout | undefined;
    const connectTimer = setTimeout(
      () => upstream.destroy(new TargetTimeout('connect', this.#connectTimeoutMs)),
      this.#connectTimeoutMs,
    );
    /** Marks the tunnel closed: false if it already was, else whether the browser still needs a page. */
    const settle = () => {
      if (state === 'closed') return false;
      clearTimeout(connectTimer);
      clearTimeout(answerTimer);
      const wasOpen = state === 'open';
      state = 'closed';
      // Before the target said anything the browser gets a page; after, the tunnel just closes.
      return wasOpen || !socket.writable ? 'close' : 'refuse';
    };
    upstream.on('error', (err) => {
      const next = settle();
      upstream.destroy();
      if (next === 'refuse') this.#refuseSocket(req, socket, this.#failure(err, parsed.ref));
      else if (next) socket.destroy();
    });
    upstream.on('close', () => {
      this.#open.delete(upstream);
      const next = settle();
      if (next === 'refuse') {
        const hungUp = Object.assign(new Error('closed without answering'), { code: 'ECONNRESET' });
        this.#refuseSocket(req, socket, this.#failure(hungUp, parsed.ref));
      } else if (next) endSoon(socket);
    });
    socket.on('close', () => {
      if (settle()) endSoon(upstream);
    });
    // A side that finishes sending is given a few seconds to finish receiving, so that a peer keeping its
    // half open (Node's HTTP servers do) cannot keep the tunnel forever.
    socket.on('end', () => endSoon(upstream));
    upstream.on('end', () => {
      if (state === 'open') endSoon(socket);
    });
    upstream.on('connect', () => {
      if (state !== 'connecting') return; // The browser left while we connected.
      clearTimeout(connectTimer);
      state = 'waiting';
      upstream.setNoDelay(true);
      upstream.write(this.#upgradeHead(req, parsed));
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      answerTimer = setTimeout(
        () => upstream.destroy(new TargetTimeout('answer', this.#responseTimeoutMs)),
        this.#responseTimeoutMs,
      );
      // The target's answer (101, or a plain refusal) goes to the browser as it is, from its first byte.
      upstream.once('data', (first: Buffer) => {
        if (state !== 'waiting') return;
        state = 'open';
        clearTimeout(answerTimer);
        socket.write(first);
        upstream.pipe(socket);
      });
    });
  }

  /** Ends a request that has not connected within the connect timeout. */
  #connectDeadline(upstream: ClientRequest): void {
    upstream.on('socket', (socket: Socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(
        () => upstream.destroy(new TargetTimeout('connect', this.#connectTimeoutMs)),
        this.#connectTimeoutMs,
      );
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
  }

  #requestHeaders(req: IncomingMessage, parsed: ParsedPreview): OutgoingHttpHeaders {
    const drop = new Set([
      ...HOP_BY_HOP,
      ...FORWARDED,
      ...connectionTokens(req.headers.connection),
      'expect',
    ]);
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !drop.has(name)) headers[name] = value;
    }
    // The node answers the body it receives; keep it chunked when the browser sent it so.
    if (/\bchunked\b/i.test(req.headers['transfer-encoding'] ?? '')) headers['transfer-encoding'] = 'chunked';
    const cookie = withoutLabCookie(req.headers.cookie);
    if (cookie) headers.cookie = cookie;
    else delete headers.cookie;
    Object.assign(headers, this.#forwardedHeaders(req, parsed));
    return headers;
  }

  #forwardedHeaders(req: IncomingMessage, parsed: ParsedPreview): Record<string, string> {
    const remote = req.socket.remoteAddress ?? '';
    const previous = first(req.headers['x-forwarded-for']);
    const proto =
      first(req.headers['x-forwarded-proto']) ??
      ((req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http');
    const forwarded: Record<string, string> = {
      'x-forwarded-for': previous ? `${previous}, ${remote}` : remote,
      'x-forwarded-proto': proto,
      'x-forwarded-host': first(req.headers['x-forwarded-host']) ?? req.headers.host ?? '',
    };
    if (parsed.mount) forwarded['x-forwarded-prefix'] = parsed.mount;
    return forwarded;
  }

  #responseHeaders(
    upstream: IncomingHttpHeaders,
    req: IncomingMessage,
    parsed: ParsedPreview,
    target: PreviewTarget,
  ): OutgoingHttpHeaders {
    const drop = new Set([...HOP_BY_HOP, ...connectionTokens(upstream.connection)]);
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(upstream)) {
      if (value !== undefined && !drop.has(name)) headers[name] = value;
    }
    if (typeof upstream.location === 'string') {
      headers.location = rewriteLocation(upstream.location, parsed, target, hostnameOf(req.headers.host));
    }
    if (parsed.via === 'path') {
      // On the lab's own origin a preview must not replace the learner's lab cookie.
      const cookies = (upstream['set-cookie'] ?? []).filter((c) => cookieName(c) !== TOKEN_COOKIE);
      if (cookies.length > 0) headers['set-cookie'] = cookies;
      else delete headers['set-cookie'];
      if (this.#isolatePaths) {
        const csp = upstream['content-security-policy'];
        // Several policies in one header are all enforced: the server's own, and the sandbox.
        headers['content-security-policy'] = csp ? `${csp}, ${SANDBOX_CSP}` : SANDBOX_CSP;
      }
    }
    return headers;
  }

  #upgradeHead(req: IncomingMessage, parsed: ParsedPreview): string {
    const lines = [`${req.method} ${parsed.path} HTTP/1.1`];
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as string;
      const lower = name.toLowerCase();
      if (FORWARDED.includes(lower)) continue;
      if (lower === 'cookie') {
        const cookie = withoutLabCookie(raw[i + 1]);
        if (cookie) lines.push(`${name}: ${cookie}`);
        continue;
      }
      lines.push(`${name}: ${raw[i + 1]}`);
    }
    for (const [name, value] of Object.entries(this.#forwardedHeaders(req, parsed)))
      lines.push(`${name}: ${value}`);
    return `${lines.join('\r\n')}\r\n\r\n`;
  }

  /** The page a failed connection to the target is shown as; logged here, once. */
  #failure(err: Error & { code?: string }, ref: PreviewRef): Refusal {
    const where = { node: ref.node, port: ref.port };
    let failure: Refusal;
    let expected = true;
    if (err instanceof TargetTimeout) {
      failure = new LabError(
        PreviewTimedOut,
        { ...where, phase: err.phase, seconds: Math.round(err.ms / 100) / 10 },
        { cause: err },
      );
    } else if (err.code === 'ECONNREFUSED') {
      failure = new LabError(PreviewNothingListening, where, { cause: err });
    } else if (err.code?.startsWith('HPE_')) {
      failure = new LabError(PreviewNotHttp, where, { cause: err });
    } else if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
      failure = new LabError(PreviewConnectionClosed, where, { cause: err });
    } else {
      expected = err.code !== undefined && UNREACHABLE_CODES.has(err.code);
      failure = new LabError(
        PreviewUnreachable,
        { ...where, reason: err.code ?? err.message },
        { cause: err },
      );
    }
    // A learner's server that is not up yet is everyday business; anything unforeseen is worth a warning.
    const log = { ref, code: err.code, reason: err.message };
    if (expected) this.#logger?.info(log, failure.message);
    else this.#logger?.warn(log, failure.message);
    return failure;
  }

  #refuse(req: IncomingMessage, res: ServerResponse, err: Refusal): void {
    const lang = pickLanguage(req.headers['accept-language']);
    const page = renderPage({ ...err.text(lang), lang }, req.headers.accept);
    res.writeHead(err.status, {
      'content-type': page.type,
      'content-length': Buffer.byteLength(page.body),
      'cache-control': 'no-store',
      'x-dockside-preview-error': err.name,
    });
    res.end(page.body);
  }

  #refuseSocket(req: IncomingMessage, socket: Duplex, err: Refusal): void {
    const lang = pickLanguage(req.headers['accept-language']);
    const page = renderPage({ ...err.text(lang), lang }, req.headers.accept);
    socket.end(
      `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\n` +
        `Content-Type: ${page.type}\r\nContent-Length: ${Buffer.byteLength(page.body)}\r\n` +
        `Cache-Control: no-store\r\nX-Dockside-Preview-Error: ${err.name}\r\nConnection: close\r\n\r\n${page.body}`,
    );
  }
}

/**
 * Ends one side of a tunnel whose other side has gone: what was already piped is still delivered, but a
 * peer that keeps its half open (as Node's HTTP servers do) does not keep the connection forever.
 */
function endSoon(stream: Duplex, graceMs = 5000): void {
  stream.end();
  const timer = setTimeout(() => stream.destroy(), graceMs);
  timer.unref();
  stream.once('close', () => clearTimeout(timer));
}
