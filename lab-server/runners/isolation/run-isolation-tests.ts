/**
 * `npm run test:isolation`: the escape suite. Starts the lab with its security profile, gives an
 * attacker a trio and a victim a single node (two learners), and tries to break every promise the
 * profile makes, from a node and from a privileged container inside it, with real commands on the real
 * engine. Promises the profile does not make are listed, not run and not counted. Ends with
 * `N passed, M failed`, counting promises; writes a Markdown table to test-results/isolation.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { loadConfig, repoRoot } from '../../src/config.ts';
import { type Lab, startLab } from '../../src/lab.ts';
import { LABEL_NODE, LABEL_SESSION } from '../../src/protocol/labels.ts';
import { NODE_CGROUP_PARENT } from '../../src/security/node-cgroup.ts';
import { PROMISES, type PromiseId } from '../../src/security/promises.ts';
import { mountPoints } from '../../src/util/mounts.ts';
import { waitFor } from '../../src/util/wait-for.ts';
import { LabClient } from '../../testing/lab-client.ts';
import { TerminalClient } from '../../testing/terminal-client.ts';
import { type ExecResult, type Outcome, PROBES, type ProbeContext } from './escape-probes.ts';
import { OutsideHost } from './outside-host.ts';

const log = (line: string) => process.stdout.write(`${line}\n`);
const only = process.argv.slice(2).filter((a) => !a.startsWith('-')) as PromiseId[];
const PROBE_IMAGE = 'dockside-probe';

interface Row {
  promise: PromiseId;
  result: 'passed' | 'failed' | 'not promised';
  detail: string;
  seconds: number;
}

function labConfig(overrides: Record<string, string> = {}) {
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', ...overrides });
  return {
    ...config,
    databaseUrl: `sqlite:${join(mkdtempSync(join(tmpdir(), 'dockside-isolation-')), 'lab.sqlite')}`,
    limits: {
      ...config.limits,
      // Small nodes: a memory bomb reaches the limit in seconds.
      nodeMemoryBytes: 512 * 2 ** 20,
      // Small disks: a fill reaches the cap in seconds (the probe image takes about 400 MiB of it).
      nodeDiskBytes: 2 * 2 ** 30,
      nodeFilesBytes: 512 * 2 ** 20,
      maxSessionsPerOwner: 10,
      createsPerAddressPerMinute: 1000,
    },
    // A short grace window: the probe waits through it twice.
    times: { ...config.times, diskWatchIntervalMs: 1000, diskGraceMs: 15_000 },
  };
}

class Learner {
  readonly client: LabClient;
  session = '';
  constructor(url: string) {
    this.client = new LabClient(url);
  }
  async create(template: string): Promise<{ id: string; nodes: { name: string; address: string }[] }> {
    const r = await this.client.request('POST', '/api/sessions', { template });
    if (r.status !== 201) throw new Error(`the ${template} sandbox did not start: ${r.text}`);
    this.session = r.json.id;
    return r.json;
  }
  async sh(node: string, command: string, timeoutMs = 30_000, stdin?: string): Promise<ExecResult> {
    const r = await this.client.request('POST', `/api/sessions/${this.session}/nodes/${node}/exec`, {
      command,
      timeoutMs,
      ...(stdin === undefined ? {} : { stdin }),
    });
    if (r.status !== 200) return { exitCode: -1, stdout: '', stderr: `exec answered ${r.status}: ${r.text}` };
    return r.json as ExecResult;
  }
}

/** TCP listeners on every IPv4 address of the host, so "unreachable" means refused by the fences. */
async function listenOnHostAddresses(
  extra: string[],
): Promise<{ servers: Server[]; listeners: { address: string; port: number }[] }> {
  const addresses = new Set(extra);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) addresses.add(a.address);
  }
  const servers: Server[] = [];
  const listeners: { address: string; port: number }[] = [];
  for (const address of addresses) {
    // A node that resets its connection (a probe timing out) must not crash the suite.
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.end('host\n');
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, address, resolve));
    servers.push(server);
    listeners.push({ address, port: (server.address() as { port: number }).port });
  }
  return { servers, listeners };
}

async function echoLatency(client: LabClient, session: string, samples: number) {
  const term = new TerminalClient(client.websocket(`/api/sessions/${session}/nodes/node1/terminal?tab=echo`));
  await term.opened();
  term.type('stty -echoctl; PS1="$ "\r');
  await term.waitForOutput(/\$ $/);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const echoed = term.nextOutput();
    const t0 = performance.now();
    term.type('x');
    await echoed;
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
  term.type('\x15');
  await term.close();
  const sorted = times.sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

/** What a session left on the engine and on the host: labelled objects, and its nodes' disks. */
async function labelled(docker: Docker, session: string) {
  const filters = { label: [`${LABEL_SESSION}=${session}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  const diskDir = join(loadConfig().stateDir, 'disks', session);
  const disks =
    [...mountPoints()].filter((m) => m.startsWith(`${diskDir}/`)).length +
    (existsSync(diskDir) ? readdirSync(diskDir).filter((f) => f.endsWith('.img')).length : 0);
  return {
    containers: containers.length,
    networks: networks.length,
    volumes: volumes.Volumes?.length ?? 0,
    disks,
  };
}
type Left = Awaited<ReturnType<typeof labelled>>;
const none = (c: Left) => c.containers + c.networks + c.volumes + c.disks === 0;
const count = (c: Left) =>
  `${c.containers} containers, ${c.networks} networks, ${c.volumes} volumes, ${c.disks} node disk files and mounts`;

/** The cleanup promise: expiry, explicit close, and a lab killed with SIGKILL then started again. */
async function cleanupProbe(docker: Docker): Promise<Outcome> {
  // 1. Expiry, on a lab whose sessions idle out in seconds.
  const short = labConfig();
  const lab = await startLab(
    { ...short, times: { ...short.times, idleTimeoutMs: 4000, warnBeforeMs: 1000, sweepIntervalMs: 1000 } },
    { say: () => undefined, buildSite: false },
  );
  let expired: string;
  let closed: string;
  try {
    const a = new Learner(lab.url);
    const s = await a.create('single');
    await waitFor(async () => none(await labelled(docker, s.id)), {
      timeoutMs: 60_000,
      what: 'the idle session removed',
    });
    expired = 'an idle session was removed with all it had';
    const b = await a.create('trio');
    await a.client.request('DELETE', `/api/sessions/${b.id}`);
    const left = await labelled(docker, b.id);
    if (!none(left)) return { ok: false, detail: `a closed trio left ${count(left)}` };
    closed = 'a closed trio left nothing';
  } finally {
    await lab.stop();
  }

  // 2. SIGKILL: a lab server in its own process, killed mid-session, then started again.
  const state = labConfig();
  const start = (): Promise<{ child: ChildProcess; url: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'lab-server/src/main.ts')], {
        cwd: repoRoot,
        env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DOCKSIDE_DATABASE_URL: state.databaseUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const url = /ready: (http:\/\/\S+)/.exec(out)?.[1];
        if (url) resolve({ child, url });
      });
      child.once('exit', (code) =>
        reject(new Error(`the lab server exited with ${code}: ${out.slice(-400)}`)),
      );
    });
  const first = await start();
  const learner = new Learner(first.url);
  const s = await learner.create('trio');
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  const orphaned = await labelled(docker, s.id);
  const second = await start();
  try {
    // The restarted lab knows the session (its store does): it is adopted, then closed cleanly.
    const again = new LabClient(second.url);
    again.cookie = learner.client.cookie;
    const adopted = await again.request('GET', `/api/sessions/${s.id}`);
    if (adopted.status !== 200)
      return { ok: false, detail: `the restarted lab lost the session: ${adopted.text}` };
    await again.request('DELETE', `/api/sessions/${s.id}`);
    const left = await labelled(docker, s.id);
    if (!none(left)) return { ok: false, detail: `after SIGKILL and restart, closing left ${count(left)}` };
  } finally {
    second.child.kill('SIGINT');
    await new Promise((r) => second.child.once('exit', r));
  }
  return {
    ok: true,
    detail: `${expired}; ${closed}; a lab killed with SIGKILL left ${count(orphaned)}, which the next start adopted and closing removed`,
  };
}

async function main(): Promise<number> {
  const config = labConfig();
  const lab: Lab = await startLab(config, { say: (l) => log(`  lab: ${l}`), buildSite: false });
  const security = lab.health.security;
  if (!security) throw new Error('the lab reports no security profile');
  const promised = new Set(security.promises as PromiseId[]);
  const docker = lab.engine.docker;
  const rows: Row[] = [];
  let cleanupWanted = false;
  const runProbe = async (promise: PromiseId, probe: () => Promise<Outcome>) => {
    const t0 = performance.now();
    let outcome: Outcome;
    try {
      outcome = await probe();
    } catch (err) {
      outcome = {
        ok: false,
        detail: `the test itself failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    const seconds = (performance.now() - t0) / 1000;
    rows.push({ promise, result: outcome.ok ? 'passed' : 'failed', detail: outcome.detail, seconds });
    log(`${outcome.ok ? '✓' : '✗'} ${promise} (${seconds.toFixed(1)} s): ${outcome.detail}`);
  };
  const outside = await OutsideHost.start();
  let servers: Server[] = [];
  const attacker = new Learner(lab.url);
  const victim = new Learner(lab.url);
  try {
    log(
      `profile ${security.name}: ${security.promises.length} promises; host ${JSON.stringify(security.host)}`,
    );
    await attacker.create('trio');
    const v = await victim.create('single');
    await victim.sh('node1', 'docker run -d --name web -p 8080:80 nginx >/dev/null && echo started', 120_000);
    // The privileged container the probes run in: the node's own file system as an image, so it has
    // the same tools (a learner can make it the same way).
    const made = await attacker.sh(
      'node1',
      `tar -C / --one-file-system --exclude=./var/lib/docker --exclude=./proc --exclude=./sys -cf - . | docker import - ${PROBE_IMAGE} >/dev/null && echo IMPORTED`,
      120_000,
    );
    if (!made.stdout.includes('IMPORTED')) throw new Error(`could not make the probe image: ${made.stderr}`);
    await attacker.sh('node1', 'docker pull -q busybox >/dev/null', 60_000);
    const gateway = (await attacker.sh('node1', "ip route | awk '/^default/ { print $3 }'")).stdout.trim();
    const hosts = await listenOnHostAddresses([gateway]);
    servers = hosts.servers;
    const node2Container = () =>
      docker
        .listContainers({
          filters: { label: [`${LABEL_SESSION}=${attacker.session}`, `${LABEL_NODE}=node2`] },
        })
        .then((c) => c[0]?.Id ?? '');
    const ctx: ProbeContext = {
      node: (command, timeoutMs) => attacker.sh('node1', command, timeoutMs),
      // The script goes in on standard input: no quoting to get wrong.
      privileged: (command, timeoutMs) =>
        attacker.sh('node1', `docker run --rm -i --privileged ${PROBE_IMAGE} sh -s`, timeoutMs, command),
      peer: (command, timeoutMs) => attacker.sh('node2', command, timeoutMs),
      victim: (command, timeoutMs) => victim.sh('node1', command, timeoutMs),
      victimAddresses: v.nodes.map((n) => n.address),
      gateway,
      hostListeners: hosts.listeners,
      labPort: Number(new URL(lab.url).port),
      outside: {
        metadata: OutsideHost.METADATA,
        internet: OutsideHost.INTERNET,
        reachableFromHost: (address) => outside.reachableFromHost(address),
      },
      victimEcho: (samples) => echoLatency(victim.client, victim.session, samples),
      flood: async () => {
        await attacker.sh(
          'node1',
          "for i in 1 2; do nohup sh -c 'while :; do :; done' >/dev/null 2>&1 & done; echo SPIN",
        );
        const term = new TerminalClient(
          attacker.client.websocket(`/api/sessions/${attacker.session}/nodes/node1/terminal?tab=flood`),
        );
        await term.opened();
        term.type('yes\r');
        await term.waitForOutput(/y\r?\ny\r?\n/, 10_000);
        return async () => {
          term.type('\x03');
          await term.close();
          await attacker.sh('node1', "pkill -f 'while :; do :; done'; pkill -x yes; echo STOPPED");
        };
      },
      othersCarryOn: async () => {
        const health = await fetch(`${lab.url}api/health`)
          .then((r) => r.status)
          .catch(() => 0);
        if (health !== 200) return `the lab's health answered ${health}`;
        const r = await victim.sh('node1', 'docker ps -q | wc -l');
        if (r.exitCode !== 0) return `the other session's node stopped answering: ${r.stderr}`;
        return undefined;
      },
      pidsLimitHit: async (node) => {
        const id = node === 'node2' ? await node2Container() : '';
        try {
          const events = readFileSync(`/sys/fs/cgroup/pids${NODE_CGROUP_PARENT}/${id}/pids.events`, 'utf8');
          return Number(/max (\d+)/.exec(events)?.[1] ?? 0) > 0;
        } catch {
          return false;
        }
      },
      killAttackerNode: async (node) => {
        await attacker.client.request('POST', `/api/sessions/${attacker.session}/nodes/${node}/kill`);
      },
      disk: {
        dockerBytes: config.limits.nodeDiskBytes,
        filesBytes: config.limits.nodeFilesBytes,
        graceMs: config.times.diskGraceMs,
        watchMs: config.times.diskWatchIntervalMs,
      },
      attackerNodeState: async (node) => {
        const r = await attacker.client.request('GET', `/api/sessions/${attacker.session}`);
        return (r.json?.nodes ?? []).find((n: { name: string }) => n.name === node)?.state ?? 'missing';
      },
      attackerEvents: async () =>
        (await attacker.client.request('GET', `/api/sessions/${attacker.session}/events`)).json ?? [],
      hostFreeBytes: () => {
        const s = statfsSync(config.stateDir);
        return s.bavail * s.bsize;
      },
      restartAttackerNode: async (node) => {
        const r = await attacker.client.request(
          'POST',
          `/api/sessions/${attacker.session}/nodes/${node}/restart`,
        );
        if (r.status !== 200) throw new Error(`restarting ${node} answered ${r.status}: ${r.text}`);
      },
    };

    for (const promise of Object.keys(PROMISES) as PromiseId[]) {
      if (only.length > 0 && !only.includes(promise)) continue;
      if (!promised.has(promise)) {
        rows.push({
          promise,
          result: 'not promised',
          detail: `not promised by the ${security.name} profile`,
          seconds: 0,
        });
        log(`- ${promise}: not promised by the ${security.name} profile`);
        continue;
      }
      // The cleanup probe runs labs of its own on this engine, whose reconcile removes sandboxes they
      // do not know: it runs once this lab and its sessions are gone.
      if (promise === 'cleanup') {
        cleanupWanted = true;
        continue;
      }
      await runProbe(promise, () => PROBES[promise](ctx));
    }
  } finally {
    for (const s of servers) s.close();
    await outside.dispose();
    for (const learner of [attacker, victim]) {
      if (learner.session)
        await learner.client.request('DELETE', `/api/sessions/${learner.session}`).catch(() => undefined);
    }
    await lab.stop();
  }
  if (cleanupWanted) await runProbe('cleanup', () => cleanupProbe(docker));
  const passed = rows.filter((r) => r.result === 'passed').length;
  const failed = rows.filter((r) => r.result === 'failed').length;
  mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
  writeFileSync(
    join(repoRoot, 'test-results', 'isolation.md'),
    [
      `Profile \`${security.name}\`, ${new Date().toISOString().slice(0, 10)}: ${passed} passed, ${failed} failed.`,
      '',
      '| promise | test | result on this host |',
      '| --- | --- | --- |',
      ...rows.map(
        (r) =>
          `| ${PROMISES[r.promise]} | \`${r.promise}\` | ${r.result}: ${r.detail.replaceAll('|', '\\|')} |`,
      ),
      '',
    ].join('\n'),
  );
  const listed = rows.filter((r) => r.result === 'not promised').map((r) => r.promise);
  if (listed.length) log(`not promised (not counted): ${listed.join(', ')}`);
  log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(
      `the isolation suite could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    process.exit(2);
  },
);
