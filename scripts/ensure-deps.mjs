#!/usr/bin/env node
// Installs the npm dependencies when a fresh clone has none, or when package-lock.json changed since the
// last install, so that `npm start` and `npm test` work as the first command run on a new machine.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.dockside-lock-hash');
const want = createHash('sha256').update(readFileSync(lock)).digest('hex');

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) process.exit(0);

console.log('dockside: installing npm dependencies (npm ci)…');
const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) {
  console.error(
    'dockside: npm ci failed. Check that the npm registry is reachable (npm ping) and run `npm start` again.',
  );
  process.exit(1);
}
writeFileSync(stamp, want);
