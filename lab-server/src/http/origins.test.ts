import type { IncomingMessage } from 'node:http';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { OriginPolicy, originGuard, parseAllowedOrigins } from './origins.ts';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

async function app(allowed: string[] = []) {
  const server = Fastify();
  originGuard(server, new OriginPolicy(allowed));
  server.post('/api/sessions/x/nodes/node1/kill', async () => ({ killed: true }));
  server.get('/page', async () => 'page');
  await server.ready();
  return server;
}

describe('origin policy', () => {
  it('accepts the lab’s own pages and non-browsers, refuses preview pages and opaque origins', () => {
    const policy = new OriginPolicy();
    expect(policy.allows(req({ host: 'localhost:4000', origin: 'http://localhost:4000' }))).toBe(true);
    expect(
      policy.allows(req({ host: 'localhost:4000', origin: 'http://8080-node1-abc.localhost:4000' })),
    ).toBe(false);
    expect(policy.allows(req({ host: 'localhost:4000', origin: 'null' }))).toBe(false);
    expect(policy.allows(req({ host: 'localhost:4000' }))).toBe(true);
  });

  it('matches listed origins exactly: no suffix, no other port or scheme', () => {
    const policy = new OriginPolicy(['https://lessons.example.org']);
    const from = (origin: string) => req({ host: 'lab.example.org', origin });
    expect(policy.allows(from('https://lessons.example.org'))).toBe(true);
    expect(policy.allows(from('https://evil-lessons.example.org'))).toBe(false);
    expect(policy.allows(from('https://lessons.example.org.evil.test'))).toBe(false);
    expect(policy.allows(from('http://lessons.example.org'))).toBe(false);
    expect(policy.allows(from('https://lessons.example.org:8443'))).toBe(false);
  });

  it('parses DOCKSIDE_ALLOWED_ORIGINS and names a malformed entry', () => {
    expect(parseAllowedOrigins(undefined)).toEqual([]);
    expect(parseAllowedOrigins(' https://a.example , http://b.example:8080 ')).toEqual([
      'https://a.example',
      'http://b.example:8080',
    ]);
    expect(parseAllowedOrigins('https://a.example/path')).toEqual({ invalid: 'https://a.example/path' });
    expect(parseAllowedOrigins('*')).toEqual({ invalid: '*' });
  });
});

describe('origin guard on the API', () => {
  it('refuses an action sent by a preview page with the learner’s cookie, saying what to do', async () => {
    const server = await app();
    const r = await server.inject({
      method: 'POST',
      url: '/api/sessions/x/nodes/node1/kill',
      headers: { host: 'localhost:4000', origin: 'http://8080-node1-abc.localhost:4000', cookie: 't=1' },
    });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({
      error: 'OriginNotAllowed',
      hint: expect.stringMatching(/DOCKSIDE_ALLOWED_ORIGINS/),
    });
    const own = await server.inject({
      method: 'POST',
      url: '/api/sessions/x/nodes/node1/kill',
      headers: { host: 'localhost:4000', origin: 'http://localhost:4000' },
    });
    expect(own.statusCode).toBe(200);
    expect(own.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers CORS, preflight included, for a listed origin only', async () => {
    const server = await app(['https://lessons.example.org']);
    const preflight = await server.inject({
      method: 'OPTIONS',
      url: '/api/sessions/x/nodes/node1/kill',
      headers: { host: 'lab.example.org', origin: 'https://lessons.example.org' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://lessons.example.org');
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    const call = await server.inject({
      method: 'POST',
      url: '/api/sessions/x/nodes/node1/kill',
      headers: { host: 'lab.example.org', origin: 'https://lessons.example.org' },
    });
    expect(call.statusCode).toBe(200);
    expect(call.headers.vary).toBe('Origin');
    // Pages outside /api are not the guard's business.
    const page = await server.inject({ method: 'GET', url: '/page', headers: { origin: 'https://x.test' } });
    expect(page.statusCode).toBe(200);
  });
});
