import { describe, expect, it } from 'vitest';
import type { HostFacts } from './host-facts.ts';
import { describeProfile, PROFILES, resolveProfile } from './profiles.ts';
import { PROMISE_IDS } from './promises.ts';

const thisHost: HostFacts = {
  cgroup: 'v1',
  apparmor: false,
  userNamespaces: true,
  missingCapabilities: ['CAP_SYS_RESOURCE'],
  sysbox: false,
  iptables: true,
  ipvs: false,
  runtimeWrapper: true,
  nodeDisks: true,
};

describe('security profiles', () => {
  it('runs trusted here and lists what it does not promise', () => {
    const profile = resolveProfile('trusted', thisHost);
    const described = describeProfile(profile, thisHost);
    expect(described.notPromised).toEqual(['proc-writes']);
    expect(described.promises).toContain('host-devices');
    expect([...described.promises, ...described.notPromised].sort()).toEqual([...PROMISE_IDS].sort());
  });

  it('refuses public without Sysbox, naming what is missing and what to do', () => {
    expect(() => resolveProfile('public', thisHost)).toThrowError(
      expect.objectContaining({
        message: expect.stringMatching(
          /public security profile cannot start here: it needs the Sysbox runtime/,
        ),
        hint: expect.stringMatching(/DOCKSIDE_PROFILE=trusted/),
      }),
    );
    expect(resolveProfile('public', { ...thisHost, sysbox: true }).node).toEqual({
      runtime: 'sysbox-runc',
      privileged: false,
    });
  });

  it('refuses trusted without the fences or the runtime wrapper', () => {
    expect(() => resolveProfile('trusted', { ...thisHost, iptables: false })).toThrow(/iptables/);
    expect(() => resolveProfile('trusted', { ...thisHost, runtimeWrapper: false })).toThrow(
      /runtime wrapper/,
    );
  });

  it('promises no disk cap where the lab cannot give nodes disks of their own', () => {
    const facts = { ...thisHost, nodeDisks: false };
    expect(describeProfile(resolveProfile('trusted', facts), facts).notPromised).toContain('disk');
  });

  it('does not promise the device fence on cgroup v2, where a node could swap its eBPF program', () => {
    expect(PROFILES.trusted.promises({ ...thisHost, cgroup: 'v2' })).not.toContain('host-devices');
  });
});
