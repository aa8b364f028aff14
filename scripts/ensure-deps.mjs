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
const lockHash = () => createHash('sha256').update(readFileSync(lock)).digest('hex');
const want = lockHash();

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) process.exit(0);

console.log('dockside: installing npm dependencies…');
// npm install, not npm ci: lock files written here omit other platforms' optional packages, which npm ci
// then reports as out of sync.
const result = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) {
  console.error(
    'dockside: npm install failed. Check that the npm registry is reachable (npm ping) and run `npm start` again.',
  );
  process.exit(1);
}
// npm install may rewrite the lock file; stamp what is there now.
writeFileSync(stamp, lockHash());
