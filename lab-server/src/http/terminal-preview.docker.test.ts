import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminalClient } from '../../testing/terminal-client.ts';
import { LabClient, startTestLab } from '../../testing/test-lab.ts';
import type { Lab } from '../lab.ts';
import { runCommand } from '../util/run-command.ts';
import { waitFor } from '../util/wait-for.ts';

let lab: Lab;
let client: LabClient;
let session: { id: string; previewToken: string };

/**
 * GET through the lab with a chosen Host header, as a browser opening a *.localhost preview does. An
 * attempt that hangs gives up after 5 s (status 0), so a wait can try again.
 */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { host }, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ status: 0, body: 'no answer within 5 s' });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * What the host and node1 see of the path a preview takes (route, neighbour, the node's NAT rules and
 * containers, nginx from inside the node), so a failed wait says where the path broke.
 */
async function networkReport(sessionId: string): Promise<string> {
  const view = (await client.request('GET', `/api/sessions/${sessionId}`)).json;
  const address = view?.nodes?.[0]?.address ?? '';
  const host = await runCommand('sh', [
    '-c',
    `ip route get ${address}; ip neigh show to ${address}; ip -br addr; iptables -S INPUT; iptables -S DOCKSIDE-INPUT`,
  ]).catch((e) => ({ stdout: String(e), stderr: '' }));
  const node = await client
    .sh(
      sessionId,
      'node1',
      'ip -br addr; ip route; ip neigh; iptables -t nat -S; iptables -S FORWARD; docker ps; ' +
        'wget -qO- -T 3 http://127.0.0.1:8080 | head -c 100; echo; ' +
        `wget -qO- -T 3 http://${address}:8080 | head -c 100`,
      30_000,
    )
    .then((r) => `${r.stdout}${r.stderr}`)
    .catch((e) => String(e));
  return `node1 (${view?.nodes?.[0]?.state}) at ${address}\n--- host\n${host.stdout}${host.stderr}\n--- node1\n${node}`;
}

beforeAll(async () => {
  lab = await startTestLab();
  client = new LabClient(lab.url);
  session = (await client.request('POST', '/api/sessions', { template: 'single' })).json;
});
afterAll(async () => {
  await client.request('DELETE', `/api/sessions/${session.id}`);
  await lab.stop();
});

describe('terminals through the lab server', () => {
  it('types into node1 and reattaches to the same shell after a reconnect', async () => {
    const path = `/api/sessions/${session.id}/nodes/node1/terminal?tab=t1`;
    const term = new TerminalClient(client.websocket(path));
    await term.opened();
    term.type('echo "pid=$$ on $(hostname)"\r');
    const [, pid] = await term.waitForOutput(/pid=(\d+) on node1/);
    await term.close();

    const again = new TerminalClient(client.websocket(path));
    await again.opened();
    await waitFor(() => again.statuses.find((s) => s.type === 'attached'), {
      timeoutMs: 5000,
      what: 'attached',
    });
    expect(again.output).toContain(`pid=${pid} on node1`); // Replayed.
    again.type('echo "again=$$"\r');
    await again.waitForOutput(new RegExp(`again=${pid}`));
    await again.close();
  });

  it('resizes, and keeps several tabs on one node as separate shells', async () => {
    const one = new TerminalClient(
      client.websocket(`/api/sessions/${session.id}/nodes/node1/terminal?tab=r1`),
    );
    const two = new TerminalClient(
      client.websocket(`/api/sessions/${session.id}/nodes/node1/terminal?tab=r2`),
    );
    await Promise.all([one.opened(), two.opened()]);
    one.resize(100, 30);
    one.type('stty size; echo "shell=$$"\r');
    await one.waitForOutput(/^30 100\r?$/m);
    two.type('echo "shell=$$"\r');
    const [, a] = await one.waitForOutput(/shell=(\d+)/);
    const [, b] = await two.waitForOutput(/shell=(\d+)/);
    expect(a).not.toBe(b);
    one.type('\x7b\r'); // A bad command in one tab does not disturb the other.
    two.ws.send(Buffer.from('9bogus'));
    await waitFor(() => two.statuses.find((st) => st.type === 'error'), {
      timeoutMs: 5000,
      what: 'an error status',
    });
    two.type('echo still-here\r');
    await two.waitForOutput(/^still-here\r?$/m);
    await Promise.all([one.close(), two.close()]);
  });

  it('holds a flood at the high watermark until the browser acknowledges, while other shells stay responsive', async () => {
    const flood = new TerminalClient(
      client.websocket(`/api/sessions/${session.id}/nodes/node1/terminal?tab=flood`),
    );
    await flood.opened();
    flood.acknowledge = false; // A frozen browser.
    flood.type('yes\r');
    const hub = lab.runtime.terminals;
    await waitFor(() => hub.stats().pausedTerminals > 0, {
      timeoutMs: 10_000,
      what: 'the flood to be paused',
    });
    await new Promise((r) => setTimeout(r, 1000));
    const held = hub.unacknowledged(session.id, 'node1', 'flood') ?? 0;
    expect(held).toBeGreaterThan(200 * 1024);
    expect(held).toBeLessThan(512 * 1024); // Bounded: not the megabytes `yes` writes every second.
    const received = flood.output.length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(flood.output.length - received).toBeLessThan(64 * 1024);

    // Another learner's terminal answers at once.
    const other = new TerminalClient(
      client.websocket(`/api/sessions/${session.id}/nodes/node1/terminal?tab=calm`),
    );
    await other.opened();
    // Its shell is started once the socket is open; time the answer, not the start.
    await waitFor(() => other.statuses.some((st) => st.type === 'attached'), {
      timeoutMs: 20_000,
      what: 'the calm terminal to attach',
    });
    const t0 = performance.now();
    other.type('echo calm-$((2+2))\r');
    await other.waitForOutput(/calm-4/);
    expect(performance.now() - t0).toBeLessThan(2000);

    // Acknowledging lets the output flow again; Ctrl-C ends the flood.
    flood.acknowledge = true;
    flood.ws.send(Buffer.concat([Buffer.from('2'), Buffer.from(String(held))]));
    const before = flood.output.length;
    await waitFor(() => flood.output.length > before + 256 * 1024, {
      timeoutMs: 10_000,
      what: 'the flood to resume',
    });
    flood.type('\x03');
    flood.type('echo flood-over\r');
    await flood.waitForOutput(/^flood-over\r?$/m, 20_000);
    await Promise.all([flood.close(), other.close()]);
  });

  it('refuses a terminal to someone without the session cookie, or from another origin', async () => {
    const stranger = new LabClient(lab.url);
    const refused = new TerminalClient(
      stranger.websocket(`/api/sessions/${session.id}/nodes/node1/terminal?tab=x`),
    );
    await expect(refused.opened()).rejects.toThrow(/404/);
    const foreign = new TerminalClient(
      client.websocket(`/api/sessions/${session.id}/nodes/node1/terminal?tab=x`, {
        origin: `http://8080-node1-${session.previewToken}.localhost`,
      }),
    );
    await expect(foreign.opened()).rejects.toThrow(/403/);
  });
});

describe('web previews', () => {
  it('opens an nginx started in node1, by *.localhost name and by path, and nothing of other sessions', async () => {
    const started = await client.sh(
      session.id,
      'node1',
      'docker run -d -p 8080:80 nginx >/dev/null && echo ok',
      60_000,
    );
    expect(started.stdout.trim()).toBe('ok');
    const view = await waitFor(
      async () => {
        const v = (await client.request('GET', `/api/sessions/${session.id}`)).json;
        return v.nodes[0].ports.find((p: { port: number }) => p.port === 8080) && v;
      },
      { timeoutMs: 10_000, what: 'port 8080 to show in the session' },
    );
    const port = view.nodes[0].ports.find((p: { port: number }) => p.port === 8080);
    expect(port.previewUrl).toMatch(
      new RegExp(`^http://8080-node1-${session.previewToken}\\.localhost:\\d+/$`),
    );

    let last = { status: 0, body: '' };
    const byHost = await waitFor(
      async () => {
        last = await getWithHost(lab.url, new URL(port.previewUrl).host);
        return last.status === 200 && last;
      },
      { timeoutMs: 30_000, what: 'nginx through the preview proxy' },
    ).catch(async (err) => {
      throw new Error(
        `${err.message} Last answer: ${last.status} ${last.body.slice(0, 300)}\n${await networkReport(session.id)}`,
      );
    });
    expect(byHost.body).toContain('Welcome to nginx!');
    const byPath = await fetch(`${lab.url}preview/${session.previewToken}/node1/8080/`);
    expect(await byPath.text()).toContain('Welcome to nginx!');

    const otherLearner = new LabClient(lab.url);
    const other = (await otherLearner.request('POST', '/api/sessions', { template: 'single' })).json;
    try {
      // Another session's token does not open this session's port, and a made-up token opens nothing.
      const cross = await getWithHost(lab.url, `8080-node1-${other.previewToken}.localhost`);
      expect(cross.status).toBe(502);
      const unknown = await getWithHost(lab.url, `8080-node1-${'a'.repeat(26)}.localhost`);
      expect(unknown.status).toBe(404);
    } finally {
      await otherLearner.request('DELETE', `/api/sessions/${other.id}`);
    }
  });
});
