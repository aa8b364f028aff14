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
