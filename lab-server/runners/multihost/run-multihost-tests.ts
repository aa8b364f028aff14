/**
 * `npm run test:multihost`: two lab servers on this machine, each with its own state directory and id,
 * sharing one throw-away PostgreSQL (Debian's, installed when missing) and one Docker engine (the first
 * lab's own: the second's images are the first's, no second build). They hold ten sessions between
 * them, and the suite checks, over real HTTP and WebSockets, that:
 *
 * - each session answers through either lab: API, exec, terminal, preview, the learner's list;
 * - a node of one lab reaches neither the other lab's nodes nor its port on the host;
 * - with one lab killed (SIGKILL), the other's sessions keep working and the dead one's answer
 *   OwnerLabDown; /api/health lists both labs;
 * - restarted, the killed lab takes its id back at once and its sessions work again, none deleted.
 *
 * Ends with `N passed, M failed`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, repoRoot } from '../../src/config.ts';
import { route } from '../../src/protocol/routes.ts';
import { NodeDisks } from '../../src/sessions/node-disks.ts';
import { waitFor } from '../../src/util/wait-for.ts';
import { freePort } from '../../testing/free-port.ts';
import { LabClient } from '../../testing/lab-client.ts';
import { ensureServerBinaries, startCluster, type TempCluster } from '../../testing/postgres-cluster.ts';
import { TerminalClient } from '../../testing/terminal-client.ts';

const log = (line: string) => process.stdout.write(`${line}\n`);
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/** One lab server as a process of its own, as `npm start` runs it (so it can be killed for real). */
class LabProcess {
  readonly name: string;
  readonly env: Record<string, string>;
  readonly port: number;
  child: ChildProcess | undefined;
  output = '';

  constructor(name: string, port: number, env: Record<string, string>) {
    this.name = name;
    this.port = port;
    this.env = env;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'lab-server/src/main.ts')], {
      cwd: repoRoot,
      env: { ...process.env, ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (c) => {
      this.output += c;
    });
    child.stderr?.on('data', (c) => {
      this.output += c;
    });
    let exited = false;
    child.on('exit', () => {
      exited = true;
    });
    await waitFor(
      async () => {
        // Not listening yet: asked again.
        const r = await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(2000) }).catch(
          () => undefined,
        );
        return r?.status === 200;
      },
      {
        timeoutMs: 600_000,
        intervalMs: 500,
        what: `lab ${this.name} to be ready`,
        abort: () =>
          exited ? new Error(`lab ${this.name} exited:\n${this.output.slice(-3000)}`) : undefined,
      },
    );
  }

  kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}

interface Held {
  lab: LabProcess;
  learner: LabClient;
  id: string;
  previewToken: string;
  address: string;
}

/** The same learner (their cookie) asking another lab. */
function through(lab: LabProcess, learner: LabClient): LabClient {
  const other = new LabClient(lab.url);
  other.cookie = learner.cookie;
  return other;
}

async function main(): Promise<number> {
  let passed = 0;
  let failed = 0;
  const check = async (what: string, work: () => Promise<string>) => {
    const started = Date.now();
    try {
      const detail = await work();
      passed++;
      log(`✓ ${what} (${((Date.now() - started) / 1000).toFixed(1)} s): ${detail}`);
      return true;
    } catch (err) {
      failed++;
      log(`✗ ${what} (${((Date.now() - started) / 1000).toFixed(1)} s): ${(err as Error).message}`);
      for (const lab of labs) log(`--- lab ${lab.name} said lately:\n${lab.output.slice(-1500)}`);
      return false;
    }
  };

  let cluster: TempCluster | undefined;
  const labs: LabProcess[] = [];
  const stateB = mkdtempSync(join(tmpdir(), 'dockside-lab-b-'));
  const held: Held[] = [];
  try {
    cluster = await startCluster(await ensureServerBinaries(log));
    log(`PostgreSQL at ${cluster.url.replace(/\/\/[^@]*@/, '//')} (${elapsed()})`);
    const base = {
      DOCKSIDE_DATABASE_URL: cluster.url,
      // Both listen on every address, so the fences (not the loopback) are what keeps nodes out.
      HOST: '0.0.0.0',
      DOCKSIDE_SESSIONS_PER_LEARNER: '10',
    };
    const [portA, portB] = [await freePort(), await freePort()];
    const a = new LabProcess('a', portA, {
      ...base,
      DOCKSIDE_STATE_DIR: loadConfig().stateDir,
      DOCKSIDE_LAB_ID: 'lab-a',
      DOCKSIDE_LAB_ADDRESS: `http://127.0.0.1:${portA}`,
    });
    labs.push(a);
    await a.start();
    const engine = ((await (await fetch(`${a.url}/api/health`)).json()) as { engine: { host: string } })
      .engine.host;
    log(`lab a ready at ${a.url} on engine ${engine} (${elapsed()})`);
    const b = new LabProcess('b', portB, {
      ...base,
      DOCKSIDE_STATE_DIR: stateB,
      DOCKSIDE_ENGINE: 'existing',
      DOCKER_HOST: engine,
      DOCKSIDE_LAB_ID: 'lab-b',
      DOCKSIDE_LAB_ADDRESS: `http://127.0.0.1:${portB}`,
    });
    labs.push(b);
    const bStarted = Date.now();
    await b.start();
    log(
      `lab b ready at ${b.url}, on lab a's engine and images, in ${((Date.now() - bStarted) / 1000).toFixed(1)} s`,
    );

    const sessionsMade = await check('ten sessions, five on each lab, in one database', async () => {
      const made = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const lab = i % 2 === 0 ? a : b;
          const learner = new LabClient(lab.url);
          const r = await learner.request('POST', '/api/sessions', { template: 'single', wait: true });
          if (r.status !== 201) throw new Error(`lab ${lab.name} refused a sandbox: ${r.status} ${r.text}`);
          return {
            lab,
            learner,
            id: r.json.id,
            previewToken: r.json.previewToken,
            address: r.json.nodes[0].address,
          };
        }),
      );
      held.push(...made);
      if (held.length !== 10) throw new Error(`${held.length} sessions, 10 expected`);
      const health = (await (await fetch(`${a.url}/api/health`)).json()) as {
        labs: { id: string; up: boolean }[];
      };
      const up = health.labs.filter((l) => l.up).map((l) => l.id);
      if (!up.includes('lab-a') || !up.includes('lab-b'))
        throw new Error(`health lists ${JSON.stringify(health.labs)}`);
      return `ids ${made.map((h) => h.id.slice(0, 6)).join(', ')}; /api/health lists lab-a and lab-b up`;
    });

    // Every later check needs the ten.
    if (!sessionsMade) throw new Error('without its ten sessions the suite cannot go on');
    const other = (h: Held) => (h.lab === a ? b : a);

    await check('each session answers through the other lab: view, exec and the learner’s list', async () => {
      for (const h of held) {
        const far = through(other(h), h.learner);
        const view = await far.request('GET', route('session', { id: h.id }));
        if (view.status !== 200 || view.json.id !== h.id)
          throw new Error(`GET via ${other(h).name}: ${view.status} ${view.text}`);
        const out = await far.sh(h.id, 'node1', 'echo "$(hostname) answers"');
        if (out.stdout.trim() !== 'node1 answers')
          throw new Error(`exec via ${other(h).name}: ${JSON.stringify(out)}`);
        const list = await far.request('GET', '/api/sessions');
        if (!(list.json as { id: string }[]).some((s) => s.id === h.id))
          throw new Error(`lab ${other(h).name} does not list ${h.id} for its learner`);
      }
      return 'ten sessions, each through the lab that does not run it';
    });

    await check('terminals and previews through the other lab', async () => {
      for (const h of held.slice(0, 4)) {
        const far = through(other(h), h.learner);
        const terminal = new TerminalClient(
          far.websocket(`${route('terminal', { id: h.id, node: 'node1' })}?tab=multihost`),
        );
        await terminal.opened();
        terminal.type('echo "typed-$((6*7))"\r');
        await terminal.waitForOutput(/typed-42/);
        await terminal.close();
        await h.learner.sh(
          h.id,
          'node1',
          `mkdir -p /srv/www && echo "served by ${h.id}" > /srv/www/index.html && (busybox httpd -p 8080 -h /srv/www &)`,
        );
        const page = await waitFor(
          async () => {
            const r = await fetch(`${other(h).url}/preview/${h.previewToken}/node1/8080/`);
            return r.status === 200 && (await r.text());
          },
          { timeoutMs: 10_000, what: `the preview of ${h.id} through lab ${other(h).name}` },
        );
        if (!page.includes(`served by ${h.id}`)) throw new Error(`the preview answered ${page}`);
      }
      return 'a shell typed into and a page served, each through the lab that does not run it';
    });

    await check(
      'a node of one lab reaches neither the other lab’s nodes nor its port on the host',
      async () => {
        const [ofA, ofB] = [held.find((h) => h.lab === a), held.find((h) => h.lab === b)] as [Held, Held];
        const gateway = (
          await ofA.learner.sh(ofA.id, 'node1', "ip route | awk '/default/ { print $3 }'")
        ).stdout.trim();
        const probes = [
          `curl -s -m 3 http://${ofB.address}:8080/`,
          `curl -s -m 3 http://${gateway}:${portB}/api/health`,
          `curl -s -m 3 http://${gateway}:${portA}/api/health`,
        ];
        for (const probe of probes) {
          const r = await ofA.learner.sh(ofA.id, 'node1', probe);
          if (r.exitCode === 0) throw new Error(`${probe} answered: ${r.stdout.slice(0, 200)}`);
        }
        // The same request from its own lab's side works: the server is there.
        const own = await ofB.learner.sh(ofB.id, 'node1', 'curl -s -m 3 http://localhost:8080/');
        if (!own.stdout.includes('served by'))
          throw new Error(`lab b's node does not serve itself: ${own.stdout}`);
        return `from ${ofA.address}: ${ofB.address}:8080 and ${gateway}:${portB}, :${portA} refused or silent`;
      },
    );

    await b.kill('SIGKILL');
    await check('with lab b killed, lab a’s sessions work and lab b’s say their lab is away', async () => {
      for (const h of held) {
        const near = through(a, h.learner);
        if (h.lab === a) {
          const out = await near.sh(h.id, 'node1', 'echo still');
          if (out.stdout.trim() !== 'still') throw new Error(`${h.id}: ${JSON.stringify(out)}`);
        } else {
          const r = await near.request('GET', route('session', { id: h.id }));
          if (r.status !== 503 || r.json?.error !== 'OwnerLabDown')
            throw new Error(`${h.id}: ${r.status} ${r.text}`);
        }
      }
      return 'five sessions answer on lab a, five answer 503 OwnerLabDown';
    });

    await check('lab b restarted: its id back at once, every session answering, none deleted', async () => {
      const restarted = Date.now();
      await b.start();
      const took = ((Date.now() - restarted) / 1000).toFixed(1);
      for (const h of held) {
        for (const lab of [a, b]) {
          const out = await through(lab, h.learner).sh(
            h.id,
            'node1',
            'cat /srv/www/index.html 2>/dev/null; hostname',
          );
          if (!out.stdout.includes('node1'))
            throw new Error(`${h.id} via ${lab.name}: ${JSON.stringify(out)}`);
        }
      }
      return `lab b ready again in ${took} s; ten sessions answer through both labs`;
    });

    await check('deleting a session through the other lab removes it everywhere', async () => {
      for (const h of held) {
        const r = await through(other(h), h.learner).request('DELETE', route('session', { id: h.id }));
        if (r.status !== 204) throw new Error(`DELETE ${h.id} via ${other(h).name}: ${r.status} ${r.text}`);
      }
      for (const h of held) {
        const r = await through(h.lab, h.learner).request('GET', route('session', { id: h.id }));
        if (r.status !== 404) throw new Error(`${h.id} still answers ${r.status}`);
      }
      held.length = 0;
      return 'ten deleted, each through the lab that did not run it';
    });
  } catch (err) {
    failed++;
    log(`✗ the suite could not go on: ${(err as Error).message}`);
    for (const lab of labs) log(`--- lab ${lab.name} said:\n${lab.output.slice(-2000)}`);
  } finally {
    for (const h of held)
      await h.learner
        .request('DELETE', route('session', { id: h.id }))
        // The suite already failed; what is left goes with lab a's engine.
        .catch(() => undefined);
    // Lab b first: lab a owns the engine, which stops with it.
    for (const lab of [...labs].reverse()) await lab.kill('SIGTERM');
    cluster?.stop();
    // Lab b runs on lab a's engine, so its stop leaves its nodes' disks for its next start: the suite
    // is the last user, and leaves the host as it found it.
    await new NodeDisks({ root: join(stateB, 'disks'), capBytes: 0 }).unmountAll();
    rmSync(stateB, { recursive: true, force: true });
  }
  log(`${passed} passed, ${failed} failed (${elapsed()})`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`✗ ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
