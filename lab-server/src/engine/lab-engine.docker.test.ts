import { describe, expect, inject, it } from 'vitest';
import { execIn, TestResources } from '../../testing/lab-docker.ts';
import { loadConfig } from '../config.ts';
import { capabilitiesHostCannotGrant, decodeCapabilityMask } from './capabilities.ts';
import { connectLabEngine, NEVER_GRANTED } from './lab-engine.ts';

const capsOf = (status: string, field: string) =>
  decodeCapabilityMask(new RegExp(`${field}:\\s*([0-9a-f]+)`).exec(status)?.[1] ?? '0');

describe('the lab engine', () => {
  it('is found again by a second lab process, which does not claim to own it', async () => {
    const engine = await connectLabEngine(
      { ...loadConfig(), dockerHost: inject('lab').dockerHost },
      () => undefined,
    );
    expect(engine.owned).toBe(false);
    expect(engine.version).toMatch(/^\d+\.\d+/);
    expect(engine.capabilityWrapper).toBe(true);
    expect(engine.missingCapabilities).toEqual(capabilitiesHostCannotGrant());
  });

  it('runs privileged containers, without the capabilities this host cannot grant', async () => {
    await using res = new TestResources();
    const container = await res.container({
      Image: 'dockside/base',
      Cmd: ['sleep', '300'],
      HostConfig: { Privileged: true, NetworkMode: 'none' },
    });
    const status = await execIn(container, ['cat', '/proc/1/status']);
    const bounding = capsOf(status.output, 'CapBnd');
    expect(bounding).toContain('CAP_SYS_ADMIN');
    for (const missing of capabilitiesHostCannotGrant()) expect(bounding).not.toContain(missing);
    // What no node may have, although Docker grants everything to a privileged container.
    for (const dangerous of NEVER_GRANTED) expect(bounding).not.toContain(dangerous);
    const clock = await execIn(container, [
      'sh',
      '-c',
      'date -s "2001-01-01" >/dev/null 2>&1; echo "date=$?"',
    ]);
    expect(clock.output).toMatch(/date=[1-9]/);
    const mount = await execIn(container, ['sh', '-c', 'mount -t tmpfs t /mnt && echo mounted']);
    expect(mount.output).toContain('mounted');
  });

  it('runs privileged execs through the wrapper too', async () => {
    await using res = new TestResources();
    const container = await res.container({
      Image: 'dockside/base',
      Cmd: ['sleep', '300'],
      HostConfig: { NetworkMode: 'none' },
    });
    const result = await execIn(container, ['grep', 'CapEff', '/proc/self/status'], { privileged: true });
    expect(result.code).toBe(0);
    expect(capsOf(result.output, 'CapEff')).toContain('CAP_SYS_ADMIN');
    expect(capsOf(result.output, 'CapEff')).not.toContain('CAP_SYS_MODULE');
  });
});
