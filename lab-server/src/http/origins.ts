import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { OriginNotAllowed } from '../errors/http-errors.ts';
import { LabError } from '../errors/lab-error.ts';
import { requestLanguage } from './language.ts';

/**
 * Which browser origins may call the API. The lab's own pages always may; other origins only when
 * listed exactly (DOCKSIDE_ALLOWED_ORIGINS, e.g. a lesson site served elsewhere): no wildcard, no
 * suffix match. Preview pages are other origins on the same site (`8080-node1-….localhost`), and the
 * learner's cookie goes with their requests (SameSite does not separate subdomains): without this, a
 * page served from a node could make the learner's browser kill or run things in their sandbox.
 */
export class OriginPolicy {
  readonly #allowed: Set<string>;

  constructor(allowedOrigins: string[] = []) {
    this.#allowed = new Set(allowedOrigins);
  }

  /** Whether a request may go on: no Origin (not a browser), its own host, or a listed origin. */
  allows(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true; // curl, the bench, tests: nothing to forge.
    return this.#sameHost(origin, req) || this.#allowed.has(origin);
  }

  /** A listed origin other than the lab's own, which gets CORS headers. */
  crossOrigin(req: IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    if (!origin || this.#sameHost(origin, req)) return undefined;
    return this.#allowed.has(origin) ? origin : undefined;
  }

  #sameHost(origin: string, req: IncomingMessage): boolean {
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false; // "null" (sandboxed frames, file://) or garbage.
    }
  }
}

/** Parses DOCKSIDE_ALLOWED_ORIGINS: origins separated by commas, each exactly scheme://host[:port]. */
export function parseAllowedOrigins(value: string | undefined): string[] | { invalid: string } {
  if (!value?.trim()) return [];
  const origins: string[] = [];
  for (const raw of value.split(',')) {
    const candidate = raw.trim();
    if (!candidate) continue;
    try {
      const url = new URL(candidate);
      if (url.origin !== candidate || !/^https?:$/.test(url.protocol)) return { invalid: candidate };
      origins.push(candidate);
    } catch {
      // Not a URL: reported as invalid.
      return { invalid: candidate };
    }
  }
  return origins;
}

/** Refuses API calls from other origins and answers CORS for the listed ones. */
export function originGuard(app: FastifyInstance, policy: OriginPolicy): void {
  app.addHook('onRequest', async (request, reply) => {
    if (reply.sent || !request.url.startsWith('/api/')) return; // Sent: a preview, proxied already.
    if (!policy.allows(request.raw)) {
      return reply
        .status(403)
        .send(
          new LabError(OriginNotAllowed, { origin: String(request.headers.origin) }).body(
            requestLanguage(request.raw),
          ),
        );
    }
    const origin = policy.crossOrigin(request.raw);
    if (!origin) return;
    reply.header('Access-Control-Allow-Origin', origin);
    reply.header('Access-Control-Allow-Credentials', 'true');
    reply.header('Vary', 'Origin');
    if (request.method === 'OPTIONS') {
      return reply
        .status(204)
        .header('Access-Control-Allow-Methods', 'GET, POST, DELETE')
        .header('Access-Control-Allow-Headers', 'Content-Type, Authorization')
        .header('Access-Control-Max-Age', '600')
        .send();
    }
  });
}
