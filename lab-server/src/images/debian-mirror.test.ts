import { describe, expect, it } from 'vitest';
import { mirrorsIn } from './debian-mirror.ts';

describe('finding the host Debian mirror', () => {
  it('reads the archive (not security) from deb822 sources', () => {
    const text = `Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\nComponents: main\n\nTypes: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n`;
    expect(mirrorsIn(text, true)).toBe('http://mirror.example/debian');
  });

  it('skips disabled stanzas and source-only stanzas', () => {
    const text = `Types: deb-src\nURIs: http://a.example/debian\n\nEnabled: no\nTypes: deb\nURIs: http://b.example/debian\n\nTypes: deb\nURIs: http://c.example/debian/\n`;
    expect(mirrorsIn(text, true)).toBe('http://c.example/debian');
  });

  it('reads one-line sources.list entries with options', () => {
    const text = '# comment\ndeb [arch=amd64] http://d.example/debian bookworm main\n';
    expect(mirrorsIn(text, false)).toBe('http://d.example/debian');
  });
});
