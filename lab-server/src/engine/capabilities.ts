import { readFileSync } from 'node:fs';

/** Linux capability names by bit number (linux/capability.h). */
export const CAPABILITY_NAMES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

/** Decodes a hexadecimal capability mask as printed in /proc/<pid>/status. */
export function decodeCapabilityMask(hex: string): string[] {
  const mask = BigInt(`0x${hex.trim()}`);
  return CAPABILITY_NAMES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** The capability bounding set of this process: no container it starts can hold more. */
export function boundingSet(status = readFileSync('/proc/self/status', 'utf8')): string[] {
  const line = status.split('\n').find((l) => l.startsWith('CapBnd:'));
  if (!line) return [...CAPABILITY_NAMES];
  return decodeCapabilityMask(line.slice('CapBnd:'.length));
}

/**
 * Capabilities Docker puts in a privileged container's spec that this host cannot grant. runc refuses
 * to start a container asking for any of them ("unable to apply caps"), so the runtime wrapper removes them.
 */
export function capabilitiesHostCannotGrant(status?: string): string[] {
  const bounded = new Set(boundingSet(status));
  const lastCap = readLastCap();
  return CAPABILITY_NAMES.slice(0, lastCap + 1).filter((name) => !bounded.has(name));
}

function readLastCap(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    // No /proc entry (an old kernel): every capability this build knows.
    return CAPABILITY_NAMES.length - 1;
  }
}
