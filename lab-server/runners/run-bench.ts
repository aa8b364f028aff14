/**
 * `npm run bench`: the lab's speed and memory figures, measured on this machine against the real
 * engine through the real HTTP and WebSocket API. The last line printed is one JSON object.
 * `--quick` gives the same keys from fewer runs (under two minutes).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { startLab } from '../src/lab.ts';
import { LabClient } from '../testing/lab-client.ts';
import { TerminalClient } from '../testing/terminal-client.ts';

const quick = process.argv.includes('--quick');
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN);
};
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

async function main() {
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' });
  const db = join(mkdtempSync(join(tmpdir(), 'dockside-bench-')), 'lab.sqlite');
  const lab = await startLab(
    {
      ...config,
      databaseUrl: `sqlite:${db}`,
      limits: {
        ...config.limits,
        maxSessions: 1000,
        maxLabNodes: 100_000,
        maxSessionsPerOwner: 1000,
        createsPerAddressPerMinute: 100_000,
      },
    },
    { say: log, buildSite: false },
  );
  const client = new LabClient(lab.url);
  const created: string[] = [];
  const create = async (template: string) => {
    const t0 = performance.now();
    const r = await client.request('POST', '/api/sessions', { template });
    if (r.status !== 201) throw new Error(`creating ${template} failed: ${r.text}`);
    created.push(r.json.id);
    return { ms: performance.now() - t0, id: r.json.id as string };
  };
  const remove = async (id: string) => {
    await client.request('DELETE', `/api/sessions/${id}`);
    created.splice(created.indexOf(id), 1);
  };

  try {
    const runs = quick ? 3 : 10;
    const trio: number[] = [];
    const trioPhases: Record<string, number[]> = {};
    for (let i = 0; i < runs; i++) {
      const s = await create('trio');
      trio.push(s.ms);
      const events = (await client.request('GET', `/api/sessions/${s.id}/events`)).json as {
        type: string;
        data: { phases?: Record<string, number> };
      }[];
      const phases = events.find((e) => e.type === 'session-ready')?.data.phases ?? {};
      for (const [phase, ms] of Object.entries(phases)) {
        trioPhases[phase] = [...(trioPhases[phase] ?? []), ms];
      }
      await remove(s.id);
    }
    log(`trio ready: ${trio.map(Math.round).join(', ')} ms`);
    const trioPhasesMs = Object.fromEntries(
      Object.entries(trioPhases).map(([phase, values]) => [phase, percentile(values, 50)]),
    );
    log(`trio phases (p50, ms): ${JSON.stringify(trioPhasesMs)}`);
    const swarm: number[] = [];
    for (let i = 0; i < runs; i++) {
      const s = await create('swarm-3');
      swarm.push(s.ms);
      await remove(s.id);
    }
    log(`swarm-3 formed: ${swarm.map(Math.round).join(', ')} ms`);

    // Keystroke echo and output throughput, through the lab's WebSocket terminal.
    const s = await create('single');
    const term = new TerminalClient(client.websocket(`/api/sessions/${s.id}/nodes/node1/terminal?tab=bench`));
    await term.opened();
    term.type('stty -echoctl; PS1="$ "\r');
    await term.waitForOutput(/\$ $/);
    const echo: number[] = [];
    const samples = quick ? 100 : 500;
    for (let i = 0; i < samples; i++) {
      // Timed to the frame's arrival: a polling loop would keep a core busy on this 2-core machine,
      // the very core the shell, runc and the engine need to echo.
      const arrived = term.nextOutput();
      const t0 = performance.now();
      term.type('x');
      await arrived;
      echo.push(performance.now() - t0);
    }
    term.type('\x15'); // Ctrl-U: clear the typed line.
    const mib = quick ? 32 : 128;
    term.output = '';
    const start = performance.now();
    // The marker is computed by the shell, so the echo of the typed line does not match it.
    term.type(
      `head -c ${mib * 1024 * 1024} /dev/zero | tr '\\0' 'a'; echo; echo THROUGHPUT-$((40+2))-DONE\r`,
    );
    await term.waitForOutput(/THROUGHPUT-42-DONE\r?\n/, 300_000);
    const seconds = (performance.now() - start) / 1000;
    const throughputMBps = (mib * 1024 * 1024) / seconds / 1e6;
    log(
      `echo p50 ${percentile(echo, 50)} ms, p99 ${percentile(echo, 99)} ms; output ${round(throughputMBps)} MB/s`,
    );
    await term.close();
    await remove(s.id);

    // Memory of idle nodes, and how many trios fit before creating one takes twice as long.
    const baseline = percentile(trio, 50);
    const limit = quick ? 6 : 60;
    let capacity = 0;
    let last = 0;
    while (capacity < limit) {
      const t = await create('trio');
      last = t.ms;
      capacity++;
      if (t.ms > 2 * baseline) break;
    }
    await new Promise((r) => setTimeout(r, 5000));
    const nodeMemory: number[] = [];
    for (const id of created.slice(0, 5)) {
      const v = (await client.request('GET', `/api/sessions/${id}`)).json;
      for (const n of v.nodes) {
        const container = lab.engine.docker.getContainer(`dockside-${id}-${n.name}`);
        const stats = (await container.stats({ stream: false })) as {
          memory_stats: { usage: number; stats?: { cache?: number } };
        };
        nodeMemory.push((stats.memory_stats.usage - (stats.memory_stats.stats?.cache ?? 0)) / 2 ** 20);
      }
    }
    const idleNodeMiB = round(nodeMemory.reduce((a, b) => a + b, 0) / nodeMemory.length, 1);
    log(
      `idle node ${idleNodeMiB} MiB; ${capacity} trios held (last took ${Math.round(last)} ms, baseline ${baseline} ms)`,
    );

    const result = {
      quick,
      trioReadyMs: { p50: percentile(trio, 50), p95: percentile(trio, 95) },
      trioPhasesMs,
      swarm3ReadyMs: { p50: percentile(swarm, 50), p95: percentile(swarm, 95) },
      echoMs: {
        p50: round(
          percentile(
            echo.map((e) => e * 100),
            50,
          ) / 100,
        ),
        p99: round(
          percentile(
            echo.map((e) => e * 100),
            99,
          ) / 100,
        ),
      },
      throughputMBps: round(throughputMBps),
      idleNodeMiB,
      trioCapacity: capacity,
      trioCapacityReachedLimit: capacity >= limit && last <= 2 * baseline,
    };
    console.log(JSON.stringify(result));
  } finally {
    for (const id of [...created]) await remove(id).catch(() => undefined);
    await lab.stop();
  }
}

main().catch((err) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
