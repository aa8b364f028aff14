/**
 * `npm run test:fuzz`: generated bad and edge-case input against a running lab, from fast-check, with a
 * printed seed (`-- --seed N` replays a run). Every HTTP route and WebSocket of the protocol gets a
 * fixed number of requests: odd methods, paths, parameters, queries, headers (cookies, languages,
 * origins, content types) and bodies (JSON of every shape, not JSON, too large); terminals get random
 * frames. Every answer must hold:
 *
 * - no 500, no stack trace, no hang (10 s per answer), the lab still up at the end;
 * - an error is a catalog error (its permanent name), in JSON for the API and as a page for previews;
 * - random frames on one terminal tab never end another tab's shell.
 *
 * The lab may create at most MAX_SANDBOXES sandboxes (its own session limit): what a generated request
 * may start is bounded. Ends with `N passed, M failed` and the input counts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config.ts';
import { ERROR_NAMES } from '../../src/errors/all-errors.ts';
import { type Lab, startLab } from '../../src/lab.ts';
import { ROUTES, type RouteName, route } from '../../src/protocol/routes.ts';
import { encodeFrame, FrameCode } from '../../src/protocol/terminal-frames.ts';
import { LabClient } from '../../testing/lab-client.ts';
import { TerminalClient } from '../../testing/terminal-client.ts';

const log = (line: string) => process.stdout.write(`${line}\n`);
const seedArg = process.argv.indexOf('--seed');
const SEED = seedArg > 0 ? Number(process.argv[seedArg + 1]) : Math.floor(Math.random() * 2 ** 31);
/** Requests per HTTP route, and frames per terminal. */
const RUNS = Number(process.env.DOCKSIDE_FUZZ_RUNS || 120);
const MAX_SANDBOXES = 3;
const ANSWER_TIMEOUT_MS = 10_000;
/** The latest answer that did not hold, said with the failure (fast-check's report names only the input). */
let lastProblem = '';
const fail = (what: string): never => {
  lastProblem = what;
  throw new Error(what);
};
const STACK = /\n\s+at .+\(.*:\d+:\d+\)|\bat (async )?[\w.<>]+ \(\/|node:internal\//;

interface Answer {
  status: number;
  type: string;
  body: string;
  headers: Headers;
}

/**
 * What is wrong with an answer, or undefined when it holds. `kind` is what the path reached once the
 * client normalised it (`/preview/../x` is sent as `/x`, a page of the site).
 */
function problem(answer: Answer, kind: 'api' | 'preview' | 'site'): string | undefined {
  // 502 to 504 are a gateway's answers (a preview's server not there): catalog errors all the same.
  if (answer.status === 500 || answer.status > 504) return `status ${answer.status}`;
  if (STACK.test(answer.body)) return `a stack trace in the body: ${answer.body.slice(0, 300)}`;
  // The site's pages, its "page not found" included, are not the API's to word.
  if (answer.status < 400 || kind === 'site') return undefined;
  if (kind === 'preview') {
    const name = answer.headers.get('x-dockside-preview-error') ?? '';
    return ERROR_NAMES.has(name)
      ? undefined
      : `a preview refusal without a catalog name: ${answer.body.slice(0, 200)}`;
  }
  if (!answer.type.includes('application/json'))
    return `a ${answer.status} that is not JSON: ${answer.body.slice(0, 200)}`;
  let parsed: { error?: unknown; message?: unknown; hint?: unknown };
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    return `a ${answer.status} whose JSON does not parse: ${answer.body.slice(0, 200)}`;
  }
  if (typeof parsed.error !== 'string' || !ERROR_NAMES.has(parsed.error))
    return `an error outside the catalog: ${answer.body.slice(0, 200)}`;
  if (typeof parsed.message !== 'string' || !parsed.message) return `error ${parsed.error} without a message`;
  return undefined;
}

/** Where a URL's path leads once normalised as a client sends it. */
function reached(url: string): 'api' | 'preview' | 'site' {
  const path = new URL(url).pathname;
  return path.startsWith('/api/') || path === '/metrics'
    ? 'api'
    : path.startsWith('/preview/')
      ? 'preview'
      : 'site';
}

async function send(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<Answer> {
  const res = await fetch(url, {
    method: init.method,
    headers: init.headers,
    body: init.method === 'GET' || init.method === 'HEAD' ? undefined : init.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
  });
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: await res.text(),
    headers: res.headers,
  };
}

// Generators: what a careless or hostile client sends.
const weirdString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    '..',
    '../..',
    '%2e%2e%2f',
    '%00',
    'node1',
    'node0',
    'NODE1',
    'x'.repeat(300),
    '😀',
    ' ',
    '\u202e',
  ),
);
const segment = weirdString.map((s) => encodeURIComponent(s) || '%20');
const jsonValue = fc.jsonValue({ maxDepth: 4 });
const body = fc.oneof(
  { depthSize: 'small' },
  jsonValue.map((v) => JSON.stringify(v)),
  fc
    .record({
      template: fc.oneof(fc.constantFrom('single', 'trio', 'nope', ''), weirdString),
      wait: fc.oneof(fc.boolean(), jsonValue),
      command: fc.oneof(fc.constantFrom('true', 'echo fuzz', ''), weirdString),
      argv: fc.oneof(fc.array(weirdString, { maxLength: 4 }), jsonValue),
      timeoutMs: fc.oneof(fc.integer(), fc.double(), jsonValue),
      lesson: weirdString,
      exercise: weirdString,
      stdin: fc.oneof(weirdString, jsonValue),
    })
    .map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('{', '{"a":', 'null', '[]', '"x"', '1e999', '{"__proto__":{"x":1}}', ''),
  // Past the body limit: rarely, it is a megabyte each time.
  fc.constant('x'.repeat(1_200_000)),
);
const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '',
    ),
    'accept-language': fc.oneof(
      fc.constantFrom('fr', 'fr-FR,en;q=0.5', '*', 'xx;q=abc', ''),
      fc.string({ maxLength: 30 }),
    ),
    cookie: fc.oneof(
      fc.constantFrom('dockside_learner=', 'dockside_learner=%zz', 'a=b; dockside_learner=x'),
      fc.string({ maxLength: 60 }),
    ),
    origin: fc.constantFrom('https://evil.example', 'null', 'http://localhost:4000'),
    accept: fc.constantFrom('text/html', 'application/json', '*/*'),
  },
  { requiredKeys: [] },
);
const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');

/** A printable header value (fetch refuses the rest before sending, which tests nothing of ours). */
const printable = (h: Record<string, string>) =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v.replace(/[^\x20-\x7e]/g, '?')]));

async function main(): Promise<number> {
  log(`fuzz seed ${SEED} (npm run test:fuzz -- --seed ${SEED} replays it); ${RUNS} inputs per route`);
  const started = Date.now();
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' });
  const lab: Lab = await startLab(
    {
      ...config,
      databaseUrl: `sqlite:${join(mkdtempSync(join(tmpdir(), 'dockside-fuzz-')), 'lab.sqlite')}`,
      // The cap on what generated requests may start: the lab refuses the fourth sandbox itself.
      limits: { ...config.limits, maxSessions: MAX_SANDBOXES, createsPerAddressPerMinute: 100_000 },
    },
    { say: () => undefined, buildSite: false },
  );
  let passed = 0;
  let failed = 0;
  const counts: Record<string, number> = {};
  const owners = new Set<string>();
  const check = async (what: string, work: () => Promise<string>) => {
    try {
      log(`✓ ${what}: ${await work()}`);
      passed++;
    } catch (err) {
      log(
        `✗ ${what}: ${lastProblem || (err as Error).message}\n${(err as Error).message.split('\n').slice(0, 3).join('\n')}`,
      );
      lastProblem = '';
      failed++;
    }
  };
  try {
    // A real learner with a real sandbox and a shell in tab "main", which nothing below may end.
    const learner = new LabClient(lab.url);
    const created = await learner.request('POST', '/api/sessions', { template: 'single', wait: true });
    if (created.status !== 201) throw new Error(`the learner's sandbox did not start: ${created.text}`);
    const id = created.json.id as string;
    const token = created.json.previewToken as string;
    // Routes that remove or stop things get a sandbox of their own, the same learner's.
    const sacrificed = await learner.request('POST', '/api/sessions', { template: 'single', wait: true });
    if (sacrificed.status !== 201) throw new Error(`the second sandbox did not start: ${sacrificed.text}`);
    const victim = sacrificed.json.id as string;
    owners.add(decodeURIComponent(learner.cookie.split('=')[1] ?? ''));
    const main = new TerminalClient(
      learner.websocket(`${route('terminal', { id, node: 'node1' })}?tab=main`),
    );
    await main.opened();
    main.type('echo "main-$((20+1))"\r');
    await main.waitForOutput(/main-21/);

    const params = (name: string, real: string) =>
      fc
        .oneof({ weight: 2, arbitrary: fc.constant(real) }, { weight: 3, arbitrary: segment })
        .map((v) => [name, v] as const);
    const DESTRUCTIVE: RouteName[] = ['session', 'node', 'restartNode', 'killNode', 'nodes'];
    for (const name of Object.keys(ROUTES) as RouteName[]) {
      const pattern = ROUTES[name];
      const realId = DESTRUCTIVE.includes(name) ? victim : id;
      await check(`HTTP ${pattern}`, async () => {
        let n = 0;
        await fc.assert(
          fc.asyncProperty(
            method,
            params('id', realId),
            params('node', 'node1'),
            headers,
            body,
            fc.oneof(
              fc.constant(''),
              fc
                .string({ maxLength: 30 })
                .map((q) => `?${encodeURIComponent(q)}=${encodeURIComponent(q)}&after=${q}`),
            ),
            fc.boolean(),
            async (m, idParam, nodeParam, h, b, query, asLearner) => {
              n++;
              const path = pattern.replace(':id', idParam[1]).replace(':node', nodeParam[1]);
              const url = `${lab.url.replace(/\/$/, '')}${path}${query}`;
              const answer = await send(url, {
                method: m,
                headers: printable({ ...h, ...(asLearner ? { cookie: learner.cookie } : {}) }),
                body: b,
              });
              // A HEAD answer has no body to read.
              const wrong =
                m === 'HEAD'
                  ? answer.status >= 500 && answer.status !== 503
                    ? `status ${answer.status}`
                    : undefined
                  : problem(answer, 'api');
              if (wrong) fail(`${m} ${path}${query} → ${wrong}`);
            },
          ),
          { numRuns: RUNS, seed: SEED, endOnFailure: true },
        );
        counts[pattern] = n;
        return `${n} requests, every answer a success or a catalog error`;
      });
    }

    await check('previews', async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.constant(token), segment),
          fc.oneof(fc.constant('node1'), segment),
          fc.oneof(fc.integer({ min: -5, max: 70_000 }).map(String), segment),
          fc.string({ maxLength: 30 }).map(encodeURIComponent),
          headers,
          async (t, node, port, rest, h) => {
            n++;
            const url = `${lab.url.replace(/\/$/, '')}/preview/${t}/${node}/${port}/${rest}`;
            const answer = await send(url, { method: 'GET', headers: printable(h) });
            const kind = reached(url);
            const wrong = answer.status === 307 ? undefined : problem(answer, kind === 'api' ? 'api' : kind);
            if (wrong) fail(`/preview/${t}/${node}/${port}/${rest} → ${wrong}`);
          },
        ),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      counts.previews = n;
      return `${n} requests`;
    });

    await check('WebSocket upgrades', async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('terminal', 'events', 'other'),
          params('id', id),
          params('node', 'node1'),
          fc.oneof(fc.constant('main2'), weirdString.map(encodeURIComponent)),
          headers,
          fc.boolean(),
          async (kind, idParam, nodeParam, tab, h, asLearner) => {
            n++;
            const path =
              kind === 'terminal'
                ? `${route('terminal', { id: 'ID', node: 'NODE' }).replace('ID', idParam[1]).replace('NODE', nodeParam[1])}?tab=${tab}`
                : kind === 'events'
                  ? route('events', { id: 'ID' }).replace('ID', idParam[1])
                  : `/api/${idParam[1]}`;
            const refusal = await new Promise<string | undefined>((resolve) => {
              const ws = new WebSocket(`${lab.url.replace(/^http/, 'ws').replace(/\/$/, '')}${path}`, {
                headers: printable({ ...h, ...(asLearner ? { cookie: learner.cookie } : {}) }),
                handshakeTimeout: ANSWER_TIMEOUT_MS,
              });
              ws.on('open', () => {
                ws.close();
                resolve(undefined);
              });
              ws.on('unexpected-response', (_req, res) => {
                let text = '';
                res.on('data', (c) => {
                  text += c;
                });
                res.on('end', () =>
                  resolve(
                    problem(
                      {
                        status: res.statusCode ?? 0,
                        type: String(res.headers['content-type'] ?? ''),
                        body: text,
                        headers: new Headers(),
                      },
                      'api',
                    ),
                  ),
                );
              });
              ws.on('error', (err) => resolve(`no answer: ${err.message}`));
            });
            if (refusal) fail(`${path} → ${refusal}`);
          },
        ),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      counts.upgrades = n;
      return `${n} upgrades, each accepted or refused with a catalog error`;
    });

    await check('random frames on one terminal tab', async () => {
      const other = new TerminalClient(
        learner.websocket(`${route('terminal', { id, node: 'node1' })}?tab=fuzz`),
      );
      await other.opened();
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.uint8Array({ maxLength: 64 }),
            fc
              .tuple(fc.constantFrom(FrameCode.Resize, FrameCode.Ack), fc.string({ maxLength: 40 }))
              .map(([c, p]) => encodeFrame(c, p)),
            fc
              .tuple(fc.integer({ min: -10, max: 100_000 }), fc.integer({ min: -10, max: 100_000 }))
              .map(([cols, rows]) => encodeFrame(FrameCode.Resize, JSON.stringify({ cols, rows }))),
            fc.constantFrom(encodeFrame(FrameCode.Input, 'exit\r'), encodeFrame(FrameCode.Input, '\x03\x04')),
          ),
          async (frame) => {
            n++;
            if (other.ws.readyState === other.ws.OPEN) other.ws.send(frame);
          },
        ),
        { numRuns: RUNS * 4, seed: SEED },
      );
      counts.frames = n;
      await new Promise((r) => setTimeout(r, 500));
      main.type('echo "main-$((40+2))"\r');
      await main.waitForOutput(/main-42/);
      return `${n} frames on tab "fuzz"; the shell of tab "main" still answers`;
    });

    await check('the lab is still up', async () => {
      const health = await send(`${lab.url.replace(/\/$/, '')}/api/health`, { method: 'GET', headers: {} });
      if (health.status !== 200) throw new Error(`/api/health answers ${health.status}`);
      const sessions = lab.runtime.sessions.activeCount;
      if (sessions > MAX_SANDBOXES) throw new Error(`${sessions} sandboxes, at most ${MAX_SANDBOXES}`);
      return `healthy, ${sessions} sandboxes (at most ${MAX_SANDBOXES})`;
    });
    await main.close();
  } finally {
    // Whatever the generated requests started goes with the lab's sessions.
    for (const token of owners)
      for (const record of lab.runtime.sessions.ownedBy(token)) await lab.runtime.sessions.delete(record.id);
    await lab.stop();
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  log(
    `inputs: ${total} (${Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}); seed ${SEED}`,
  );
  log(`${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`✗ ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
