import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidConfig } from './errors/catalog.ts';
import { LabError } from './errors/lab-error.ts';

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

function flag(env: Env, variable: string): boolean {
  const value = env[variable];
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new LabError(InvalidConfig, { variable, value, expected: '1 or 0' });
}

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
  };
}
