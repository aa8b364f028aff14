import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Health } from './health.ts';
import { createHttpServer } from './server.ts';

const health: Health = {
  status: 'starting',
  images: [],
  ipvs: false,
  capabilityWrapper: false,
  missingCapabilities: [],
};

async function server(metricsToken?: string) {
  const app = await createHttpServer({
    siteDir: mkdtempSync(join(tmpdir(), 'dockside-site-')),
    health: { health: () => health },
    logger: false,
    metricsToken,
  });
  await app.ready();
  return app;
}

describe('the metrics endpoint', () => {
  it('without a token, answers this machine only and says how to open it up', async () => {
    const app = await server();
    const local = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(local.statusCode).toBe(503); // Reachable; the lab is only starting.
    const room = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '192.0.2.10' });
    expect(room.statusCode).toBe(403);
    expect(room.json().hint).toMatch(/DOCKSIDE_METRICS_TOKEN/);
  });

  it('with a token, answers whoever sends it, from anywhere, and nobody else', async () => {
    const app = await server('s3cret');
    const without = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(without.statusCode).toBe(401);
    const withToken = await app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '192.0.2.10',
      headers: { authorization: 'Bearer s3cret' },
    });
    expect(withToken.statusCode).toBe(503);
  });
});

describe('requests the API cannot read', () => {
  const post = (app: Awaited<ReturnType<typeof server>>, payload: string, lang?: string) =>
    app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { 'content-type': 'application/json', ...(lang ? { 'accept-language': lang } : {}) },
      payload,
    });

  it('a body that is not JSON: 400, saying so and where the format is', async () => {
    const app = await server();
    const r = await post(app, '{"template": ');
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/not valid JSON/);
    expect(r.json().hint).toMatch(/docs\/api\.md/);
  });

  it('a body over the limit: 413, saying how much one request may carry', async () => {
    const app = await server();
    const r = await post(app, JSON.stringify({ template: 'single', pad: 'x'.repeat(2 * 1024 * 1024) }));
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toBe('BodyTooLarge');
    expect(r.json().message).toMatch(/too large: one request may carry at most 1088 KiB/);
    expect(r.json().hint).toMatch(/^Split larger input/);
  });

  it('answers in French to a French page, in English by default', async () => {
    const app = await server();
    const fr = await post(app, '{"template": ', 'fr-FR,fr;q=0.9,en;q=0.5');
    expect(fr.json()).toMatchObject({
      error: 'BodyNotJson',
      message: 'Le corps de la requête n’est pas du JSON valide.',
    });
    const unknown = await app.inject({
      method: 'GET',
      url: '/api/nothing',
      headers: { 'accept-language': 'fr' },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toBe('Aucune route d’API GET /api/nothing.');
    const en = await post(app, '{"template": ', 'de-DE');
    expect(en.json().message).toBe('The request body is not valid JSON.');
  });

  it('an address the router cannot read: 400 from the catalog, not the router’s own answer', async () => {
    const app = await server();
    const answer = async (method: 'GET' | 'DELETE', url: string, lang = 'en') => {
      const r = await app.inject({ method, url, headers: { 'accept-language': lang } });
      return [r.statusCode, r.json().error, r.json().message];
    };
    expect(await answer('DELETE', `/api/sessions/${'x'.repeat(300)}`)).toEqual([
      400,
      'AddressUnreadable',
      expect.stringMatching(/longer/),
    ]);
    expect(await answer('GET', '/api/sessions/%zz', 'fr')).toEqual([
      400,
      'AddressUnreadable',
      expect.stringMatching(/mal encodé/),
    ]);
  });
});
