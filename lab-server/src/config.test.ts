import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { formatCidr } from './util/ipv4.ts';

describe('DOCKSIDE_SANDBOX_RANGE', () => {
  it('is unset by default: the lab picks a range the host routes nowhere', () => {
    expect(loadConfig({}).sandboxRange).toBeUndefined();
  });

  it('takes an IPv4 network from /8 to /24', () => {
    const config = loadConfig({ DOCKSIDE_SANDBOX_RANGE: '10.112.0.0/12' });
    expect(config.sandboxRange && formatCidr(config.sandboxRange)).toBe('10.112.0.0/12');
  });

  it('refuses anything else and says what it expects', () => {
    for (const bad of ['10.112.0.0', '10.112.0.0/25', '10.0.0.0/7', 'fd00::/8', 'lan']) {
      expect(() => loadConfig({ DOCKSIDE_SANDBOX_RANGE: bad })).toThrow(
        `DOCKSIDE_SANDBOX_RANGE="${bad}" is not valid: an IPv4 network from /8 to /24 that this host routes nowhere, such as 10.112.0.0/12.`,
      );
    }
  });
});

describe('labs sharing a database', () => {
  it('takes a lab id, an internal address and one public URL', () => {
    const config = loadConfig({
      DOCKSIDE_LAB_ID: 'lab-east',
      DOCKSIDE_LAB_ADDRESS: 'http://10.0.0.5:4000',
      DOCKSIDE_PUBLIC_URL: 'https://lab.example.org/',
    });
    expect([config.labId, config.labAddress, config.publicUrl]).toEqual([
      'lab-east',
      'http://10.0.0.5:4000',
      'https://lab.example.org',
    ]);
    expect(loadConfig({}).publicUrl).toBeUndefined();
  });

  it('refuses an id or an address it could not use', () => {
    for (const bad of ['Lab East', '-lab', 'x'.repeat(33)])
      expect(() => loadConfig({ DOCKSIDE_LAB_ID: bad })).toThrow(/DOCKSIDE_LAB_ID=.* is not valid/);
    for (const bad of [
      'lab.example.org',
      'ftp://lab.example.org',
      'https://lab.example.org/lessons',
      'https://a:b@x',
    ])
      expect(() => loadConfig({ DOCKSIDE_PUBLIC_URL: bad })).toThrow(/DOCKSIDE_PUBLIC_URL=.* is not valid/);
  });
});
