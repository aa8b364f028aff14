import { ProfileUnavailable } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import type { HostFacts } from './host-facts.ts';
import { PROMISE_IDS, type PromiseId } from './promises.ts';

export type ProfileName = 'trusted' | 'public';
export const PROFILE_NAMES = ['trusted', 'public'] as const;

/** How nodes are run under a profile. */
export interface NodeRuntime {
  /** The OCI runtime of node containers; undefined: the engine's default (the lab's wrapper). */
  runtime?: string;
  privileged: boolean;
}

export interface SecurityProfile {
  name: ProfileName;
  /** Who it is for, in one line. */
  audience: string;
  /** What the host must give; each unmet requirement is said in words. */
  requirements(facts: HostFacts): string[];
  /** What the profile promises on a host with these facts (each one tested by the escape suite). */
  promises(facts: HostFacts): PromiseId[];
  node: NodeRuntime;
}

/**
 * Privileged docker-in-docker nodes below the lab's runtime wrapper: capabilities removed, host
 * devices hidden, cgroup namespaces, network fences and resource caps. A learner is still root with
 * CAP_SYS_ADMIN in the host's user namespace, so what only a user namespace or a MAC policy can stop
 * (writes through a fresh /proc) is not promised.
 */
const TRUSTED: SecurityProfile = {
  name: 'trusted',
  audience: 'a workshop or a class on a disposable host, with learners you know',
  requirements: (facts) => [
    ...(facts.iptables ? [] : ['iptables, for the network fences (Debian package iptables)']),
    ...(facts.runtimeWrapper
      ? []
      : [
          "the lab's own engine, whose runtime wrapper removes capabilities and host devices from nodes (unset DOCKER_HOST and run as root, or DOCKSIDE_ENGINE=own)",
        ]),
  ],
  promises: (facts) => [
    'capabilities',
    'kernel-modules',
    'kernel-memory',
    'clock',
    'reboot',
    // The device fence is a parent cgroup on v1 (node-cgroup.ts); on v2 a node could swap its own
    // eBPF device program, so there it is not promised.
    ...(facts.cgroup === 'v1' ? (['host-devices'] as const) : []),
    'release-agent',
    'engine-sockets',
    'other-sessions',
    'host-addresses',
    'metadata',
    'egress',
    'memory',
    'pids',
    // Node disks and the watchdog need root and loop devices (host-facts.ts).
    ...(facts.nodeDisks ? (['disk'] as const) : []),
    'cpu',
    'cleanup',
  ],
  node: { privileged: true },
};

/**
 * Nodes that are not privileged: Sysbox runs docker-in-docker inside a user namespace, so root in a
 * node is not root on the host. Refuses to start where the host cannot keep that.
 */
const PUBLIC: SecurityProfile = {
  name: 'public',
  audience: 'a lab open to strangers, on the internet or at a public event',
  requirements: (facts) => [
    ...(facts.sysbox
      ? []
      : ['the Sysbox runtime (sysbox-runc registered with the engine), so that nodes need no --privileged']),
    ...(facts.iptables ? [] : ['iptables, for the network fences (Debian package iptables)']),
  ],
  promises: (facts) => PROMISE_IDS.filter((p) => p !== 'disk' || facts.nodeDisks),
  node: { runtime: 'sysbox-runc', privileged: false },
};

export const PROFILES: Record<ProfileName, SecurityProfile> = { trusted: TRUSTED, public: PUBLIC };

/** The profile, if this host can keep its promises; else a LabError that names what is missing. */
export function resolveProfile(name: ProfileName, facts: HostFacts): SecurityProfile {
  const profile = PROFILES[name];
  const missing = profile.requirements(facts);
  if (missing.length > 0) throw new LabError(ProfileUnavailable, { profile: name, missing });
  return profile;
}

/** What the health endpoint and the start-up banner say about the active profile. */
export function describeProfile(profile: SecurityProfile, facts: HostFacts) {
  const promises = profile.promises(facts);
  return {
    name: profile.name,
    audience: profile.audience,
    promises,
    notPromised: PROMISE_IDS.filter((p) => !promises.includes(p)),
    host: facts,
  };
}
