import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidConfig } from './errors/catalog.ts';
import { LabError } from './errors/lab-error.ts';
import { parseAllowedOrigins } from './http/origins.ts';
import { LAB_ID } from './labs/lab-id.ts';
import { PROFILE_NAMES, type ProfileName } from './security/profiles.ts';
import { type Cidr, parseCidr } from './util/ipv4.ts';

/** The repository root: recipes, the built site and lessons are found from here. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type EngineMode = 'auto' | 'own' | 'existing';
export type MirrorMode = 'offline' | 'pull-through';

export interface LabConfig {
  host: string;
  port: number;
  /** Where the lab keeps its engine, sockets and build stamps. */
  stateDir: string;
  /** `auto`: use DOCKER_HOST or the default socket when it answers, else start our own engine. */
  engineMode: EngineMode;
  dockerHost: string | undefined;
  /** Debian mirror used by debootstrap and image builds; read from the host's apt sources when unset. */
  debianMirror: string | undefined;
  mirrorMode: MirrorMode;
  /** Serve packages from the proxy's cache only (a meetup room with no uplink). */
  aptOffline: boolean;
  siteDir: string;
  sandboxDir: string;
  /** postgres://… for several lab servers; else SQLite under the state directory. */
  databaseUrl: string | undefined;
  /** This lab's id among the labs sharing a database; unset: the one kept in the state directory. */
  labId: string | undefined;
  /** Where the other labs reach this one (http://10.0.0.5:4000); unset: from HOST and PORT. */
  labAddress: string | undefined;
  /** The address people use (links, QR codes, embeds); unset: the lab's own listening address. */
  publicUrl: string | undefined;
  /** A wildcard domain for previews (`<port>-<node>-<token>.<domain>`); `localhost` always works. */
  previewDomain: string | undefined;
  /** Bearer token required by /metrics when set. */
  metricsToken: string | undefined;
  /** Origins besides the lab's own whose pages may call the API, matched exactly. */
  allowedOrigins: string[];
  /** Where session networks take their /24s; unset: the first candidate this host routes nowhere. */
  sandboxRange: Cidr | undefined;
  /** The security profile (docs/security.md): what the lab promises, and refuses to start without. */
  profile: ProfileName;
  limits: {
    maxSessions: number;
    maxSessionsPerOwner: number;
    createsPerAddressPerMinute: number;
    maxNodesPerSession: number;
    /** Nodes the whole lab runs at once (the machine's real capacity: memory, disk, CPU). */
    maxLabNodes: number;
    nodeMemoryBytes: number;
    nodeNanoCpus: number;
    nodePids: number;
    /** Size of each node's /var/lib/docker file system (Docker storage inside the node). */
    nodeDiskBytes: number;
    /** What a node may write outside /var/lib/docker (its own files) before the watchdog stops it. */
    nodeFilesBytes: number;
    /** Terminal output the whole lab streams per second, shared by every shell; 0: unlimited. */
    terminalOutputBytesPerSecond: number;
  };
  times: {
    idleTimeoutMs: number;
    maxAgeMs: number;
    warnBeforeMs: number;
    sweepIntervalMs: number;
    /** How often the disk watchdog measures what each node wrote outside /var/lib/docker. */
    diskWatchIntervalMs: number;
    /** How long a node restarted over its files cap may run to let the learner delete files. */
    diskGraceMs: number;
  };
}

type Env = Record<string, string | undefined>;

function oneOf<T extends string>(env: Env, variable: string, values: readonly T[], fallback: T): T {
  const value = env[variable];
  if (value === undefined || value === '') return fallback;
  if ((values as readonly string[]).includes(value)) return value as T;
  throw new LabError(InvalidConfig, { variable, value, expected: `one of ${values.join(', ')}` });
}

function port(env: Env, variable: string, fallback: number): number {
  const value = env[variable];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new LabError(InvalidConfig, { variable, value, expected: 'a port number from 0 to 65535' });
  }
  return n;
}

function number(env: Env, variable: string, fallback: number, min: number, max: number): number {
  const value = env[variable];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new LabError(InvalidConfig, { variable, value, expected: `a number from ${min} to ${max}` });
  }
  return n;
}

function flag(env: Env, variable: string): boolean {
  const value = env[variable];
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new LabError(InvalidConfig, { variable, value, expected: '1 or 0' });
}

function origins(env: Env, variable: string): string[] {
  const parsed = parseAllowedOrigins(env[variable]);
  if (Array.isArray(parsed)) return parsed;
  throw new LabError(InvalidConfig, {
    variable,
    value: parsed.invalid,
    expected: 'origins separated by commas, each exactly like https://lessons.example.org',
  });
}

/** A setting read by `parse` (undefined when unset), or InvalidConfig saying what it expects. */
function parsed<T>(env: Env, variable: string, parse: (value: string) => T | undefined, expected: string) {
  const value = env[variable];
  if (!value) return undefined;
  const result = parse(value);
  if (result !== undefined) return result;
  throw new LabError(InvalidConfig, { variable, value, expected });
}

const sandboxRange = (env: Env, variable: string): Cidr | undefined =>
  parsed(
    env,
    variable,
    (value) => {
      const cidr = parseCidr(value);
      return cidr && cidr.prefix >= 8 && cidr.prefix <= 24 ? cidr : undefined;
    },
    'an IPv4 network from /8 to /24 that this host routes nowhere, such as 10.112.0.0/12',
  );

const labId = (env: Env, variable: string): string | undefined =>
  parsed(
    env,
    variable,
    (value) => (LAB_ID.test(value) ? value : undefined),
    'up to 32 lower-case letters, digits and -, such as lab-east',
  );

/** An http(s) URL with no path, query or fragment (a trailing / is dropped). */
const httpUrl = (env: Env, variable: string): string | undefined =>
  parsed(
    env,
    variable,
    (value) => {
      const url = URL.canParse(value) ? new URL(value) : undefined;
      const bare = url && /^https?:$/.test(url.protocol) && url.pathname === '/' && !url.search && !url.hash;
      return bare && !url.username ? url.origin : undefined;
    },
    'an http:// or https:// address with no path, such as https://lab.example.org',
  );

export function defaultStateDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/dockside' : join(homedir(), '.local', 'state', 'dockside');
}

export function loadConfig(env: Env = process.env): LabConfig {
  return {
    host: env.HOST || '127.0.0.1',
    port: port(env, 'PORT', 4000),
    stateDir: resolve(env.DOCKSIDE_STATE_DIR || defaultStateDir()),
    engineMode: oneOf(env, 'DOCKSIDE_ENGINE', ['auto', 'own', 'existing'] as const, 'auto'),
    dockerHost: env.DOCKER_HOST || undefined,
    debianMirror: env.DOCKSIDE_DEBIAN_MIRROR || undefined,
    mirrorMode: oneOf(env, 'DOCKSIDE_MIRROR_MODE', ['offline', 'pull-through'] as const, 'offline'),
    aptOffline: flag(env, 'DOCKSIDE_APT_OFFLINE'),
    siteDir: join(repoRoot, 'site', 'dist'),
    sandboxDir: join(repoRoot, 'sandbox'),
    databaseUrl: env.DOCKSIDE_DATABASE_URL || undefined,
    labId: labId(env, 'DOCKSIDE_LAB_ID'),
    labAddress: httpUrl(env, 'DOCKSIDE_LAB_ADDRESS'),
    publicUrl: httpUrl(env, 'DOCKSIDE_PUBLIC_URL'),
    previewDomain: env.DOCKSIDE_PREVIEW_DOMAIN || undefined,
    metricsToken: env.DOCKSIDE_METRICS_TOKEN || undefined,
    allowedOrigins: origins(env, 'DOCKSIDE_ALLOWED_ORIGINS'),
    sandboxRange: sandboxRange(env, 'DOCKSIDE_SANDBOX_RANGE'),
    profile: oneOf(env, 'DOCKSIDE_PROFILE', PROFILE_NAMES, 'trusted'),
    limits: {
      maxSessions: number(env, 'DOCKSIDE_MAX_SESSIONS', 60, 1, 10_000),
      maxSessionsPerOwner: number(env, 'DOCKSIDE_SESSIONS_PER_LEARNER', 3, 1, 100),
      // A workshop room often reaches the lab from one address, hence a generous default.
      createsPerAddressPerMinute: number(env, 'DOCKSIDE_SESSIONS_PER_ADDRESS_PER_MINUTE', 30, 1, 10_000),
      maxNodesPerSession: number(env, 'DOCKSIDE_MAX_NODES', 7, 1, 20),
      // 60 trios measured on 2 cores and 24 GiB before creation time doubles (README).
      maxLabNodes: number(env, 'DOCKSIDE_MAX_LAB_NODES', 180, 1, 100_000),
      nodeMemoryBytes: number(env, 'DOCKSIDE_NODE_MEMORY_MB', 2048, 128, 65_536) * 2 ** 20,
      nodeNanoCpus: Math.round(number(env, 'DOCKSIDE_NODE_CPUS', 1, 0.1, 64) * 1e9),
      nodePids: number(env, 'DOCKSIDE_NODE_PIDS', 2048, 64, 100_000),
      nodeDiskBytes: Math.round(number(env, 'DOCKSIDE_NODE_DISK_GB', 10, 0.25, 1024) * 2 ** 30),
      nodeFilesBytes: Math.round(number(env, 'DOCKSIDE_NODE_FILES_GB', 2, 0.25, 1024) * 2 ** 30),
      terminalOutputBytesPerSecond: number(env, 'DOCKSIDE_TERMINAL_OUTPUT_MBPS', 4, 0, 10_000) * 2 ** 20,
    },
    times: {
      idleTimeoutMs: number(env, 'DOCKSIDE_IDLE_MINUTES', 60, 1, 10_080) * 60_000,
      maxAgeMs: number(env, 'DOCKSIDE_MAX_AGE_MINUTES', 240, 1, 10_080) * 60_000,
      warnBeforeMs: 5 * 60_000,
      sweepIntervalMs: 10_000,
      diskWatchIntervalMs: number(env, 'DOCKSIDE_DISK_WATCH_SECONDS', 10, 0.5, 3600) * 1000,
      diskGraceMs: number(env, 'DOCKSIDE_DISK_GRACE_SECONDS', 120, 1, 86_400) * 1000,
    },
  };
}
