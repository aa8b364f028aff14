import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { LabStarting, NodeNotFound, SessionNotFound } from '../errors/catalog.ts';
import {
  InvalidSessionId,
  InvalidTabId,
  SocketNotFound,
  SocketOriginNotAllowed,
  UpgradeFailed,
} from '../errors/http-errors.ts';
import { isLabError, LabError } from '../errors/lab-error.ts';
import type { PreviewProxy } from '../preview/preview-proxy.ts';
import { NodeName, SessionId } from '../protocol/api.ts';
import { TAB_ID } from '../protocol/names.ts';
import { matchRoute } from '../protocol/routes.ts';
import { FrameCode } from '../protocol/terminal-frames.ts';
import type { TerminalHub } from '../terminals/terminal-hub.ts';
import type { LabRuntime } from './api-routes.ts';
import { learnerToken } from './auth.ts';
import { requestLanguage } from './language.ts';
import type { OriginPolicy } from './origins.ts';

/** Answers an upgrade with the catalog error, in the asker's language, and closes the socket. */
function refuse(socket: Duplex, req: IncomingMessage, err: Pick<LabError, 'status' | 'body'>): void {
  const body = JSON.stringify(err.body(requestLanguage(req)));
  const status = err.status;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Routes HTTP upgrades: previews (by host name or /preview path) to the preview proxy, terminals to the
 * terminal hub, session events to subscribers. Everything else is refused with a status, not dropped.
 */
export function routeUpgrades(
  server: Server,
  options: {
    runtime: () => (LabRuntime & { terminals: TerminalHub; preview: PreviewProxy }) | undefined;
    logger: Logger;
    origins: OriginPolicy;
  },
): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void handle(req, socket, head).catch((err) => {
      options.logger.warn({ err }, 'upgrade failed');
      if (!socket.destroyed) refuse(socket, req, new LabError(UpgradeFailed, {}));
    });
  });

  async function handle(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const runtime = options.runtime();
    if (!runtime) return refuse(socket, req, new LabError(LabStarting, { detail: 'starting' }));
    // A terminal, events or preview socket of a session another lab runs: that lab's to answer.
    const to = await runtime.peers?.destination(req);
    if (to && !to.up) return refuse(socket, req, to.error);
    if (to)
      return runtime.peers?.forwardUpgrade(req, socket, head, to.lab, (err) => refuse(socket, req, err));
    if (await runtime.preview.handleUpgrade(req, socket, head)) return;

    const url = new URL(req.url ?? '/', 'http://lab');
    const terminal = matchRoute('terminal', url.pathname);
    const events = matchRoute('events', url.pathname);
    if (!terminal && !events)
      return refuse(socket, req, new LabError(SocketNotFound, { path: url.pathname }));
    if (!options.origins.allows(req)) return refuse(socket, req, new LabError(SocketOriginNotAllowed, {}));

    const id = SessionId.safeParse((terminal ?? events)?.id);
    if (!id.success) return refuse(socket, req, new LabError(InvalidSessionId, {}));
    let record: ReturnType<typeof runtime.sessions.get>;
    try {
      record = runtime.sessions.get(id.data, learnerToken(req));
    } catch (err) {
      return refuse(socket, req, isLabError(err) ? err : new LabError(SessionNotFound, { id: id.data }));
    }

    if (events) {
      wss.handleUpgrade(req, socket, head, async (ws) => {
        const after = Number(url.searchParams.get('after') ?? '0');
        const unsubscribe = runtime.events.subscribe(record.id, (event) => ws.send(JSON.stringify(event)));
        ws.on('close', unsubscribe);
        for (const event of await runtime.events.history(
          record.id,
          Number.isInteger(after) ? after : 0,
          500,
        )) {
          ws.send(JSON.stringify(event));
        }
      });
      return;
    }

    const node = NodeName.safeParse(terminal?.node);
    if (!node.success || !record.nodes.some((n) => n.name === node.data)) {
      return refuse(
        socket,
        req,
        new LabError(NodeNotFound, {
          session: record.id,
          node: String(terminal?.node),
          nodes: record.nodes.map((n) => n.name),
        }),
      );
    }
    const tab = url.searchParams.get('tab') ?? 'default';
    if (!TAB_ID.test(tab)) return refuse(socket, req, new LabError(InvalidTabId, {}));
    wss.handleUpgrade(req, socket, head, (ws) => {
      runtime.sessions.touch(record.id);
      // Typing is activity; acknowledgements of a flood's output are not.
      ws.on('message', (data: Buffer) => {
        if (data[0] === FrameCode.Input) runtime.sessions.touch(record.id);
      });
      void runtime.terminals
        .attach(
          {
            sessionId: record.id,
            node: node.data,
            container: runtime.sessions.container(record, node.data),
            explain: (err) => runtime.sessions.explainNodeError(record, node.data, err),
            lang: requestLanguage(req),
          },
          tab,
          ws,
        )
        .catch((err) => {
          options.logger.warn({ err, session: record.id, node: node.data }, 'terminal attach failed');
          ws.close(1011, 'terminal failed');
        });
    });
  }
}
