/**
 * `npm run lighthouse`: Lighthouse's performance, accessibility, best-practices and SEO scores of the
 * home page and a lesson page, desktop and mobile, served by the real lab server, in Debian's
 * Chromium. The last line printed is one JSON object; the exit code is 1 when a lesson page scores
 * under 95 in performance, accessibility or best practices (the site's target).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse, { desktopConfig, type Flags } from 'lighthouse';
import { loadConfig } from '../src/config.ts';
import { startLab } from '../src/lab.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../testing/chromium.ts';

const log = (line: string) => process.stderr.write(`lighthouse: ${line}\n`);
const PAGES = { home: '/', lesson: '/images/dockerfile-basics/' } as const;
const TARGET = 95;
const GATED = ['performance', 'accessibility', 'best-practices'] as const;

async function main(): Promise<number> {
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' });
  const db = join(mkdtempSync(join(tmpdir(), 'dockside-lighthouse-')), 'lab.sqlite');
  const lab = await startLab({ ...config, databaseUrl: `sqlite:${db}` }, { say: log, buildSite: true });
  const chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM_PATH,
    chromeFlags: ['--headless=new', ...CHROMIUM_ARGS],
  });
  const scores: Record<string, Record<string, number>> = {};
  const problems: string[] = [];
  try {
    for (const [name, path] of Object.entries(PAGES)) {
      for (const form of ['desktop', 'mobile'] as const) {
        const flags: Flags = {
          port: chrome.port,
          output: 'json',
          logLevel: 'error',
          onlyCategories: ['performance', 'accessibility', 'best-practices', 'seo'],
        };
        const result = await lighthouse(
          `${lab.url}${path}`,
          flags,
          form === 'desktop' ? desktopConfig : undefined,
        );
        if (!result) throw new Error(`Lighthouse returned nothing for ${path}`);
        const key = `${name}-${form}`;
        scores[key] = Object.fromEntries(
          Object.entries(result.lhr.categories).map(([id, c]) => [id, Math.round((c.score ?? 0) * 100)]),
        );
        log(`${key}: ${JSON.stringify(scores[key])}`);
        for (const [id, audit] of Object.entries(result.lhr.audits)) {
          if (audit.score !== null && audit.score < 0.9 && audit.scoreDisplayMode === 'binary') {
            log(`  ${key} fails ${id}: ${audit.title}`);
          }
        }
        if (name === 'lesson') {
          for (const id of GATED) {
            const score = scores[key]?.[id] ?? 0;
            if (score < TARGET) problems.push(`${key} ${id} ${score} < ${TARGET}`);
          }
        }
      }
    }
  } finally {
    chrome.kill();
    await lab.stop();
  }
  for (const p of problems) log(`under target: ${p}`);
  console.log(JSON.stringify({ lighthouse: '12.8.2', target: TARGET, scores }));
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(2);
  },
);
