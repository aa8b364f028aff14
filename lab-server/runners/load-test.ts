/**
 * `npm run test:load`: a workshop room on this machine. 30 learners create a sandbox at the same moment,
 * then all 30 flood their terminals with `yes` while one more learner starts a sandbox and types; then
 * the lab's own engine is killed under all of them, and every node must come back with its files.
 * Reports creation times (median, p95, worst), that learner's keystroke echo under the load, and the
 * failures, which must be zero; the figures are the last line, as JSON. Ends with `N passed, M failed`
 * over its checks (times are reported, not judged: they belong to the bench).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { startLab } from '../src/lab.ts';
import { LABEL_SESSION } from '../src/protocol/labels.ts';
import { waitFor } from '../src/util/wait-for.ts';
import { LabClient } from '../testing/lab-client.ts';
import { TerminalClient } from '../testing/terminal-client.ts';

const LEARNERS = Number(process.env.DOCKSIDE_LOAD_LEARNERS ?? 30);
const log = (line: string) => process.stdout.write(`${line}\n`);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
};
const ms = (n: number) => Math.round(n);

async function main(): Promise<number> {
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' });
  const lab = await startLab(
    {
      ...config,
      databaseUrl: `sqlite:${join(mkdtempSync(join(tmpdir(), 'dockside-load-')), 'lab.sqlite')}`,
      limits: { ...config.limits, maxSessions: LEARNERS + 10, createsPerAddressPerMinute: 1000 },
    },
    { say: (l) => log(`  lab: ${l}`), buildSite: false },
  );
  const checks: [string, boolean, string][] = [];
  const learners = Array.from({ length: LEARNERS }, () => new LabClient(lab.url));
  const sessions: { client: LabClient; id: string }[] = [];
  const terminals: TerminalClient[] = [];
  const figures: Record<string, unknown> = { learners: LEARNERS };
  try {
    // 1. Everyone presses Start at once.
    const t0 = performance.now();
    const created = await Promise.all(
      learners.map(async (client) => {
        const start = performance.now();
        const r = await client.request('POST', '/api/sessions', { template: 'single' });
        const took = performance.now() - start;
        if (r.status === 201) sessions.push({ client, id: r.json.id });
        return {
          ok: r.status === 201,
          took,
          error: r.status === 201 ? '' : `${r.status} ${r.json?.error ?? r.text}`,
        };
      }),
    );
    const times = created.filter((c) => c.ok).map((c) => c.took);
    const failures = created.filter((c) => !c.ok);
    figures.creationMs = {
      p50: ms(percentile(times, 0.5)),
      p95: ms(percentile(times, 0.95)),
      max: ms(Math.max(...times)),
    };
    figures.allCreatedMs = ms(performance.now() - t0);
    figures.creationFailures = failures.length;
    log(
      `${LEARNERS} sandboxes at once: ${JSON.stringify(figures.creationMs)} ms, all in ${figures.allCreatedMs} ms`,
    );
    checks.push([
      `${LEARNERS} sandboxes created at the same moment`,
      failures.length === 0,
      failures.length ? failures.map((f) => f.error).join('; ') : `${times.length} created`,
    ]);

    // 2. Everyone floods a terminal.
    for (const s of sessions) {
      const term = new TerminalClient(
        s.client.websocket(`/api/sessions/${s.id}/nodes/node1/terminal?tab=load`),
      );
      terminals.push(term);
    }
    await Promise.all(terminals.map((t) => t.opened()));
    for (const t of terminals) t.type('yes\r');
    const flowing = await Promise.all(
      terminals.map((t) =>
        t
          .waitForOutput(/(y\r?\n){50}/, 30_000)
          .then(() => true)
          .catch(() => false),
      ),
    );
    checks.push([
      `${terminals.length} terminals flood their output`,
      flowing.every(Boolean),
      `${flowing.filter(Boolean).length} of ${terminals.length} flowing`,
    ]);

    // 3. One more learner arrives, starts a sandbox and types while the room floods.
    const late = new LabClient(lab.url);
    const c0 = performance.now();
    const r = await late.request('POST', '/api/sessions', { template: 'single' });
    figures.creationUnderFloodMs = ms(performance.now() - c0);
    if (r.status === 201) sessions.push({ client: late, id: r.json.id });
    const before = terminals.reduce((n, t) => n + t.output.length, 0);
    const f0 = performance.now();
    let echoed = 0;
    const echo: number[] = [];
    if (r.status === 201) {
      const term = new TerminalClient(
        late.websocket(`/api/sessions/${r.json.id}/nodes/node1/terminal?tab=typing`),
      );
      await term.opened();
      term.type('stty -echoctl; PS1="$ "\r');
      await term.waitForOutput(/\$ $/, 20_000);
      for (let i = 0; i < 200; i++) {
        const next = term.nextOutput();
        const k0 = performance.now();
        term.type('x');
        const got = await next.then(
          () => true,
          () => false,
        );
        if (got) {
          echoed++;
          echo.push(performance.now() - k0);
        }
        await new Promise((res) => setTimeout(res, 20));
      }
      await term.close();
    }
    const floodBytes = terminals.reduce((n, t) => n + t.output.length, 0) - before;
    figures.floodMBps = Math.round((floodBytes / 1e6 / ((performance.now() - f0) / 1000)) * 10) / 10;
    figures.echoUnderLoadMs = {
      p50: Math.round(percentile(echo, 0.5) * 10) / 10,
      p99: Math.round(percentile(echo, 0.99) * 10) / 10,
      max: Math.round(Math.max(...echo) * 10) / 10,
    };
    log(
      `a learner typing during the flood: echo ${JSON.stringify(figures.echoUnderLoadMs)} ms; created in ${figures.creationUnderFloodMs} ms; floods together ${figures.floodMBps} MB/s`,
    );
    checks.push([
      'a learner who arrives during the flood gets a sandbox and every keystroke echoed',
      r.status === 201 && echoed === 200,
      r.status === 201 ? `${echoed} of 200 keystrokes echoed` : `creation answered ${r.status}`,
    ]);

    for (const t of terminals) t.type('\x03');
    await Promise.all(terminals.map((t) => t.close()));

    // 4. The lab's own engine dies (SIGKILL) under every sandbox: the lab starts it again, and every
    // learner's node comes back with what they wrote.
    if (lab.engine.restart) {
      const marked = await Promise.all(
        sessions.map((s) =>
          s.client.request('POST', `/api/sessions/${s.id}/nodes/node1/exec`, {
            command: `echo ${s.id} > /root/mark`,
          }),
        ),
      );
      const pid = Number(readFileSync(join(config.stateDir, 'engine', 'dockerd.pid'), 'utf8').trim());
      const k0 = performance.now();
      process.kill(pid, 'SIGKILL');
      const restarted = await Promise.all(
        sessions.map((s) =>
          waitFor(
            async () =>
              ((await s.client.request('GET', `/api/sessions/${s.id}/events`)).json ?? []).some(
                (e: { type: string }) => e.type === 'engine-restarted',
              ),
            { timeoutMs: 180_000, what: 'the engine-restarted event', intervalMs: 250 },
          )
            .then(() => performance.now() - k0)
            .catch(() => Number.NaN),
        ),
      );
      await waitFor(() => fetch(`${lab.url}api/health`).then((res) => res.status === 200), {
        timeoutMs: 60_000,
        what: 'the lab to be ready again',
      }).catch(() => undefined);
      figures.engineKilledRecoveryMs = ms(Math.max(...restarted, performance.now() - k0));
      const kept = await Promise.all(
        sessions.map(async (s) => {
          const r = await s.client.request('POST', `/api/sessions/${s.id}/nodes/node1/exec`, {
            command: 'cat /root/mark',
          });
          return r.status === 200 && r.json.stdout === `${s.id}\n`;
        }),
      );
      log(
        `the lab engine killed under ${sessions.length} sandboxes: all back in ${figures.engineKilledRecoveryMs} ms`,
      );
      checks.push([
        `the lab's engine killed under ${sessions.length} sandboxes: started again, every node back with its files`,
        marked.every((m) => m.status === 200) && kept.every(Boolean),
        `${kept.filter(Boolean).length} of ${sessions.length} nodes back with their files in ${figures.engineKilledRecoveryMs} ms`,
      ]);
    } else {
      log('- the engine-kill fault was not run: this lab did not start its engine (it cannot restart it)');
    }

    // 5. The lab is still healthy, then everything goes away.
    const health = await fetch(`${lab.url}api/health`).then((res) => res.status);
    checks.push(['the lab stays healthy', health === 200, `health ${health}`]);
    await Promise.all(sessions.map((s) => s.client.request('DELETE', `/api/sessions/${s.id}`)));
    const left = await lab.engine.docker.listContainers({ all: true, filters: { label: [LABEL_SESSION] } });
    checks.push(['closing every sandbox leaves no container', left.length === 0, `${left.length} left`]);
    sessions.length = 0;
  } finally {
    await Promise.all(
      sessions.map((s) => s.client.request('DELETE', `/api/sessions/${s.id}`).catch(() => undefined)),
    );
    await lab.stop();
  }
  for (const [what, passed, detail] of checks) log(`${passed ? '✓' : '✗'} ${what}: ${detail}`);
  console.log(JSON.stringify(figures));
  const failed = checks.filter((c) => !c[1]).length;
  log(`${checks.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`the load test could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
