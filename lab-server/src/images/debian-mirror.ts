import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DebianMirrorUnknown } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';

/**
 * The Debian mirror this host already uses (from its apt sources), so images are built from the same
 * place the host installs packages from. An explicit setting wins.
 */
export function findDebianMirror(explicit: string | undefined, aptDir = '/etc/apt'): string {
  if (explicit) return explicit.replace(/\/+$/, '');
  const files = [join(aptDir, 'sources.list')];
  const dir = join(aptDir, 'sources.list.d');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.list') || f.endsWith('.sources')) files.push(join(dir, f));
    }
  }
  for (const file of files) {
    if (!existsSync(file)) continue;
    const found = mirrorsIn(readFileSync(file, 'utf8'), file.endsWith('.sources'));
    if (found) return found;
  }
  throw new LabError(DebianMirrorUnknown, { looked: files });
}

/** The first main Debian archive URI (not the security archive) in a sources file. */
export function mirrorsIn(text: string, deb822: boolean): string | undefined {
  const isArchive = (uri: string) => /^https?:\/\//.test(uri) && /\/debian\/?$/.test(uri);
  if (deb822) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const fields = Object.fromEntries(
        stanza
          .split('\n')
          .filter((l) => !l.startsWith('#') && l.includes(':'))
          .map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      if (fields.enabled === 'no' || !(fields.types ?? '').split(/\s+/).includes('deb')) continue;
      const uri = (fields.uris ?? '').split(/\s+/).find(isArchive);
      if (uri) return uri.replace(/\/+$/, '');
    }
    return undefined;
  }
  for (const line of text.split('\n')) {
    const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
    if (m?.[1] && isArchive(m[1])) return m[1].replace(/\/+$/, '');
  }
  return undefined;
}
