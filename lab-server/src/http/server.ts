import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { LabStarting } from '../errors/catalog.ts';
import {
  AddressUnreadable,
  BodyNotJson,
  BodyTooLarge,
  InternalError,
  MetricsLocalOnly,
  MetricsUnauthorized,
  RequestRefused,
  RouteNotFound,
} from '../errors/http-errors.ts';
import { errorText, isLabError, LabError } from '../errors/lab-error.ts';
import type { LabMetrics } from '../metrics/lab-metrics.ts';
import { type PreviewProxy, renderPage } from '../preview/preview-proxy.ts';
import { ROUTES } from '../protocol/routes.ts';
import type { DiskWatchdog } from '../sessions/disk-watchdog.ts';
import type { TerminalHub } from '../terminals/terminal-hub.ts';
import { apiRoutes, type LabRuntime } from './api-routes.ts';
import type { HealthSource } from './health.ts';
import { healthRoute } from './health.ts';
import { requestLanguage } from './language.ts';
import { OriginPolicy, originGuard } from './origins.ts';
import { routeUpgrades } from './ws-router.ts';

/** Everything the HTTP front needs once the lab is up. */
export interface FullRuntime extends LabRuntime {
  terminals: TerminalHub;
  preview: PreviewProxy;
  metrics: LabMetrics;
  /** Stops nodes whose own files grow past their cap (where the lab gives nodes disks). */
  diskWatchdog?: DiskWatchdog;
}

export interface HttpServerOptions {
  siteDir: string;
  health: HealthSource;
  logger: boolean | object;
  runtime?: () => FullRuntime | undefined;
  previewDomain?: string;
  metricsToken?: string;
  /** Origins other than the lab's own whose pages may call the API (exact matches). */
  allowedOrigins?: string[];
}

/** The largest exec stdin plus its envelope. */
const BODY_LIMIT = 1024 * 1024 + 64 * 1024;

/** The lab's HTTP front: the built site, the API, previews, and answers that say what went wrong. */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger,
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
    // The router's own refusals (an address badly encoded, or a part of it too long) come before any
    // error handler: said in the catalog's words here.
    frameworkErrors: (err, request, reply) => {
      const reason = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'too-long' : 'encoding';
      // Its reply is typed for any route; this answer is the same for all.
      return (reply as unknown as FastifyReply)
        .status(400)
        .send(new LabError(AddressUnreadable, { reason }).body(requestLanguage(request.raw)));
    },
  });
  const runtime = options.runtime ?? (() => undefined);

  app.setErrorHandler((err, request, reply) => {
    const lang = requestLanguage(request.raw);
    if (isLabError(err)) {
      if (err.status >= 500) request.log.warn({ err }, err.message);
      return reply.status(err.status).send(err.body(lang));
    }
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    const code = (err as { code?: string }).code ?? 'unknown';
    if (status >= 500) {
      request.log.error({ err }, 'request failed');
      return reply.status(status).send(new LabError(InternalError, {}).body(lang));
    }
    // Fastify's own refusals (a body that is not JSON, or too large) say what to send instead.
    const refusal =
      code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? new LabError(BodyTooLarge, { limitKiB: BODY_LIMIT / 1024 })
        : ['FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY'].includes(code) ||
            err instanceof SyntaxError
          ? new LabError(BodyNotJson, {})
          : new LabError(RequestRefused, { status, code });
    return reply.status(status).send(refusal.body(lang));
  });

  // A session another lab runs (labs sharing a store) is that lab's to answer: passed on as it came,
  // before any routing or body parsing. Previews are recognised by their host name or /preview path.
  app.addHook('onRequest', async (request, reply) => {
    const preview = runtime()?.preview;
    const peers = runtime()?.peers;
    const to = await peers?.destination(request.raw);
    if (peers && to) {
      const lang = requestLanguage(request.raw);
      if (to.up) {
        reply.hijack();
        return peers.forward(request.raw, reply.raw, to.lab, lang);
      }
      if (!preview?.parse(request.raw)) throw to.error;
      // A preview is a page in a browser tab: the error as a page too.
      const page = renderPage(
        { ...errorText(to.error.definition, to.error.args, lang), lang },
        request.headers.accept,
      );
      return reply
        .status(to.error.status)
        .type(page.type)
        .header('cache-control', 'no-store')
        .send(page.body);
    }
    if (preview?.parse(request.raw) || preview?.malformed(request.raw)) {
      reply.hijack();
      await preview.handleRequest(request.raw, reply.raw);
    }
  });

  const origins = new OriginPolicy(options.allowedOrigins);
  originGuard(app, origins);

  app.register(healthRoute, { source: options.health });
  app.register(apiRoutes, {
    runtime,
    startingDetail: () => options.health.health().detail ?? 'starting',
    previewDomain: options.previewDomain,
  });
  // An admin endpoint: with a token, for whoever holds it; without one, for this machine only (a
  // workshop lab listens on 0.0.0.0, and the room has no business reading it).
  app.get(ROUTES.metrics, async (request, reply) => {
    const lang = requestLanguage(request.raw);
    if (options.metricsToken && request.headers.authorization !== `Bearer ${options.metricsToken}`) {
      return reply.status(401).send(new LabError(MetricsUnauthorized, {}).body(lang));
    }
    if (!options.metricsToken && !isLoopback(request.socket.remoteAddress)) {
      return reply.status(403).send(new LabError(MetricsLocalOnly, {}).body(lang));
    }
    const metrics = runtime()?.metrics;
    if (!metrics) return reply.status(503).send(new LabError(LabStarting, { detail: 'starting' }).body(lang));
    return reply.type('text/plain; version=0.0.4').send(await metrics.text());
  });

  // The site may be built after the server starts listening (first start): serve the folder anyway.
  // A user who may not create it (not root, on a clone root made) still gets the API and a clear
  // error from what comes next (the engine), not EACCES.
  if (siteFolder(options.siteDir)) {
    await app.register(fastifyStatic, { root: options.siteDir, wildcard: true, extensions: ['html'] });
  }
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/') || request.url.split('?')[0] === ROUTES.metrics) {
      return reply
        .status(404)
        .send(
          new LabError(RouteNotFound, { method: request.method, path: request.url }).body(
            requestLanguage(request.raw),
          ),
        );
    }
    if (existsSync(join(options.siteDir, '404.html')))
      return reply.status(404).type('text/html').sendFile('404.html');
    return reply
      .status(404)
      .type('text/plain')
      .send('Not found. The site has not been built: run `npm start`.');
  });

  routeUpgrades(app.server, { runtime, logger: app.log as unknown as Logger, origins });
  return app;
}

/** Creates the site's folder if need be; false when this user may not (the API is served anyway). */
function siteFolder(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    return true;
  } catch (err) {
    if (['EACCES', 'EPERM', 'EROFS'].includes((err as NodeJS.ErrnoException).code ?? '')) return false;
    throw err;
  }
}

function isLoopback(address: string | undefined): boolean {
  return Boolean(address && (/^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address)));
}
