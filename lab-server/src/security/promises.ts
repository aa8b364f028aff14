/**
 * What a lab can promise about isolation. Each promise is one sentence an operator can repeat to an
 * audience, and one test of the escape suite (`npm run test:isolation`) that tries to break it from a
 * node and from a privileged container inside a node. A profile (profiles.ts) makes some of them.
 */
export const PROMISES = {
  capabilities:
    'Nodes, and privileged containers inside them, hold none of CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_SYS_BOOT and CAP_SYS_TIME.',
  'kernel-modules': 'No kernel module can be loaded (insmod, modprobe, init_module).',
  'kernel-memory': 'Kernel and physical memory cannot be read (/proc/kcore, /dev/mem, /dev/port).',
  clock: 'The host clock cannot be changed.',
  reboot: 'reboot(2) cannot restart or halt the host.',
  'host-devices': 'No host disk is visible, and one made with mknod can be neither read nor mounted.',
  'proc-writes':
    'The host kernel cannot be crashed or hijacked through /proc (sysrq-trigger, core_pattern), even through a freshly mounted /proc.',
  'release-agent': 'A cgroup v1 hierarchy mounted from a node exposes no release_agent to write.',
  'engine-sockets':
    "The host's Docker and containerd sockets are out of reach; a node's engine listens on a unix socket only.",
  'other-sessions':
    "A node reaches no node of another session: neither its Docker API nor Swarm's ports nor any other.",
  'host-addresses':
    'A node reaches no address of the host: not the lab server, not its network gateway, nothing the host listens on.',
  metadata: 'The link-local metadata address 169.254.169.254 is out of reach.',
  egress: 'Nothing outside the sandbox is reachable, except the lab’s hub mirror and package proxy.',
  memory: 'A memory bomb is killed inside its own node; the lab and other sessions carry on.',
  pids: 'A fork bomb stops at its node’s process limit; the lab and other sessions carry on.',
  disk: 'A node cannot fill the host’s disk: Docker storage inside it stops at its disk cap, and a node whose own files grow past theirs is stopped.',
  cpu: "A CPU spin and a `yes` flood in one session leave another learner's terminal responsive.",
  cleanup:
    'A session that expires or is closed, and a lab server killed with SIGKILL and started again, leave no labelled container, network, volume or node disk behind.',
} as const;

export type PromiseId = keyof typeof PROMISES;
export const PROMISE_IDS = Object.keys(PROMISES) as PromiseId[];
