import { once } from 'node:events';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import {
  type AddressInfo,
  connect,
  createServer as createTcpServer,
  type Server as TcpServer,
} from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PreviewProxy, type PreviewRef, type PreviewTarget, rewriteLocation } from './preview-proxy.ts';

const TOKEN = 'abcdefghijklmnopqrstuvwxyz'; // 26 characters, as base32 of 16 random bytes.

function proxyFor(resolve: (ref: PreviewRef) => Promise<PreviewTarget | undefined> = async () => undefined) {
  return new PreviewProxy({ resolve, baseDomains: ['localhost', 'Lab.Example.org.'] });
}

const req = (host: string | undefined, url = '/') => ({ headers: host === undefined ? {} : { host }, url });

describe('host-based preview addresses', () => {
  const proxy = proxyFor();

  it('names a port, a node and a session token under a base domain, with or without the lab port', () => {
    expect(proxy.parse(req(`8080-node1-${TOKEN}.localhost:4000`, '/app/?x=1'))).toEqual({
      ref: { token: TOKEN, node: 'node1', port: 8080 },
      path: '/app/?x=1',
      via: 'host',
      mount: '',
    });
    expect(proxy.parse(req(`80-node12-${TOKEN}.lab.example.org`))?.ref).toEqual({
      token: TOKEN,
      node: 'node12',
      port: 80,
    });
  });

  it('ignores case and a final dot, as DNS does', () => {
    expect(proxy.parse(req(`8080-NODE1-${TOKEN.toUpperCase()}.LocalHost.:4000`))?.ref).toEqual({
      token: TOKEN,
      node: 'node1',
      port: 8080,
    });
  });

  it('accepts hex tokens and the shortest and longest lengths', () => {
    expect(proxy.parse(req(`1-node1-${'0123456789abcdef'}.localhost`))?.ref.port).toBe(1);
    expect(proxy.parse(req(`65535-node1-${'a'.repeat(40)}.localhost`))?.ref.port).toBe(65_535);
  });

  it('forwards the path of an absolute-form request target', () => {
    expect(proxy.parse(req(`80-node1-${TOKEN}.localhost`, 'http://elsewhere/x?y'))?.path).toBe('/x?y');
  });

  it.each([
    ['the lab itself', 'localhost:4000'],
    ['no Host header', undefined],
    ['port 0', `0-node1-${TOKEN}.localhost`],
    ['a port above 65535', `65536-node1-${TOKEN}.localhost`],
    ['a port with a leading zero', `080-node1-${TOKEN}.localhost`],
    ['a node name with a dash', `80-node-1-${TOKEN}.localhost`],
    ['a node name starting with a digit', `80-1node-${TOKEN}.localhost`],
    ['a token too short', `80-node1-${'a'.repeat(15)}.localhost`],
    ['a token too long', `80-node1-${'a'.repeat(41)}.localhost`],
    ['a token with other characters', `80-node1-${'a'.repeat(20)}_x.localhost`],
    ['a deeper subdomain', `x.80-node1-${TOKEN}.localhost`],
    ['another domain', `80-node1-${TOKEN}.example.com`],
    ['a domain that only ends like a base domain', `80-node1-${TOKEN}.notlocalhost`],
    ['a bare IP address', '127.0.0.1:4000'],
    ['an IPv6 address', '[::1]:4000'],
  ])('is not a preview: %s', (_what, host) => {
    expect(proxy.parse(req(host, '/'))).toBeUndefined();
  });

  it('tries every base domain, also when one contains another', () => {
    const nested = new PreviewProxy({
      resolve: async () => undefined,
      baseDomains: ['example.org', 'lab.example.org'],
    });
    expect(nested.parse(req(`80-node1-${TOKEN}.lab.example.org`))?.ref.node).toBe('node1');
  });
});

describe('path-based preview addresses', () => {
  const proxy = proxyFor();

  it('forwards what follows <prefix>/<token>/<node>/<port>, query kept', () => {
    expect(proxy.parse(req('localhost:4000', `/preview/${TOKEN}/node2/8080/api/items?sort=name`))).toEqual({
      ref: { token: TOKEN, node: 'node2', port: 8080 },
      path: '/api/items?sort=name',
      via: 'path',
      mount: `/preview/${TOKEN}/node2/8080`,
    });
    expect(proxy.parse(req('10.0.0.5:4000', `/preview/${TOKEN}/node1/80/`))?.path).toBe('/');
  });

  it('redirects the bare address to the one with a trailing slash, query kept', () => {
    const parsed = proxy.parse(req('localhost', `/preview/${TOKEN}/node1/80?a=1`));
    expect(parsed?.redirect).toBe(`/preview/${TOKEN}/node1/80/?a=1`);
  });

  it('honours another prefix', () => {
    const other = new PreviewProxy({ resolve: async () => undefined, baseDomains: [], pathPrefix: '/p/' });
    expect(other.parse(req('lab', `/p/${TOKEN}/node1/80/x`))?.path).toBe('/x');
    expect(other.parse(req('lab', `/preview/${TOKEN}/node1/80/x`))).toBeUndefined();
  });

  it.each([
    ['the prefix alone', '/preview'],
    ['the prefix with a slash', '/preview/'],
    ['a token only', `/preview/${TOKEN}`],
    ['no port', `/preview/${TOKEN}/node1`],
    ['no port, trailing slash', `/preview/${TOKEN}/node1/`],
    ['port 0', `/preview/${TOKEN}/node1/0/`],
    ['port 70000', `/preview/${TOKEN}/node1/70000/`],
    ['a port that is not a number', `/preview/${TOKEN}/node1/http/`],
    ['a short token', `/preview/abc/node1/80/`],
    ['an encoded token', `/preview/${TOKEN}%2f/node1/80/`],
    ['a node name with a dot', `/preview/${TOKEN}/node.1/80/`],
    ['something that only starts like the prefix', `/previews/${TOKEN}/node1/80/`],
    ['a site page', '/lessons/intro/'],
  ])('is not a preview: %s', (_what, url) => {
    expect(proxy.parse(req('localhost:4000', url))).toBeUndefined();
  });

  it('answers a path under the prefix that names no preview itself, not the site', () => {
    expect(proxy.malformed(req('localhost', `/preview/${TOKEN}/node.1/80/x?a=1`))).toBe(
      `/preview/${TOKEN}/node.1/80/x`,
    );
    expect(proxy.malformed(req('localhost', `/preview/${TOKEN}/node1/80/x`))).toBeUndefined();
    expect(proxy.malformed(req('localhost', '/previews/x'))).toBeUndefined();
    expect(proxy.malformed(req('localhost', '/lessons/intro/'))).toBeUndefined();
  });
});

describe('redirects from the target', () => {
  const target = { host: '172.20.0.3', port: 8080 };
  const byHost = { ref: { token: TOKEN, node: 'node1', port: 8080 }, via: 'host' as const, mount: '' };
  const mount = `/preview/${TOKEN}/node1/8080`;
  const byPath = { ...byHost, via: 'path' as const, mount };
  const previewHost = `8080-node1-${TOKEN}.localhost`;

  it('turns addresses of the target into paths on the preview', () => {
    expect(rewriteLocation('http://172.20.0.3:8080/login?next=/', byHost, target, previewHost)).toBe(
      '/login?next=/',
    );
    expect(rewriteLocation('http://localhost:8080/a#b', byHost, target, previewHost)).toBe('/a#b');
    expect(rewriteLocation('http://node1:8080/a', byHost, target, previewHost)).toBe('/a');
    // nginx's directory redirect names the host it was asked for, with its own port.
    expect(rewriteLocation(`http://${previewHost}/dir/`, byHost, target, previewHost)).toBe('/dir/');
    expect(rewriteLocation(`https://${previewHost}:4000/dir/`, byHost, target, previewHost)).toBe('/dir/');
  });

  it('puts paths under the mount in path form, once', () => {
    expect(rewriteLocation('/login', byPath, target, 'localhost')).toBe(`${mount}/login`);
    expect(rewriteLocation('http://localhost/dir/', byPath, target, 'localhost')).toBe(`${mount}/dir/`);
    expect(rewriteLocation(`${mount}/already`, byPath, target, 'localhost')).toBe(`${mount}/already`);
    expect(rewriteLocation('/login', byHost, target, previewHost)).toBe('/login');
  });

  it('leaves other sites, other ports and relative addresses alone', () => {
    expect(rewriteLocation('https://example.com/x', byHost, target, previewHost)).toBe(
      'https://example.com/x',
    );
    expect(rewriteLocation('http://localhost:9999/x', byHost, target, previewHost)).toBe(
      'http://localhost:9999/x',
    );
    expect(rewriteLocation('//cdn.example.com/x', byPath, target, 'localhost')).toBe('//cdn.example.com/x');
    expect(rewriteLocation('next/page', byPath, target, 'localhost')).toBe('next/page');
    expect(rewriteLocation('mailto:a@b.c', byPath, target, 'localhost')).toBe('mailto:a@b.c');
  });
});

// The behaviours below run a real proxy in front of small local servers: no Docker needed.
describe('proxying to a local server', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function listen<S extends Server | TcpServer>(server: S): Promise<number> {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((r) => server.close(r)));
    return (server.address() as AddressInfo).port;
  }

  async function lab(proxy: PreviewProxy): Promise<number> {
    cleanups.push(() => proxy.dispose());
    const server = createServer((rq, rs) => {
      void proxy.handleRequest(rq, rs).then((handled) => {
        if (!handled) rs.writeHead(418).end('the lab site');
      });
    });
    server.on('upgrade', (rq, socket, head) => void proxy.handleUpgrade(rq, socket, head));
    const port = await listen(server);
    cleanups.push(() => server.closeAllConnections());
    return port;
  }

  function get(
    port: number,
    host: string,
    path = '/',
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
    return new Promise((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port, path, headers: { host, ...headers } }, (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      r.on('error', reject);
      r.end();
    });
  }

  it('passes the request on without hop-by-hop headers or the lab cookie, and says where it came from', async () => {
    let seen: IncomingMessage['headers'] = {};
    const app = createServer((rq, rs) => {
      seen = rq.headers;
      rs.writeHead(200, { 'x-app': 'yes', connection: 'close, x-secret', 'x-secret': 'hop' }).end(rq.url);
    });
    const appPort = await listen(app);
    const labPort = await lab(proxyFor(async () => ({ host: '127.0.0.1', port: appPort })));
    const r = await get(labPort, `${appPort}-node1-${TOKEN}.localhost:${labPort}`, '/hello?x=1', {
      cookie: 'theme=dark; dockside_token=SECRET; lang=fr',
      'x-custom': 'kept',
      'keep-alive': 'timeout=5',
      connection: 'keep-alive, x-custom-hop',
      'x-custom-hop': 'dropped',
    });
    expect(r.status).toBe(200);
    expect(r.body).toBe('/hello?x=1');
    expect(r.headers['x-app']).toBe('yes');
    expect(r.headers['x-secret']).toBeUndefined();
    expect(seen.cookie).toBe('theme=dark; lang=fr');
    expect(seen['x-custom']).toBe('kept');
    expect(seen['x-custom-hop']).toBeUndefined();
    expect(seen['keep-alive']).toBeUndefined();
    expect(seen.host).toBe(`${appPort}-node1-${TOKEN}.localhost:${labPort}`);
    expect(seen['x-forwarded-host']).toBe(`${appPort}-node1-${TOKEN}.localhost:${labPort}`);
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('sandboxes path-based previews and keeps them from setting the lab cookie', async () => {
    const app = createServer((rq, rs) => {
      rs.writeHead(302, {
        location: `http://127.0.0.1:${(app.address() as AddressInfo).port}/next`,
        'set-cookie': ['dockside_token=EVIL; Path=/', 'app=1; Path=/'],
        'content-security-policy': "default-src 'self'",
      });
      rs.end(rq.headers['x-forwarded-prefix']);
    });
    const appPort = await listen(app);
    const labPort = await lab(proxyFor(async () => ({ host: '127.0.0.1', port: appPort })));
    const mount = `/preview/${TOKEN}/node1/${appPort}`;
    const r = await get(labPort, `localhost:${labPort}`, `${mount}/`);
    expect(r.status).toBe(302);
    expect(r.body).toBe(mount);
    expect(r.headers.location).toBe(`${mount}/next`);
    expect(r.headers['set-cookie']).toEqual(['app=1; Path=/']);
    expect(r.headers['content-security-policy']).toMatch(/^default-src 'self', sandbox allow-/);
  });

  it('redirects the bare path address to its trailing slash without asking the resolver', async () => {
    let asked = 0;
    const labPort = await lab(
      proxyFor(async () => {
        asked++;
        return undefined;
      }),
    );
    const r = await get(labPort, `localhost:${labPort}`, `/preview/${TOKEN}/node1/80?q=1`);
    expect(r.status).toBe(307);
    expect(r.headers.location).toBe(`/preview/${TOKEN}/node1/80/?q=1`);
    expect(asked).toBe(0);
  });

  it('leaves requests that are not previews to the lab', async () => {
    const labPort = await lab(proxyFor(async () => ({ host: '127.0.0.1', port: 1 })));
    const r = await get(labPort, `localhost:${labPort}`, '/lessons/');
    expect(r.status).toBe(418);
    expect(r.body).toBe('the lab site');
  });

  it('tunnels any upgrade, with the bytes the browser sent right after its request', async () => {
    // A target that switches protocols by hand and then echoes bytes in upper case.
    const target = createServer();
    target.on('upgrade', (rq: IncomingMessage, socket, head: Buffer) => {
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: shout\r\nConnection: Upgrade\r\nX-Path: ${rq.url}\r\n\r\n`,
      );
      socket.write(head.toString().toUpperCase());
      socket.on('data', (d: Buffer) => socket.write(d.toString().toUpperCase()));
      socket.on('end', () => socket.end());
    });
    const port = await listen(target);
    cleanups.push(() => target.closeAllConnections());
    const labPort = await lab(proxyFor(async () => ({ host: '127.0.0.1', port })));
    const client = connect(labPort, '127.0.0.1');
    cleanups.push(() => client.destroy());
    let received = '';
    client.on('data', (d) => {
      received += d;
      if (received.endsWith('EARLY') && !received.includes('LATE')) client.write('late');
    });
    client.write(
      `GET /preview/${TOKEN}/node1/${port}/talk HTTP/1.1\r\nHost: localhost\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\nearly`,
    );
    const deadline = Date.now() + 5000;
    while (!received.endsWith('LATE') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(received).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(received).toContain('X-Path: /talk\r\n');
    expect(received).toMatch(/\r\n\r\nEARLYLATE$/);
  });

  it('answers 504 when the target accepts the connection but never answers', async () => {
    const silent = createTcpServer((socket) => cleanups.push(() => socket.destroy()));
    const silentPort = await listen(silent);
    const proxy = new PreviewProxy({
      resolve: async () => ({ host: '127.0.0.1', port: silentPort }),
      baseDomains: ['localhost'],
      responseTimeoutMs: 300,
    });
    const labPort = await lab(proxy);
    const started = Date.now();
    const r = await get(labPort, `${silentPort}-node1-${TOKEN}.localhost`, '/', { accept: 'text/html' });
    expect(r.status).toBe(504);
    expect(r.headers['x-dockside-preview-error']).toBe('PreviewTimedOut');
    expect(r.body).toContain(`did not answer within 0.3 s`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('answers 502 when the program on the port does not speak HTTP', async () => {
    // resume(): read to the end, so the socket closes when the proxy hangs up.
    const redisLike = createTcpServer((socket) => socket.end('-ERR unknown command\r\n').resume());
    const port = await listen(redisLike);
    const labPort = await lab(proxyFor(async () => ({ host: '127.0.0.1', port })));
    const r = await get(labPort, `${port}-node1-${TOKEN}.localhost`);
    expect(r.status).toBe(502);
    expect(r.body).toContain(`did not answer in HTTP`);
  });

  it('shows a LabError from the resolver with its own status, and hides other failures', async () => {
    const labPort = await lab(
      proxyFor(async (ref) => {
        if (ref.node === 'node2') throw Object.assign(new Error('database gone'), { code: 'X' });
        const { LabError } = await import('../errors/lab-error.ts');
        const { NodeDown } = await import('../errors/catalog.ts');
        throw new LabError(NodeDown, { node: ref.node, state: 'exited' });
      }),
    );
    const down = await get(labPort, `80-node1-${TOKEN}.localhost`);
    expect(down.status).toBe(409);
    expect(down.body).toContain('Node node1 is exited.');
    const broken = await get(labPort, `80-node2-${TOKEN}.localhost`);
    expect(broken.status).toBe(500);
    expect(broken.body).not.toContain('database gone');
  });
});
