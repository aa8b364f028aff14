import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * A digest of everything in a recipe folder (paths, executable bits, contents) plus extra inputs such as
 * the parent's digest, so an image is rebuilt exactly when something it is made of changed.
 */
export function recipeHash(dir: string, extra: string[] = []): string {
  const hash = createHash('sha256');
  for (const file of listFiles(dir)) {
    const mode = statSync(file).mode & 0o111 ? 'x' : '-';
    hash.update(`${relative(dir, file)}\0${mode}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  for (const e of extra) hash.update(`extra\0${e}\0`);
  return hash.digest('hex');
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
