import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LabClient, startTestLab } from '../../testing/test-lab.ts';
import { loadConfig } from '../config.ts';
import type { Lab } from '../lab.ts';
import { waitFor } from '../util/wait-for.ts';

let lab: Lab;
let client: LabClient;

beforeAll(async () => {
  const base = loadConfig();
  // A failing test must not leave the next one over the per-learner limit.
  lab = await startTestLab({ limits: { ...base.limits, maxSessionsPerOwner: 50 } });
  client = new LabClient(lab.url);
});
afterAll(async () => {
  for (const s of lab.runtime.sessions.ownedBy(decodeURIComponent(client.cookie.split('=')[1] ?? ''))) {
    await lab.runtime.sessions.delete(s.id).catch(() => undefined);
  }
  await lab.stop();
});

describe('API input validation', () => {
  it('rejects an unknown template and names the valid ones', async () => {
    const r = await client.request('POST', '/api/sessions', { template: 'quartet' });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('InvalidRequest');
    expect(r.json.message).toMatch(/template.*single.*trio.*swarm-3/);
  });

  it('rejects unknown fields', async () => {
    const r = await client.request('POST', '/api/sessions', { template: 'single', nodes: 9 });
    expect(r.status).toBe(400);
    expect(r.json.message).toContain('nodes');
  });

  it('rejects malformed JSON with a 400 that says so', async () => {
    const r = await client.request('POST', '/api/sessions', '{"template": ');
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/JSON/i);
  });

  it('rejects an oversized body with 413', async () => {
    const r = await client.request('POST', '/api/sessions', {
      template: 'single',
      pad: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(r.status).toBe(413);
    expect(r.json.message).toMatch(/too large/i);
  });

  it('answers 404, not 403, for a session that is not yours', async () => {
    const r = await client.request('GET', '/api/sessions/0123456789abcdef');
    expect(r.status).toBe(404);
    expect(r.json.error).toBe('SessionNotFound');
    const bad = await client.request('GET', '/api/sessions/not-an-id');
    expect(bad.status).toBe(400);
  });
});

describe('sandboxes from templates', () => {
  it('creates a trio: three running nodes with addresses, in a cookie-owned session', async () => {
    const r = await client.request('POST', '/api/sessions', { template: 'trio' });
    expect(r.status, r.text).toBe(201);
    expect(client.cookie).toMatch(/^dockside_token=/);
    // 128 random bits, for the session id as for the learner's token.
    expect(r.json.id).toMatch(/^[0-9a-f]{32}$/);
    expect(client.cookie).toMatch(/^dockside_token=[\w-]{22}$/);
    expect(r.json.state).toBe('ready');
    expect(r.json.nodes.map((n: { name: string }) => n.name)).toEqual(['node1', 'node2', 'node3']);
    for (const node of r.json.nodes) {
      expect(node.state).toBe('running');
      expect(node.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    }
    const hostname = await client.sh(
      r.json.id,
      'node2',
      'hostname && docker info --format "{{.ServerVersion}}"',
    );
    expect(hostname.stdout).toMatch(/^node2\n\d+\.\d+/);
    // Another learner (no cookie) cannot see it.
    const stranger = new LabClient(lab.url);
    expect((await stranger.request('GET', `/api/sessions/${r.json.id}`)).status).toBe(404);
    await client.request('DELETE', `/api/sessions/${r.json.id}`);
  });

  it('forms swarm-3 with one manager and two workers', async () => {
    const r = await client.request('POST', '/api/sessions', { template: 'swarm-3' });
    expect(r.status, r.text).toBe(201);
    expect(r.json.nodes.map((n: { role: string }) => n.role)).toEqual(['manager', 'worker', 'worker']);
    const ls = await client.sh(
      r.json.id,
      'node1',
      "docker node ls --format '{{.Hostname}} {{.ManagerStatus}} {{.Status}}'",
    );
    const lines = ls.stdout.trim().split('\n').sort();
    expect(lines).toEqual(['node1 Leader Ready', 'node2  Ready', 'node3  Ready']);
    // An overlay service with DNS round-robin spreads over the nodes (no IPVS here).
    const svc = await client.sh(
      r.json.id,
      'node1',
      'docker network create -d overlay net >/dev/null && docker service create -q --name web --replicas 3 --endpoint-mode dnsrr --network net dockside/whoami >/dev/null && docker service ps web --format "{{.Node}} {{.CurrentState}}"',
      90_000,
    );
    const nodes = svc.stdout
      .trim()
      .split('\n')
      .filter((l) => l.includes('Running'))
      .map((l) => l.split(' ')[0]);
    expect(nodes.sort()).toEqual(['node1', 'node2', 'node3']);
    await client.request('DELETE', `/api/sessions/${r.json.id}`);
  });

  it('forms swarm-5 with three managers', async () => {
    const r = await client.request('POST', '/api/sessions', { template: 'swarm-5' });
    expect(r.status, r.text).toBe(201);
    const ls = await client.sh(
      r.json.id,
      'node2',
      "docker node ls --format '{{.Hostname}}={{.ManagerStatus}}'",
    );
    const statuses = Object.fromEntries(
      ls.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('=')),
    );
    expect(Object.keys(statuses).sort()).toEqual(['node1', 'node2', 'node3', 'node4', 'node5']);
    expect(['node1', 'node2', 'node3'].map((n) => statuses[n]).sort()).toEqual([
      'Leader',
      'Reachable',
      'Reachable',
    ]);
    expect([statuses.node4, statuses.node5]).toEqual(['', '']);
    await client.request('DELETE', `/api/sessions/${r.json.id}`);
  });
});

describe('isolation', () => {
  it('keeps sessions apart, with no route out, but the mirror and the package proxy in reach', async () => {
    const a = await client.request('POST', '/api/sessions', { template: 'single' });
    const other = new LabClient(lab.url);
    const b = await other.request('POST', '/api/sessions', { template: 'single' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    const bAddress = b.json.nodes[0].address;
    const ping = await client.sh(a.json.id, 'node1', `ping -c 1 -W 2 ${bAddress} >/dev/null 2>&1; echo $?`);
    expect(ping.stdout.trim()).not.toBe('0');
    // Nothing beyond the session network: the package proxy's address on the engine's default bridge is
    // one hop away through the gateway, and an internal network must not forward there.
    const proxyBridgeAddress = inject('lab').aptAddress;
    const beyond = await client.sh(
      a.json.id,
      'node1',
      `curl -s -m 3 -o /dev/null http://${proxyBridgeAddress}:3142/; echo $?`,
    );
    expect(beyond.stdout.trim()).not.toBe('0');
    const services = await client.sh(
      a.json.id,
      'node1',
      'curl -sf -o /dev/null -w "%{http_code} " http://mirror:5000/v2/ && curl -sf -o /dev/null -w "%{http_code}" http://apt:3142/acng-report.html',
    );
    expect(services.stdout).toBe('200 200');
    // The lab server listens on loopback: the session network's gateway (the host) does not serve it.
    const gateway = bAddress.replace(/\.\d+$/, '.1');
    const port = new URL(lab.url).port;
    const lab2 = await client.sh(
      a.json.id,
      'node1',
      `curl -s -m 3 http://${gateway}:${port}/api/health; echo "exit=$?"`,
    );
    expect(lab2.stdout).not.toContain('"status"');
    await client.request('DELETE', `/api/sessions/${a.json.id}`);
    await other.request('DELETE', `/api/sessions/${b.json.id}`);
  });
});

describe('changing a sandbox', () => {
  it('adds, kills, restarts and removes nodes, and runs commands with their output and exit code', async () => {
    const s = (await client.request('POST', '/api/sessions', { template: 'single' })).json;
    const added = await client.request('POST', `/api/sessions/${s.id}/nodes`);
    expect(added.status, added.text).toBe(201);
    expect(added.json.name).toBe('node2');
    const resolved = await client.sh(s.id, 'node2', 'ping -c 1 -W 2 node1 >/dev/null && echo reachable');
    expect(resolved.stdout.trim()).toBe('reachable');

    const killed = await client.request('POST', `/api/sessions/${s.id}/nodes/node2/kill`);
    expect(killed.json.state).toBe('exited');
    const down = await client.request('POST', `/api/sessions/${s.id}/nodes/node2/exec`, { command: 'true' });
    expect(down.status).toBe(409);
    expect(down.json.hint).toMatch(/Restart node2/);
    const restarted = await client.request('POST', `/api/sessions/${s.id}/nodes/node2/restart`);
    expect(restarted.json.state).toBe('running');

    const exec = await client.request('POST', `/api/sessions/${s.id}/nodes/node1/exec`, {
      argv: ['sh', '-c', 'echo out; echo err >&2; cat; exit 3'],
      stdin: 'from stdin',
    });
    expect(exec.json).toMatchObject({ exitCode: 3, stdout: 'out\nfrom stdin', stderr: 'err\n' });
    const slow = await client.request('POST', `/api/sessions/${s.id}/nodes/node1/exec`, {
      command: 'sleep 30',
      timeoutMs: 500,
    });
    expect(slow.status).toBe(504);
    expect(slow.json.error).toBe('ExecTimedOut');
    const missing = await client.request('POST', `/api/sessions/${s.id}/nodes/node7/exec`, {
      command: 'true',
    });
    expect(missing.status).toBe(404);
    expect(missing.json.message).toContain('node1, node2');

    expect((await client.request('DELETE', `/api/sessions/${s.id}/nodes/node2`)).status).toBe(204);
    const after = await client.request('GET', `/api/sessions/${s.id}`);
    expect(after.json.nodes.map((n: { name: string }) => n.name)).toEqual(['node1']);
    const events = await client.request('GET', `/api/sessions/${s.id}/events`);
    const types = events.json.map((e: { type: string }) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['session-ready', 'node-added', 'node-down', 'node-up', 'node-removed']),
    );
    await client.request('DELETE', `/api/sessions/${s.id}`);
  });
});

describe('events and metrics', () => {
  it('pushes session events over a WebSocket and counts sandboxes in /metrics', async () => {
    const s = (await client.request('POST', '/api/sessions', { template: 'single' })).json;
    try {
      const ws = client.websocket(`/api/sessions/${s.id}/events`);
      const received: { type: string; data: Record<string, unknown> }[] = [];
      ws.on('message', (data: Buffer) => received.push(JSON.parse(data.toString('utf8'))));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      await waitFor(() => received.some((e) => e.type === 'session-ready'), {
        timeoutMs: 5000,
        what: 'the stored events',
      });
      expect((await client.request('POST', `/api/sessions/${s.id}/nodes`)).status).toBe(201);
      await waitFor(() => received.find((e) => e.type === 'node-added' && e.data.node === 'node2'), {
        timeoutMs: 10_000,
        what: 'the node-added event',
      });
      ws.close();
      const metrics = await fetch(`${lab.url}metrics`).then((r) => r.text());
      expect(Number(/^dockside_sessions_active (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
      expect(metrics).toMatch(/^dockside_sandbox_creation_seconds_count\{template="single"\} [1-9]/m);
    } finally {
      await client.request('DELETE', `/api/sessions/${s.id}`);
    }
  });
});
