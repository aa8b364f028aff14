import type { FastifyPluginAsync } from 'fastify';
import type { Health } from '../protocol/health.ts';
import { ROUTES } from '../protocol/routes.ts';

export type { Health };

export interface HealthSource {
  health(): Health;
}

export const healthRoute: FastifyPluginAsync<{ source: HealthSource }> = async (app, { source }) => {
  app.get(ROUTES.health, async (_request, reply) => {
    const health = source.health();
    // 503 until ready, so load balancers and test runners can wait on this URL.
    return reply.status(health.status === 'ready' ? 200 : 503).send({
      ...health,
      uptimeSeconds: Math.round(process.uptime()),
    });
  });
};
