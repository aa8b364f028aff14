import type { ErrorDefinition } from './lab-error.ts';

const define = <Args>(def: ErrorDefinition<Args>): ErrorDefinition<Args> => def;

export const EngineUnreachable = define<{ host: string; reason: string }>({
  name: 'EngineUnreachable',
  title: 'Docker engine unreachable',
  message: ({ host, reason }) => `The Docker engine at ${host} does not answer (${reason}).`,
  hint: ({ host }) =>
    host.startsWith('unix://')
      ? 'Start it, or unset DOCKER_HOST so that Dockside starts its own engine (as root).'
      : 'Check that DOCKER_HOST is right and the engine is running, or unset it.',
});

export const EngineNeedsRoot = define<{ socket: string }>({
  name: 'EngineNeedsRoot',
  title: 'No engine and not root',
  message: ({ socket }) => `No Docker engine answers at ${socket} and Dockside is not running as root.`,
  hint: () =>
    'Run `sudo npm start` so that Dockside can install and start its own engine, or start Docker and set DOCKER_HOST.',
});

export const EngineStartFailed = define<{ reason: string; log: string }>({
  name: 'EngineStartFailed',
  title: 'The lab engine did not start',
  message: ({ reason }) => `Dockside started dockerd but it ${reason}.`,
  hint: ({ log }) => `Read ${log} for dockerd's own words.`,
});

export const PackageInstallFailed = define<{ packages: string[]; reason: string }>({
  name: 'PackageInstallFailed',
  title: 'Debian packages could not be installed',
  message: ({ packages, reason }) => `Installing ${packages.join(', ')} with apt-get failed: ${reason}.`,
  hint: () =>
    "Check that Debian's package mirror is reachable (apt-get update) or install the packages yourself, then run again.",
});

export const PrivilegedProbeFailed = define<{ reason: string; missingCaps: string[] }>({
  name: 'PrivilegedProbeFailed',
  title: 'Privileged containers do not work on this engine',
  message: ({ reason }) => `A privileged probe container failed: ${reason}.`,
  hint: ({ missingCaps }) =>
    missingCaps.length > 0
      ? `This host cannot grant ${missingCaps.join(', ')}; let Dockside run its own engine (unset DOCKER_HOST, DOCKSIDE_ENGINE=own) so its runtime wrapper removes them.`
      : 'Docker-in-docker nodes need privileged containers; check the engine log.',
});

export const ImageBuildFailed = define<{ image: string; reason: string }>({
  name: 'ImageBuildFailed',
  title: 'A sandbox image did not build',
  message: ({ image, reason }) => `Building image ${image} failed: ${reason}.`,
  hint: ({ image }) =>
    `Fix the recipe of ${image} under sandbox/ (or check the package mirror), then run again; finished images are kept.`,
});

export const DebianMirrorUnknown = define<{ looked: string[] }>({
  name: 'DebianMirrorUnknown',
  title: 'No Debian mirror configured',
  message: ({ looked }) => `No Debian package mirror was found in ${looked.join(', ')}.`,
  hint: () => 'Set DOCKSIDE_DEBIAN_MIRROR to a Debian mirror URL (for example http://<mirror>/debian).',
});

export const DiskFull = define<{ path: string; freeMiB: number; needMiB: number }>({
  name: 'DiskFull',
  title: 'Not enough disk space',
  message: ({ path, freeMiB, needMiB }) =>
    `Only ${freeMiB} MiB are free under ${path}; Dockside needs at least ${needMiB} MiB to build its images.`,
  hint: () => 'Free some space (docker system prune, old files) or set DOCKSIDE_STATE_DIR to a larger disk.',
});

export const PortInUse = define<{ host: string; port: number }>({
  name: 'PortInUse',
  title: 'Port already taken',
  message: ({ host, port }) => `Another program already listens on ${host}:${port}.`,
  hint: () => 'Stop it, or choose another port: PORT=8081 npm start.',
});

export const InvalidConfig = define<{ variable: string; value: string; expected: string }>({
  name: 'InvalidConfig',
  title: 'Invalid configuration',
  message: ({ variable, value, expected }) =>
    `${variable}=${JSON.stringify(value)} is not valid: ${expected}.`,
  hint: ({ variable }) => `Fix or unset ${variable}.`,
});

export const ProfileUnavailable = define<{ profile: string; missing: string[] }>({
  name: 'ProfileUnavailable',
  title: 'This host cannot keep the security profile’s promises',
  message: ({ profile, missing }) =>
    `The ${profile} security profile cannot start here: it needs ${missing.join('; and ')}.`,
  hint: ({ profile }) =>
    profile === 'public'
      ? 'Install what is missing, or run DOCKSIDE_PROFILE=trusted for learners you know on a disposable host (docs/security.md).'
      : 'Install what is missing (apt-get install iptables), then start again.',
});

export const FirewallFailed = define<{ command: string; output: string }>({
  name: 'FirewallFailed',
  title: 'The network fences could not be installed',
  message: ({ command, output }) => `\`${command}\` failed: ${output || 'no output'}.`,
  hint: () =>
    'The lab needs root and iptables (with the conntrack and physdev matches) to fence sandboxes; run it as root on a host whose kernel has them.',
});

export const NoSessionSubnet = define<{ range: string; networks: number; routes: string }>({
  name: 'NoSessionSubnet',
  title: 'No network address left for a sandbox',
  status: 503,
  message: ({ range, networks, routes }) =>
    `Every /24 of ${range} is taken: ${networks} by sandbox networks, the rest by this host's routes (${routes}).`,
  hint: () =>
    'Close sandboxes that are no longer used, or give the lab a larger range no route of this host uses with DOCKSIDE_SANDBOX_RANGE (for example 10.112.0.0/12).',
});

export const ManifestInvalid = define<{ file: string; problems: string }>({
  name: 'ManifestInvalid',
  title: 'Invalid image manifest',
  message: ({ file, problems }) => `${file} is not a valid image manifest: ${problems}.`,
  hint: ({ file }) => `Fix ${file}; each entry is described in sandbox/README.md.`,
});

export const WaitTimedOut = define<{ what: string; timeoutMs: number; last?: string }>({
  name: 'WaitTimedOut',
  title: 'Timed out',
  message: ({ what, timeoutMs, last }) =>
    `Waited ${Math.round(timeoutMs / 1000)} s for ${what}${last ? ` (last error: ${last})` : ''}.`,
  hint: () => 'The machine may be overloaded; try again, or look at the engine log.',
});

export const SessionNotFound = define<{ id: string }>({
  name: 'SessionNotFound',
  title: 'No such session',
  message: ({ id }) => `Session ${id} does not exist, has expired, or belongs to someone else.`,
  hint: () => 'Start a new sandbox from the lesson page.',
  status: 404,
});

export const NodeNotFound = define<{ session: string; node: string; nodes: string[] }>({
  name: 'NodeNotFound',
  title: 'No such node',
  message: ({ node, nodes }) =>
    `There is no node ${node} in this sandbox (it has ${nodes.join(', ') || 'no nodes'}).`,
  hint: () => 'Pick one of the nodes listed, or add a node.',
  status: 404,
});

export const NodeDown = define<{ node: string; state: string; reason?: string }>({
  name: 'NodeDown',
  title: 'Node is not running',
  message: ({ node, state, reason }) => `Node ${node} is ${state}${reason ? `: ${reason}` : ''}.`,
  hint: ({ node }) => `Restart ${node} from the lesson page (or POST .../nodes/${node}/restart).`,
  status: 409,
});

export const CapacityReached = define<{
  active: number;
  max: number;
  unit: 'sandboxes' | 'nodes';
  wanted?: number;
}>({
  name: 'CapacityReached',
  title: 'The lab is full',
  message: ({ active, max, unit, wanted }) =>
    `The lab is out of capacity: it runs ${active} ${unit}${wanted ? ` and this needs ${wanted} more` : ''}; its maximum is ${max}.`,
  hint: ({ unit }) =>
    `Try again in a few minutes, when other sandboxes expire; an instructor can raise ${
      unit === 'nodes' ? 'DOCKSIDE_MAX_LAB_NODES' : 'DOCKSIDE_MAX_SESSIONS'
    }.`,
  status: 503,
});

export const RateLimited = define<{ perMinute: number; retryAfterSeconds: number }>({
  name: 'RateLimited',
  title: 'Too many new sandboxes',
  message: ({ perMinute }) =>
    `This address created ${perMinute} sandboxes in the last minute, the most allowed.`,
  hint: ({ retryAfterSeconds }) => `Wait ${retryAfterSeconds} s and try again.`,
  status: 429,
});

export const TooManySessions = define<{ max: number }>({
  name: 'TooManySessions',
  title: 'Too many sandboxes open',
  message: ({ max }) => `You already have ${max} sandboxes running, the most one learner may have.`,
  hint: () => 'Close one you no longer use (its lesson page has a Stop button), then start this one.',
  status: 429,
});

export const NodeLimitReached = define<{ max: number }>({
  name: 'NodeLimitReached',
  title: 'Node limit reached',
  message: ({ max }) => `This sandbox already has ${max} nodes, the most allowed.`,
  hint: () => 'Remove a node before adding another.',
  status: 409,
});

export const SandboxStartFailed = define<{ template: string; reason: string }>({
  name: 'SandboxStartFailed',
  title: 'The sandbox did not start',
  message: ({ template, reason }) => `Starting a ${template} sandbox failed: ${reason}.`,
  hint: () => 'Try again; if it keeps failing, the lab server log says more.',
  status: 500,
});

export const InvalidRequest = define<{ problems: string }>({
  name: 'InvalidRequest',
  title: 'Invalid request',
  message: ({ problems }) => `The request is not valid: ${problems}.`,
  hint: () => 'See docs/api.md for the request format.',
  status: 400,
});

export const ExecTimedOut = define<{ node: string; timeoutMs: number }>({
  name: 'ExecTimedOut',
  title: 'Command timed out',
  message: ({ node, timeoutMs }) =>
    `The command on ${node} did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped.`,
  hint: () => 'Run long commands in a terminal instead, or raise timeoutMs (at most 120000).',
  status: 504,
});

export const EngineRecovering = define<{ detail: string }>({
  name: 'EngineRecovering',
  title: "The lab's engine is restarting",
  message: ({ detail }) => `The lab's Docker engine is unavailable for a moment (${detail}).`,
  hint: () =>
    'Your sandbox comes back by itself: its nodes are started again as soon as the engine answers. Try again in a few seconds.',
  status: 503,
});

export const LabStarting = define<{ detail: string }>({
  name: 'LabStarting',
  title: 'The lab is starting',
  message: ({ detail }) => `The lab is not ready yet (${detail}).`,
  hint: () => 'Wait a moment and try again; GET /api/health says when it is ready.',
  status: 503,
});
