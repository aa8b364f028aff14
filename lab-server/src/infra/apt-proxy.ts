import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { Say } from '../engine/debian-packages.ts';
import { ImageBuildFailed } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import { LABEL_LAB } from '../protocol/labels.ts';
import { tail } from '../util/run-command.ts';
import { waitFor } from '../util/wait-for.ts';
import { bridgeAddress, ensureServiceContainer, ensureVolume } from './service-container.ts';
import { Stamp } from './stamp.ts';

export const APT_PROXY_CONTAINER = 'dockside-apt-proxy';
export const APT_CACHE_VOLUME = 'dockside-apt-cache';

/** The caching Debian package proxy every sandbox (and every image build) reaches as `apt:3142`. */
export async function startAptProxy(
  docker: Docker,
  options: { offline: boolean },
): Promise<{ address: string }> {
  const info = await ensureServiceContainer(docker, {
    name: APT_PROXY_CONTAINER,
    image: 'dockside/apt-proxy:latest',
    env: { APT_OFFLINE: options.offline ? '1' : '0' },
    volumes: { [APT_CACHE_VOLUME]: '/var/cache/apt-cacher-ng' },
  });
  const address = bridgeAddress(info);
  await waitFor(
    () =>
      fetch(`http://${address}:3142/acng-report.html`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status < 500,
      ),
    { timeoutMs: 30_000, what: 'the package proxy to answer' },
  );
  return { address };
}

/**
 * Loads the packages lessons install into the proxy's cache (download only), so `RUN apt-get install`
 * works in a sandbox with no uplink. Done once per package list and cache volume.
 */
export async function seedAptProxy(
  docker: Docker,
  options: { packages: string[]; proxyAddress: string; baseImage: string; stateDir: string; say: Say },
): Promise<void> {
  const volume = await ensureVolume(docker, APT_CACHE_VOLUME);
  const stamp = new Stamp(join(options.stateDir, 'stamps', 'apt-seed.json'), {
    packages: createHash('sha256').update(options.packages.join(' ')).digest('hex'),
    volume: volume.generation,
  });
  if (stamp.isCurrent()) return;
  options.say(
    `loading ${options.packages.length} Debian packages into the package proxy (for offline lessons)`,
  );
  const container = await docker.createContainer({
    Image: options.baseImage,
    Cmd: [
      'sh',
      '-c',
      `apt-get update -q && apt-get install -q -y --download-only ${options.packages.join(' ')} 2>&1 | tail -n 5`,
    ],
    Tty: true, // Plain logs, not multiplexed frames.
    Labels: { [LABEL_LAB]: 'dockside' },
    HostConfig: { ExtraHosts: [`apt:${options.proxyAddress}`], AutoRemove: false },
  });
  try {
    await container.start();
    const { StatusCode } = await container.wait();
    const logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
    if (StatusCode !== 0) {
      throw new LabError(ImageBuildFailed, {
        image: 'package proxy seed',
        reason: `apt-get exited with ${StatusCode}: ${tail(logs, 3)}`,
      });
    }
  } finally {
    // Best effort: a seeding failure above is what the operator hears.
    await container.remove({ force: true }).catch(() => undefined);
  }
  stamp.record();
}
