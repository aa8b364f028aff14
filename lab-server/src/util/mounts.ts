import { readFileSync } from 'node:fs';

/** Decodes the octal escapes (`\040` for a space) of /proc/self/mountinfo paths. */
const unescapeMount = (path: string) =>
  path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));

/** Mount points on this host, from /proc/self/mountinfo. */
export function mountPoints(): Set<string> {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  return new Set(
    lines
      .map((l) => l.split(' ')[4])
      .filter((p): p is string => Boolean(p))
      .map(unescapeMount),
  );
}
