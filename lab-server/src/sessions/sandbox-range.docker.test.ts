import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDocker } from '../../testing/lab-docker.ts';
import { LabClient, startTestLab } from '../../testing/test-lab.ts';
import type { Lab } from '../lab.ts';
import { type Cidr, contains, formatCidr, hostRoutes, overlaps, parseCidr, subnets24 } from '../util/ipv4.ts';
import { runCommand } from '../util/run-command.ts';
import { waitFor } from '../util/wait-for.ts';
import { pickSandboxRange } from './sandbox-range.ts';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * A network of the host's own inside the range a lab would pick here, as on a host whose LAN or VPN is
 * there: a namespace joined by a veth pair, the host at .1, a neighbour at .2. The range and the /24
 * are read from this host as it is when the tests start (routes other labs or VPNs left, dead bridges
 * included), so the outcome never depends on what ran on the machine before.
 */
const NS = `dsk-lan-${process.pid % 10_000}`;
const HOST_IF = `dsklan${process.pid % 10_000}h`;
const PEER_IF = `dsklan${process.pid % 10_000}n`;
/** The range a lab on this host picks before the test adds its network, and the /24 it puts there. */
let before: Cidr;
let lan: Cidr;
const lanAddress = (n: number) => formatCidr({ ...lan, prefix: 32 }).replace(/\.0\/32$/, `.${n}`);

async function run(cmd: string, args: string[]): Promise<string> {
  const r = await runCommand(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

async function removeHostNetwork(): Promise<void> {
  await runCommand('ip', ['link', 'del', HOST_IF]);
  await runCommand('ip', ['netns', 'del', NS]);
}

/** GET through the lab with the Host header of a preview, as a browser does. */
function preview(labUrl: string, previewUrl: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(labUrl, { headers: { host: new URL(previewUrl).host }, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', (err) => resolve({ status: 0, body: String(err) }));
    req.end();
  });
}

/** Starts nginx on node1 and waits for its preview: the lab reaches the node at its address. */
async function nginxPreview(lab: Lab, client: LabClient, id: string): Promise<string> {
  await client.sh(id, 'node1', 'docker run -d -p 8080:80 nginx >/dev/null', 60_000);
  const url = await waitFor(
    async () => {
      const view = (await client.request('GET', `/api/sessions/${id}`)).json;
      return view.nodes[0].ports.find((p: { port: number }) => p.port === 8080)?.previewUrl as string;
    },
    { timeoutMs: 10_000, what: 'port 8080 in the session' },
  );
  let last = { status: 0, body: '' };
  await waitFor(
    async () => {
      last = await preview(lab.url, url);
      return last.status === 200;
    },
    { timeoutMs: 20_000, what: 'nginx through the preview' },
  ).catch((err) => {
    throw new Error(`${err.message}; last answer: ${last.status} ${last.body.slice(0, 200)}`);
  });
  return last.body;
}

/** What the neighbour on the host's network reads from a TCP connection to the host. */
async function neighbourReads(port: number): Promise<string> {
  // It reads the greeting to the end before closing, so the host's side sees a clean close.
  const script = [
    'import socket,sys',
    's = socket.create_connection((sys.argv[2], int(sys.argv[1])), 3)',
    'data = b""',
    'while chunk := s.recv(1024): data += chunk',
    'print(data.decode())',
  ].join('\n');
  const r = await runCommand('ip', [
    'netns',
    'exec',
    NS,
    'python3',
    '-c',
    script,
    String(port),
    lanAddress(1),
  ]);
  return r.stdout;
}

// A peer that resets its connection (a timed-out client) must not become an uncaught exception.
const server = createServer((socket) => {
  socket.on('error', () => {});
  socket.end('hello from the host\n');
});

beforeAll(async () => {
  await removeHostNetwork();
  before = (await pickSandboxRange(labDocker(), undefined, hostRoutes())).range;
  // The first /24 of that range no route of the host touches.
  const routes = hostRoutes();
  const clear = [...subnets24(before)].find((s) => !routes.some((r) => overlaps(r.network, s)));
  if (!clear) throw new Error(`every /24 of ${formatCidr(before)} is routed on this host`);
  lan = clear;
  await run('ip', ['netns', 'add', NS]);
  await run('ip', ['link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', PEER_IF]);
  await run('ip', ['link', 'set', PEER_IF, 'netns', NS]);
  await run('ip', ['addr', 'add', `${lanAddress(1)}/24`, 'dev', HOST_IF]);
  await run('ip', ['link', 'set', HOST_IF, 'up']);
  await run('ip', ['-n', NS, 'addr', 'add', `${lanAddress(2)}/24`, 'dev', PEER_IF]);
  await run('ip', ['-n', NS, 'link', 'set', PEER_IF, 'up']);
  server.listen(0, '0.0.0.0');
  await once(server, 'listening');
});

afterAll(async () => {
  server.close();
  await removeHostNetwork();
});

describe('sandbox networks beside the host’s own networks', () => {
  it('picks a range the host does not use, so previews reach the nodes', async () => {
    const lab = await startTestLab();
    const client = new LabClient(lab.url);
    try {
      const health = (await client.request('GET', '/api/health')).json;
      const range = parseCidr(health.security.sandboxRange.range) as Cidr;
      expect(overlaps(range, lan)).toBe(false);
      expect(health.security.sandboxRange.why).toMatch(
        new RegExp(
          `${escapeRegExp(formatCidr(before))}.* used by this host \\(.*${escapeRegExp(formatCidr(lan))} on ${HOST_IF}`,
        ),
      );
      const session = (await client.request('POST', '/api/sessions', { template: 'single' })).json;
      const view = (await client.request('GET', `/api/sessions/${session.id}`)).json;
      expect(contains(range, parseCidr(`${view.nodes[0].address}/32`) as Cidr)).toBe(true);
      expect(await nginxPreview(lab, client, session.id)).toContain('Welcome to nginx!');
      await client.request('DELETE', `/api/sessions/${session.id}`);
    } finally {
      await lab.stop();
    }
  });

  it('in a range the operator set that holds a host network: skips its /24, fences sandboxes only', async () => {
    const lab = await startTestLab({ sandboxRange: before });
    const client = new LabClient(lab.url);
    try {
      const health = (await client.request('GET', '/api/health')).json;
      expect(health.security.sandboxRange.avoided).toContain(`${formatCidr(lan)} on ${HOST_IF}`);
      expect(health.security.firewall).toContain(
        `-A INPUT -s ${formatCidr(before)} -i br-+ -j DOCKSIDE-INPUT`,
      );

      const session = (await client.request('POST', '/api/sessions', { template: 'single' })).json;
      const view = (await client.request('GET', `/api/sessions/${session.id}`)).json;
      const address = view.nodes[0].address as string;
      const node = parseCidr(`${address}/32`) as Cidr;
      expect(contains(before, node)).toBe(true);
      expect(contains(lan, node)).toBe(false);
      expect(await nginxPreview(lab, client, session.id)).toContain('Welcome to nginx!');

      // The host's network keeps reaching the host; the sandbox, in the same range, does not.
      const port = (server.address() as AddressInfo).port;
      expect(await neighbourReads(port)).toContain('hello from the host');
      const gateway = address.replace(/\.\d+$/, '.1');
      const fromNode = await client.sh(
        session.id,
        'node1',
        `timeout 5 bash -c 'exec 3<>/dev/tcp/${gateway}/${port} && cat <&3' 2>&1; echo "exit=$?"`,
      );
      expect(fromNode.stdout).not.toContain('hello from the host');
      expect(fromNode.stdout).toMatch(/exit=(?!0\b)\d+/);
      await client.request('DELETE', `/api/sessions/${session.id}`);
    } finally {
      await lab.stop();
    }
  });
});
