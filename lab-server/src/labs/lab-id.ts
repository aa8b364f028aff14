import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A lab id: what its resources are labelled with and its sessions stored under. */
export const LAB_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * This lab's id: the one the operator set (DOCKSIDE_LAB_ID, checked by config.ts), else the one kept in
 * `<stateDir>/lab-id`, made on the first start. So a restarted lab is the same lab (it finds its
 * sessions), and two labs with their own state directories are two labs.
 */
export function labIdOf(stateDir: string, configured?: string): string {
  if (configured) return configured;
  const file = join(stateDir, 'lab-id');
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (LAB_ID.test(kept)) return kept;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = `lab-${randomBytes(4).toString('hex')}`;
  mkdirSync(stateDir, { recursive: true });
  // Written whole or not at all: a torn file would give the lab a new id on its next start.
  writeFileSync(`${file}.tmp`, `${id}\n`);
  renameSync(`${file}.tmp`, file);
  return id;
}
