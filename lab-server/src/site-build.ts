import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Say } from './engine/debian-packages.ts';
import { runCommand, tail } from './util/run-command.ts';

const SOURCES = ['site/src', 'site/public', 'site/astro.config.mjs', 'site/package.json', 'lessons'];

/** Builds the Astro site when its sources changed since the last build (a digest kept in dist/). */
export async function ensureSiteBuilt(repoRoot: string, say: Say): Promise<void> {
  const digest = sourcesDigest(repoRoot);
  const stamp = join(repoRoot, 'site', 'dist', '.dockside-sources');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  say('building the lesson site (astro build)');
  const t0 = Date.now();
  const result = await runCommand('npm', ['run', 'build', '-w', 'site', '--silent'], { cwd: repoRoot });
  if (result.code !== 0) {
    throw new Error(`The site did not build: ${tail(result.stdout + result.stderr, 4)}`);
  }
  writeFileSync(stamp, digest);
  say(`built the site in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

function sourcesDigest(root: string): string {
  const hash = createHash('sha256');
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) walk(join(path, name));
    } else {
      hash.update(`${relative(root, path)}\0`).update(readFileSync(path));
    }
  };
  for (const source of SOURCES) walk(join(root, source));
  return hash.digest('hex');
}
