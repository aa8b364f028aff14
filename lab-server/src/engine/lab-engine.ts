import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { LabConfig } from '../config.ts';
import { EngineNeedsRoot, EngineUnreachable } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import { AnotherLabEngine } from '../errors/peer-errors.ts';
import { capabilitiesHostCannotGrant } from './capabilities.ts';
import { haveAll, installDebianPackages, type Say } from './debian-packages.ts';
import { DockerdProcess, dockerdPaths, otherLabEngines } from './dockerd-process.ts';
import { engineBridges, removeBridges } from './engine-bridges.ts';
import { detectIpvs } from './ipvs.ts';
import { writeRuntimeWrapper } from './runtime-wrapper.ts';

export const RUNTIME_NAME = 'dockside-runc';

/**
 * Capabilities no sandbox needs and that would let a learner reach the host from a privileged node:
 * load kernel modules, raw I/O ports and memory, reboot, set the host clock. Docker ignores --cap-drop on
 * privileged containers, so the runtime wrapper removes them.
 */
export const NEVER_GRANTED = ['CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_BOOT', 'CAP_SYS_TIME'];

/** What the wrapper removes: what the host cannot grant, and what no node may have. */
export function droppedCapabilities(): string[] {
  return [...new Set([...capabilitiesHostCannotGrant(), ...NEVER_GRANTED])];
}
const DEFAULT_SOCKET = '/var/run/docker.sock';

/** The Docker engine the lab runs sandboxes on, and what it can do. */
export interface LabEngine {
  docker: Docker;
  /** Where it listens, as a DOCKER_HOST value. */
  host: string;
  version: string;
  apiVersion: string;
  /** Whether this process started it (and so stops it on shutdown). */
  owned: boolean;
  /** Whether the lab's runtime wrapper is the engine's default runtime. */
  capabilityWrapper: boolean;
  /** Capabilities the host cannot grant, which privileged containers must not ask for. */
  missingCapabilities: string[];
  /** Capabilities the runtime wrapper removes from every container (when it is the default runtime). */
  droppedCapabilities: string[];
  ipvs: boolean;
  /** Whether the lab's own engine process still runs (only for an engine this process started). */
  processAlive?: () => boolean;
  /** Starts the lab's own engine again after it died (only for an engine this process started). */
  restart?: () => Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Finds an engine or starts one: DOCKER_HOST when set, then an engine the lab started earlier, then the
 * default socket; failing those, and as root, installs Debian's docker.io if needed and starts a
 * dockerd of its own under the state directory.
 */
export async function connectLabEngine(config: LabConfig, say: Say): Promise<LabEngine> {
  const engineDir = join(config.stateDir, 'engine');
  const paths = dockerdPaths(engineDir);
  const candidates: string[] = [];
  if (config.engineMode !== 'own') {
    if (config.dockerHost) {
      const found = await tryConnect(hostOptions(config.dockerHost));
      if (!found) throw new LabError(EngineUnreachable, { host: config.dockerHost, reason: 'no answer' });
      return describe(found, config.dockerHost, false);
    }
    candidates.push(`unix://${paths.socket}`, `unix://${DEFAULT_SOCKET}`);
  } else {
    candidates.push(`unix://${paths.socket}`);
  }
  for (const host of candidates) {
    const found = await tryConnect(hostOptions(host));
    if (!found) continue;
    say(`using the Docker engine at ${host}`);
    if (host !== `unix://${paths.socket}`) return describe(found, host, false);
    // The lab's own engine, left running by an earlier start that did not stop (killed, crashed): it
    // is the lab's again, stopped with it, so no sandbox outlives the lab that watches it. It reads its
    // wrapper at every container start: keep that current.
    // Its wrapper edits specs with jq, which an engine from before may run without.
    if (!haveAll([JQ])) await installDebianPackages(['jq'], say);
    const wrapper = writeWrapper(engineDir);
    const adopted = DockerdProcess.adopt(paths);
    if (!adopted) return describe(found, host, false); // No pid file to stop it by: someone else's.
    return ownEngine(
      adopted,
      { paths, runtime: { name: RUNTIME_NAME, path: wrapper.wrapper } },
      engineDir,
      say,
    );
  }
  if (config.engineMode === 'existing') {
    throw new LabError(EngineUnreachable, { host: `unix://${DEFAULT_SOCKET}`, reason: 'no answer' });
  }
  if (process.getuid?.() !== 0) throw new LabError(EngineNeedsRoot, { socket: DEFAULT_SOCKET });

  if (!haveAll(['/usr/sbin/dockerd', '/usr/sbin/runc', JQ])) {
    await installDebianPackages(['docker.io', 'jq'], say);
  }
  const [other] = otherLabEngines(paths.execRoot);
  if (other) throw new LabError(AnotherLabEngine, { socket: other.socket, pid: other.pid });
  const missing = capabilitiesHostCannotGrant();
  mkdirSync(engineDir, { recursive: true });
  const wrapper = writeWrapper(engineDir);
  say(
    `starting the lab's own engine (dockerd) on ${paths.socket}; its runtime removes ${NEVER_GRANTED.join(', ')} from every container${
      missing.length ? `, and ${missing.join(', ')}, which this host cannot grant` : ''
    }`,
  );
  const startOptions = { paths, runtime: { name: RUNTIME_NAME, path: wrapper.wrapper } };
  return ownEngine(await DockerdProcess.start(startOptions), startOptions, engineDir, say);
}

/** The lab's own dockerd, which it starts again if it dies and stops when the lab stops. */
async function ownEngine(
  started: DockerdProcess,
  startOptions: Parameters<typeof DockerdProcess.start>[0],
  engineDir: string,
  say: Say,
): Promise<LabEngine> {
  const { paths } = startOptions;
  let dockerd = started;
  let disposed = false;
  const docker = new Docker({ socketPath: paths.socket });
  const engine = await describe(docker, `unix://${paths.socket}`, true);
  return {
    ...engine,
    processAlive: () => dockerd.alive(),
    restart: async () => {
      if (disposed) return;
      writeWrapper(engineDir);
      dockerd = await DockerdProcess.start(startOptions);
      // Stopped while it was starting: what started must not outlive the lab.
      if (disposed) await dockerd.stop();
    },
    dispose: async () => {
      disposed = true;
      say('stopping the lab engine');
      // Read while it answers: dockerd leaves its bridges on the host when it stops.
      const bridges = await engineBridges(docker).catch(() => []);
      await dockerd.stop();
      if (!dockerd.alive()) await removeBridges(bridges);
    },
  };
}

function writeWrapper(engineDir: string) {
  return writeRuntimeWrapper(
    join(engineDir, 'runtime'),
    { dropCapabilities: droppedCapabilities(), fenceDevices: true },
    { runc: findRunc(), jq: JQ },
  );
}

function hostOptions(host: string): Docker.DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
}

async function tryConnect(options: Docker.DockerOptions): Promise<Docker | undefined> {
  if (options.socketPath && !existsSync(options.socketPath)) return undefined;
  const docker = new Docker({ ...options, timeout: 5_000 });
  try {
    await docker.ping();
    return new Docker(options);
  } catch {
    // No answer on this socket: the caller tries the next candidate, then says which failed.
    return undefined;
  }
}

async function describe(docker: Docker, host: string, owned: boolean): Promise<LabEngine> {
  const [version, info] = await Promise.all([docker.version(), docker.info()]);
  return {
    docker,
    host,
    version: version.Version,
    apiVersion: version.ApiVersion,
    owned,
    capabilityWrapper: info.DefaultRuntime === RUNTIME_NAME,
    missingCapabilities: capabilitiesHostCannotGrant(),
    droppedCapabilities: info.DefaultRuntime === RUNTIME_NAME ? droppedCapabilities() : [],
    ipvs: await detectIpvs(),
    dispose: async () => {},
  };
}

/** Debian's jq: the runtime wrapper's spec editor runs on it (runtime-wrapper.ts). */
const JQ = '/usr/bin/jq';

function findRunc(): string {
  for (const candidate of [
    '/usr/sbin/runc',
    '/usr/bin/runc',
    '/usr/local/sbin/runc',
    '/usr/local/bin/runc',
  ]) {
    if (existsSync(candidate)) return candidate;
  }
  return 'runc';
}
