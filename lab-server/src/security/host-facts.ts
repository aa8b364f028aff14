import { existsSync, readFileSync } from 'node:fs';
import { capabilitiesHostCannotGrant } from '../engine/capabilities.ts';
import type { HostFacts } from '../protocol/health.ts';
import { runCommand } from '../util/run-command.ts';

/** What the host gives a sandbox, as far as isolation goes. Read once at start-up. */
export type { HostFacts };

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    // Not on this kernel: the fact is absent.
    return undefined;
  }
};

export async function readHostFacts(engine: {
  runtimes: string[];
  ipvs: boolean;
  capabilityWrapper: boolean;
  /** The engine runs on this machine (a unix socket), so its storage is the lab's to measure. */
  local: boolean;
}): Promise<HostFacts> {
  const iptables = await runCommand('iptables', ['-w', '-S', 'INPUT'])
    .then((r) => r.code === 0)
    // No iptables binary: reported as a missing fact, and the profile says what it needs.
    .catch(() => false);
  return {
    cgroup: existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1',
    apparmor: read('/sys/module/apparmor/parameters/enabled') === 'Y',
    userNamespaces: Number(read('/proc/sys/user/max_user_namespaces') ?? 0) > 0,
    missingCapabilities: capabilitiesHostCannotGrant(),
    sysbox: engine.runtimes.includes('sysbox-runc'),
    iptables,
    ipvs: engine.ipvs,
    runtimeWrapper: engine.capabilityWrapper,
    nodeDisks:
      engine.local &&
      process.getuid?.() === 0 &&
      existsSync('/dev/loop-control') &&
      ['/usr/sbin/mkfs.ext4', '/sbin/mkfs.ext4'].some((p) => existsSync(p)),
  };
}
