import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { isLabError } from '../errors/lab-error.ts';
import type { HealthSource } from './health.ts';
import { healthRoute } from './health.ts';

export interface HttpServerOptions {
  siteDir: string;
  health: HealthSource;
  logger: boolean | object;
}

/** The lab's HTTP front: the built site, the API, and answers that say what went wrong. */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger,
    bodyLimit: 64 * 1024,
  });

  app.setErrorHandler((err, _request, reply) => {
    if (isLabError(err)) {
      return reply.status(err.status).send({ error: err.name, message: err.message, hint: err.hint });
    }
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) app.log.error({ err }, 'request failed');
    return reply.status(status).send({
      error: (err as { code?: string }).code ?? 'InternalError',
      message:
        status >= 500
          ? 'The lab server failed to answer this request; it has been logged.'
          : (err as Error).message,
    });
  });

  app.register(healthRoute, { source: options.health });

  // The site may be built after the server starts listening (first start): serve the folder anyway.
  mkdirSync(options.siteDir, { recursive: true });
  await app.register(fastifyStatic, { root: options.siteDir, wildcard: true, extensions: ['html'] });
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/')) {
      return reply
        .status(404)
        .send({ error: 'NotFound', message: `No API route ${request.method} ${request.url}.` });
    }
    const page = join(options.siteDir, '404.html');
    if (existsSync(page)) return reply.status(404).type('text/html').sendFile('404.html');
    return reply
      .status(404)
      .type('text/plain')
      .send('Not found. The site has not been built: run `npm start`.');
  });
  return app;
}
