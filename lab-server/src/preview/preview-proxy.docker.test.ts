import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TestResources, uniqueName } from '../../testing/lab-docker.ts';
import { waitFor } from '../util/wait-for.ts';
import { PreviewProxy, type PreviewRef } from './preview-proxy.ts';

// A learner's web app in Node 18 without npm packages: answers every request with what it received
// (method, path, body length and digest, headers), and speaks just enough WebSocket to echo text frames.
const ECHO_APP = String.raw`
const http = require('http'), crypto = require('crypto');
const server = http.createServer((req, res) => {
  let length = 0; const hash = crypto.createHash('sha256');
  req.on('data', (d) => { length += d.length; hash.update(d); });
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, url: req.url, length, sha256: hash.digest('hex'), headers: req.headers }));
  });
});
server.on('upgrade', (req, socket, head) => {
  const accept = crypto.createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' + accept + '\r\n\r\n');
  let buf = Buffer.alloc(0);
  const onData = (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      if (buf.length < 2) return;
      const op = buf[0] & 15, masked = buf[1] & 128;
      let len = buf[1] & 127, off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) return socket.destroy();
      const maskAt = off; if (masked) off += 4;
      if (buf.length < off + len) return;
      const payload = Buffer.from(buf.subarray(off, off + len));
      if (masked) for (let i = 0; i < len; i++) payload[i] ^= buf[maskAt + (i % 4)];
      buf = buf.subarray(off + len);
      if (op === 8) { socket.end(Buffer.from([0x88, 0])); return; }
      const out = Buffer.from('echo ' + req.url + ': ' + payload.toString());
      const header = out.length < 126 ? Buffer.from([0x81, out.length]) : Buffer.from([0x81, 126, out.length >> 8, out.length & 255]);
      socket.write(Buffer.concat([header, out]));
    }
  };
  socket.on('data', onData);
  onData(head);
});
server.listen(3000);
`;

const token = () => randomBytes(16).toString('hex').slice(0, 26);
const TOKEN_A = token();
const TOKEN_B = token();

const res = new TestResources();
const activity: { ref: PreviewRef; kind: string }[] = [];
let proxy: PreviewProxy;
let server: Server;
let labPort: number;
/** Every connection to the test's lab server, upgraded ones included, closed at the end. */
const connections = new Set<Socket>();

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A request to the lab with a chosen Host header, as a browser opening a *.localhost preview sends. */
function send(
  host: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer[] } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: labPort,
        path,
        method: options.method ?? 'GET',
        headers: { host, ...options.headers },
      },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (d: Buffer) => chunks.push(d));
        r.on('end', () =>
          resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    // Written in pieces without a length: the body is streamed (chunked) to the proxy.
    for (const chunk of options.body ?? []) req.write(chunk);
    req.end();
  });
}

const labHost = () => `localhost:${labPort}`;
const previewHost = (port: number, node: string, tok = TOKEN_A) =>
  `${port}-${node}-${tok}.localhost:${labPort}`;

async function addressOn(container: Docker.Container, network: string): Promise<string> {
  const info = await container.inspect();
  const address = info.NetworkSettings.Networks[network]?.IPAddress;
  if (!address) throw new Error(`${info.Name} has no address on ${network}`);
  return address;
}

/** Opens a WebSocket through the lab and resolves with the first message after sending `text`. */
function wsEcho(path: string, host: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${labPort}${path}`, { headers: { host } });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no echo within 10 s through ${host}${path}`));
    }, 10_000);
    ws.on('open', () => ws.send(text));
    ws.on('message', (data) => {
      clearTimeout(timer);
      resolve(data.toString());
      ws.close();
    });
    ws.on('unexpected-response', (_req, r) => {
      clearTimeout(timer);
      reject(new Error(`upgrade refused with ${r.statusCode}`));
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

beforeAll(async () => {
  // A session network as the lab makes them: internal, no route out.
  const networkName = uniqueName('preview-test');
  const network = await res.network(networkName, { internal: true });
  const nginx = await res.container({
    Image: 'dockside/lessons/nginx',
    HostConfig: { NetworkMode: network.id },
  });
  const app = await res.container({
    Image: 'dockside/lessons/node',
    Cmd: ['node', '-e', ECHO_APP],
    HostConfig: { NetworkMode: network.id },
  });
  const nginxAddress = await addressOn(nginx, networkName);
  const appAddress = await addressOn(app, networkName);
  // Two sessions: A has node1 (nginx) and node2 (the echo app); B has node3 (also nginx).
  const sessions: Record<string, Record<string, string>> = {
    [TOKEN_A]: { node1: nginxAddress, node2: appAddress },
    [TOKEN_B]: { node3: nginxAddress },
  };
  proxy = new PreviewProxy({
    resolve: async (ref) => {
      const host = sessions[ref.token]?.[ref.node];
      return host ? { host, port: ref.port } : undefined;
    },
    baseDomains: ['localhost', 'lab.example.org'],
    onRequest: (ref, kind) => activity.push({ ref, kind }),
  });
  server = createServer((req, r) => {
    void proxy.handleRequest(req, r).then((handled) => {
      if (!handled) r.writeHead(404, { 'content-type': 'text/plain' }).end('the lab site');
    });
  });
  server.on('upgrade', (req, socket, head) => {
    void proxy.handleUpgrade(req, socket, head).then((handled) => {
      if (!handled) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    });
  });
  server.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  labPort = (server.address() as AddressInfo).port;
  await waitFor(async () => (await send(previewHost(80, 'node1'), '/')).status === 200, {
    timeoutMs: 30_000,
    what: 'nginx through the preview proxy',
  });
  await waitFor(async () => (await send(previewHost(3000, 'node2'), '/')).status === 200, {
    timeoutMs: 30_000,
    what: 'the echo app through the preview proxy',
  });
});

afterAll(async () => {
  proxy?.dispose();
  for (const socket of connections) socket.destroy();
  await new Promise((r) => server?.close(r));
  await res[Symbol.asyncDispose]();
});

describe('HTTP through the preview proxy', () => {
  it('opens nginx in node1 by its *.localhost name, whatever the case', async () => {
    const page = await send(previewHost(80, 'node1'), '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Welcome to nginx!');
    const shouted = await send(`80-NODE1-${TOKEN_A.toUpperCase()}.LOCALHOST:${labPort}`, '/');
    expect(shouted.body).toContain('Welcome to nginx!');
    const wildcard = await send(`80-node1-${TOKEN_A}.lab.example.org`, '/');
    expect(wildcard.body).toContain('Welcome to nginx!');
  });

  it('opens nginx by path, and redirects the bare path to its trailing slash', async () => {
    const page = await send(labHost(), `/preview/${TOKEN_A}/node1/80/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Welcome to nginx!');
    const bare = await send(labHost(), `/preview/${TOKEN_A}/node1/80`);
    expect(bare.status).toBe(307);
    expect(bare.headers.location).toBe(`/preview/${TOKEN_A}/node1/80/`);
  });

  it('delivers a streamed POST body intact, with path and query, and says where it came from', async () => {
    const body = Array.from({ length: 16 }, () => randomBytes(64 * 1024));
    const whole = Buffer.concat(body);
    const r = await send(labHost(), `/preview/${TOKEN_A}/node2/3000/upload?name=a%20b`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', cookie: 'dockside_token=secret; app=1' },
      body,
    });
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.body);
    expect(seen).toMatchObject({
      method: 'POST',
      url: '/upload?name=a%20b',
      length: whole.length,
      sha256: createHash('sha256').update(whole).digest('hex'),
    });
    expect(seen.headers['x-forwarded-host']).toBe(labHost());
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-prefix']).toBe(`/preview/${TOKEN_A}/node2/3000`);
    expect(seen.headers.cookie).toBe('app=1');
    expect(activity).toContainEqual({ ref: { token: TOKEN_A, node: 'node2', port: 3000 }, kind: 'http' });
  });

  it('refuses an unknown token, and a node of another session, with 404', async () => {
    const unknown = await send(previewHost(80, 'node1', 'z'.repeat(26)), '/', {
      headers: { accept: 'text/html' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^text\/html/);
    expect(unknown.body).toContain('does not exist');
    expect(unknown.body).toContain('session has ended');
    // node3 is session B's: A's token does not reach it, B's does.
    const cross = await send(previewHost(80, 'node3'), '/');
    expect(cross.status).toBe(404);
    expect(cross.body).not.toContain('nginx');
    const byPath = await send(labHost(), `/preview/${TOKEN_A}/node3/80/`);
    expect(byPath.status).toBe(404);
    expect((await send(previewHost(80, 'node3', TOKEN_B), '/')).body).toContain('Welcome to nginx!');
  });

  it('says that nothing listens on a port yet, and how to start something there, with 502', async () => {
    const started = Date.now();
    const r = await send(previewHost(8080, 'node1'), '/', { headers: { accept: 'text/html,*/*' } });
    expect(r.status).toBe(502);
    expect(r.body).toContain('Nothing is listening on port 8080 of node1 yet.');
    expect(r.body).toContain('docker run -d -p 8080:80 nginx');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('leaves requests that are not previews to the lab', async () => {
    const r = await send(labHost(), '/lessons/');
    expect(r.body).toBe('the lab site');
  });
});

describe('WebSocket through the preview proxy', () => {
  it('echoes both ways by host name and by path', async () => {
    expect(await wsEcho('/chat?room=1', previewHost(3000, 'node2'), 'hello')).toBe(
      'echo /chat?room=1: hello',
    );
    const long = 'x'.repeat(1000);
    expect(await wsEcho(`/preview/${TOKEN_A}/node2/3000/ws`, labHost(), long)).toBe(`echo /ws: ${long}`);
    expect(activity).toContainEqual({ ref: { token: TOKEN_A, node: 'node2', port: 3000 }, kind: 'upgrade' });
  });

  it('refuses an upgrade to another session or to a port nobody listens on', async () => {
    await expect(wsEcho('/', previewHost(3000, 'node2', TOKEN_B), 'hi')).rejects.toThrow(/404/);
    await expect(wsEcho('/', previewHost(3001, 'node2'), 'hi')).rejects.toThrow(/502/);
  });
});
