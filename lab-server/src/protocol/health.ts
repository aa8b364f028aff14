/** What GET /api/health reports: the lab fills it in as it comes up; the site's lab status reads it. */

/** What this host can give sandboxes, read when the lab starts (security/host-facts.ts). */
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

/** The security profile in force (docs/security.md): what it promises and what it does not. */
export interface SecurityReport {
  name: string;
  audience: string;
  promises: string[];
  notPromised: string[];
  host: HostFacts;
  firewall: string[];
  /** Where session networks take their /24s, and why there. */
  sandboxRange: { range: string; why: string; avoided: string[] };
}

export interface Health {
  status: 'starting' | 'ready' | 'recovering' | 'failed';
  /** What the lab is doing while starting or recovering (the engine restarted), or why it failed. */
  detail?: string;
  engine?: {
    version: string;
    apiVersion: string;
    host: string;
    /** Whether the lab started this engine itself. */
    owned: boolean;
  };
  images: { name: string; tag: string; role: string; publish: string[] }[];
  /** Whether the kernel has IPVS (Swarm's routing mesh and VIP load balancing need it). */
  ipvs: boolean;
  /** Whether the lab's OCI runtime wrapper is the engine's default runtime. */
  capabilityWrapper: boolean;
  /** Capabilities this host cannot grant, removed from privileged containers by the wrapper. */
  missingCapabilities: string[];
  /** Capabilities the wrapper removes from every container, nodes included. */
  droppedCapabilities?: string[];
  security?: SecurityReport;
  mirror?: { mode: string };
  aptProxy?: { offline: boolean };
  /** This lab: its id, and the address people use (DOCKSIDE_PUBLIC_URL, else its own). */
  lab?: { id: string; publicUrl: string };
  /** Every lab sharing this lab's store, up (its lease runs) or down; this one is `self`. */
  labs?: {
    id: string;
    address: string;
    publicUrl: string;
    up: boolean;
    self: boolean;
    heartbeatAt: number;
  }[];
  /** Seconds since the lab server started (added when served). */
  uptimeSeconds?: number;
}
