import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../config.ts';
import { ERROR_DEFINITIONS } from './all-errors.ts';
import * as lab from './catalog.ts';
import { errorText, LabError, pickLanguage } from './lab-error.ts';

const definitions = ERROR_DEFINITIONS;

/** Arguments for any entry: each name the catalog uses, with a value of the kind it expects. */
const SAMPLES: Record<string, unknown> = {
  packages: ['docker.io'],
  missingCaps: ['CAP_SYS_RESOURCE'],
  looked: ['/etc/apt/sources.list'],
  missing: ['Sysbox'],
  nodes: ['node1', 'node2'],
  why: { kind: 'disk', stop: 'cap', usedBytes: 600 * 2 ** 20, capBytes: 512 * 2 ** 20 },
  unit: 'nodes',
  phase: 'connect',
  reason: 'not-json',
  host: 'unix:///var/run/docker.sock',
  profile: 'public',
};
const args = new Proxy({} as Record<string, unknown>, {
  get: (_, key: string) =>
    SAMPLES[key] ?? (/(Ms|MiB|KiB|Seconds|seconds|port|max|bytes|status)$/i.test(key) ? 42 : `sample-${key}`),
});

describe('the error catalog', () => {
  it('holds every error once, by a permanent name', () => {
    const names = definitions.map((d) => d.name);
    expect(names.length).toBeGreaterThan(40);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(definitions.map((d) => [d.name, d] as const))(
    'says %s in English and in French',
    (_, definition) => {
      const en = errorText(definition, args, 'en');
      const fr = errorText(definition, args, 'fr');
      for (const text of [en, fr]) {
        expect(text.title.trim()).not.toBe('');
        expect(text.message.trim()).not.toBe('');
        expect(text.hint.trim()).not.toBe('');
        expect(text.message).not.toContain('undefined');
      }
      // Translated, not copied.
      expect(fr.title).not.toBe(en.title);
      expect(fr.message).not.toBe(en.message);
    },
  );

  it('answers in the language a person prefers, English by default', () => {
    expect(pickLanguage(undefined)).toBe('en');
    expect(pickLanguage('fr-FR,fr;q=0.9,en;q=0.8')).toBe('fr');
    expect(pickLanguage('de-DE,en;q=0.7,fr;q=0.5')).toBe('en');
    expect(pickLanguage('de-DE,fr;q=0.5')).toBe('fr');
    expect(pickLanguage('en;q=0.3, fr;q=0.9')).toBe('fr');
    expect(pickLanguage('fr;q=0')).toBe('en');
    expect(pickLanguage('*')).toBe('en');
    const err = new LabError(lab.SessionNotFound, { id: 'abc' });
    expect(err.body('fr')).toEqual({
      error: 'SessionNotFound',
      message: 'La session abc n’existe pas, a expiré, ou appartient à quelqu’un d’autre.',
      hint: 'Démarrez un nouveau bac à sable depuis la page de la leçon.',
    });
  });

  it('is the only place error answers are written', () => {
    // An answer built by hand ({ error: 'X', message: '...' }) would have no French and no hint.
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? sources(join(dir, e.name))
          : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
            ? [join(dir, e.name)]
            : [],
      );
    const offenders = sources(join(repoRoot, 'lab-server', 'src'))
      .filter((file) => !file.includes(`${join('src', 'errors')}`))
      .filter((file) => /\{\s*error:\s*['"`]/.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
