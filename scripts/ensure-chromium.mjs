#!/usr/bin/env node
// The e2e tests drive Debian's Chromium; install it when missing (root only), or say how.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const path = process.env.CHROME_PATH ?? '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);
if (process.getuid?.() !== 0) {
  console.error(
    `dockside: Chromium is missing at ${path}. Install it (sudo apt-get install chromium) or set CHROME_PATH.`,
  );
  process.exit(1);
}
console.log("dockside: installing Debian's chromium for the end-to-end tests…");
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const apt = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
if (
  !apt(['install', '-y', '--no-install-recommends', 'chromium']) &&
  !(apt(['update']) && apt(['install', '-y', '--no-install-recommends', 'chromium']))
) {
  console.error(
    "dockside: could not install chromium with apt-get; check that Debian's mirror is reachable.",
  );
  process.exit(1);
}
