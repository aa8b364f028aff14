import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { LabStore, SessionRecord } from '../storage/lab-store.ts';
import { SqliteStore } from '../storage/sqlite-store.ts';
import { PeerProxy, VIA_HEADER } from './peer-proxy.ts';

// Two labs over real HTTP: "front" (this proxy, on its own server) and "owner" (a server that says what
// it received). The owner's own answers are the lab's business, tested with the lab.
let store: LabStore;
let owner: Server;
let front: Server;
let ownerUrl = '';
let frontUrl = '';
const received: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];

const session = (id: string, labId: string, previewToken = `tok${id}`): SessionRecord => ({
  id,
  labId,
  ownerHash: 'h',
  previewToken,
  template: 'single',
  state: 'ready',
  networkId: 'n',
  nodes: [],
  createdAt: 1,
  lastActiveAt: 1,
  expiresAt: 1,
  clientAddress: '192.0.2.1',
});
const lab = (id: string, address: string, leaseUntil: number) => ({
  id,
  holder: `${id}-holder`,
  address,
  publicUrl: '',
  startedAt: 1,
  heartbeatAt: 1,
  leaseUntil,
});

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );

beforeAll(async () => {
  store = await SqliteStore.open({ file: ':memory:' });
  owner = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(req.url?.includes('missing') ? 404 : 200, {
        'content-type': 'text/plain',
        'x-owner': 'yes',
      });
      res.end(`owner saw ${req.method} ${req.url} ${body}`);
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  owner.on('upgrade', (req, socket, head) => {
    if (req.url?.includes('refused')) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 7\r\nConnection: close\r\n\r\nno node');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(`echo ${m}`)));
  });
  ownerUrl = await listen(owner);

  const proxy = new PeerProxy({
    store,
    selfId: 'lab-front',
    isLocal: (id) => id === 'l'.repeat(32),
    isLocalPreview: () => false,
    previewToken: (req) => /^\/preview\/(\w+)\//.exec(req.url ?? '')?.[1],
  });
  front = createServer(async (req, res) => {
    const to = await proxy.destination(req);
    if (!to) return res.writeHead(200).end('answered here');
    if (!to.up) return res.writeHead(to.error.status).end(JSON.stringify(to.error.body('en')));
    await proxy.forward(req, res, to.lab, 'en');
  });
  front.on('upgrade', async (req, socket, head) => {
    const to = await proxy.destination(req);
    if (!to?.up) return socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
    proxy.forwardUpgrade(req, socket, head, to.lab, (err) =>
      socket.end(`HTTP/1.1 ${err.status} Refused\r\nContent-Length: 0\r\n\r\n`),
    );
  });
  frontUrl = await listen(front);

  await store.saveSession(session('a'.repeat(32), 'lab-owner', 'tokowner'));
  await store.saveSession(session('b'.repeat(32), 'lab-gone'));
  await store.saveSession(session('c'.repeat(32), 'lab-front'));
  await store.claimLab(lab('lab-owner', ownerUrl, Date.now() + 60_000));
  await store.claimLab(lab('lab-gone', 'http://127.0.0.1:9', 0));
});
afterAll(async () => {
  front.close();
  owner.close();
  await store.dispose();
});

describe('peer proxy', () => {
  it("passes a request for another lab's session to it, body and headers, and its answer back", async () => {
    const answer = await fetch(`${frontUrl}/api/sessions/${'a'.repeat(32)}/nodes/node1/exec`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'dockside_learner=secret' },
      body: JSON.stringify({ command: 'hostname' }),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-owner')).toBe('yes');
    expect(await answer.text()).toBe(
      `owner saw POST /api/sessions/${'a'.repeat(32)}/nodes/node1/exec {"command":"hostname"}`,
    );
    const seen = received.at(-1);
    expect(seen?.headers[VIA_HEADER]).toBe('lab-front');
    expect(seen?.headers.cookie).toBe('dockside_learner=secret');
    // The owner's refusals come back as it said them.
    expect((await fetch(`${frontUrl}/api/sessions/${'a'.repeat(32)}/nodes/missing`)).status).toBe(404);
  });

  it('finds a preview by its token', async () => {
    const answer = await fetch(`${frontUrl}/preview/tokowner/node1/8080/`);
    expect(await answer.text()).toBe('owner saw GET /preview/tokowner/node1/8080/ ');
  });

  it('answers itself for its own sessions, unknown ones, and requests another lab passed on', async () => {
    for (const path of [
      `/api/sessions/${'l'.repeat(32)}`,
      `/api/sessions/${'c'.repeat(32)}`,
      `/api/sessions/${'d'.repeat(32)}`,
      '/api/sessions',
      '/api/health',
    ])
      expect(await (await fetch(`${frontUrl}${path}`)).text(), path).toBe('answered here');
    const passedOn = await fetch(`${frontUrl}/api/sessions/${'a'.repeat(32)}`, {
      headers: { [VIA_HEADER]: 'x' },
    });
    expect(await passedOn.text()).toBe('answered here');
  });

  it('says the owner is away, and that nothing is lost, when its lease has run out', async () => {
    const answer = await fetch(`${frontUrl}/api/sessions/${'b'.repeat(32)}`);
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({
      error: 'OwnerLabDown',
      message: expect.stringContaining('lab-gone'),
    });
  });

  it('says the owner is away when it holds a lease but does not answer', async () => {
    await store.claimLab(lab('lab-gone', 'http://127.0.0.1:9', Date.now() + 60_000), {
      replacing: 'lab-gone-holder',
    });
    const answer = await fetch(`${frontUrl}/api/sessions/${'b'.repeat(32)}`);
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ error: 'OwnerLabDown' });
  });

  it('tunnels a WebSocket to the owner, and passes its refusal back', async () => {
    const ws = new WebSocket(
      `${frontUrl.replace('http', 'ws')}/api/sessions/${'a'.repeat(32)}/nodes/node1/terminal`,
    );
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('hello'));
      ws.on('message', (m) => resolve(String(m)));
      ws.on('error', reject);
    });
    expect(reply).toBe('echo hello');
    ws.close();
    const refused = new WebSocket(
      `${frontUrl.replace('http', 'ws')}/api/sessions/${'a'.repeat(32)}/nodes/refused/terminal`,
    );
    const status = await new Promise<number>((resolve) =>
      refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(404);
  });
});
