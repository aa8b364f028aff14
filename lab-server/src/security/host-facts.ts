import { existsSync, readFileSync } from 'node:fs';
import { capabilitiesHostCannotGrant } from '../engine/capabilities.ts';
import { runCommand } from '../util/run-command.ts';

/** What the host gives a sandbox, as far as isolation goes. Read once at start-up. */
export interface HostFacts {
  /** `v2` when /sys/fs/cgroup is the unified hierarchy. */
  cgroup: 'v1' | 'v2';
  /** Whether AppArmor is enabled in the kernel. */
  apparmor: boolean;
  /** Whether unprivileged user namespaces can be created (max_user_namespaces > 0). */
  userNamespaces: boolean;
  /** Capabilities missing from the lab process's bounding set (this host: CAP_SYS_RESOURCE). */
  missingCapabilities: string[];
  /** Whether the engine has a Sysbox runtime (`sysbox-runc`), which runs nodes without --privileged. */
  sysbox: boolean;
  /** Whether iptables works here (the lab's network fences need it). */
  iptables: boolean;
  /** Whether the kernel has IPVS (Swarm's routing mesh). */
  ipvs: boolean;
  /** Whether the lab's runtime wrapper (capability and device removal) is the engine's default runtime. */
  runtimeWrapper: boolean;
  /**
   * Whether the lab can give each node a disk of its own (root, loop devices, mkfs.ext4), and watch
   * node files on the engine's storage (an engine on this machine): the disk cap needs both.
   */
  nodeDisks: boolean;
}

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
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
