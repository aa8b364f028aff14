import { formatSize } from '../util/sizes.ts';
import type { DiskStopped, DiskWarning } from './disk-watchdog.ts';

// What the disk watchdog's events say in their `message` (docs/api.md); the lesson page words them
// itself, in its language, from the events' data.

export function diskStopMessage(node: string, found: DiskStopped): string {
  const used = formatSize(found.usedBytes);
  const cap = formatSize(found.capBytes);
  if (found.reason === 'ceiling') {
    return `${node} was stopped again: it kept writing during its grace window, up to ${used} of its own files (the cap is ${cap}). Restart it and delete files before you write more.`;
  }
  const still = found.reason === 'grace-ended' ? ' when its grace window ended' : '';
  return `${node} was stopped: its own files (outside /var/lib/docker) take ${used}${still}, more than the ${cap} a node may use. Restart it and delete what you do not need.`;
}

export function diskWarningMessage(node: string, warning: DiskWarning): string {
  const seconds = Math.max(0, Math.round((warning.graceEndsAt - Date.now()) / 1000));
  const where = warning.largest.length
    ? ` The biggest: ${warning.largest.map((f) => `${f.path} (${formatSize(f.bytes)})`).join(', ')}.`
    : '';
  return `${node}'s own files take ${formatSize(warning.usedBytes)}, over the ${formatSize(warning.capBytes)} cap: delete at least ${formatSize(warning.freeBytes)} within ${seconds} s or it is stopped again.${where}`;
}

export function diskOkMessage(node: string, found: { usedBytes: number; capBytes: number }): string {
  return `${node}'s own files take ${formatSize(found.usedBytes)} again, under its ${formatSize(found.capBytes)} cap: it keeps running.`;
}
