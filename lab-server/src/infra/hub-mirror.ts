import { join } from 'node:path';
import type Docker from 'dockerode';
import type { MirrorMode } from '../config.ts';
import type { Say } from '../engine/debian-packages.ts';
import { ImageBuildFailed } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import type { PlannedImage } from '../images/image-plan.ts';
import { waitFor } from '../util/wait-for.ts';
import { bridgeAddress, ensureServiceContainer, ensureVolume, loopbackPort } from './service-container.ts';
import { Stamp } from './stamp.ts';

export const MIRROR_CONTAINER = 'dockside-mirror';
export const MIRROR_SEED_CONTAINER = 'dockside-mirror-seed';
export const MIRROR_VOLUME = 'dockside-mirror-data';
const MIRROR_IMAGE = 'dockside/mirror:latest';

/**
 * Pushes every lesson image into the mirror's storage under its published names (library/nginx:latest),
 * through a short-lived writable registry on the host's loopback. Skipped when the same images were
 * already pushed into the same volume.
 */
export async function seedHubMirror(
  docker: Docker,
  options: { images: PlannedImage[]; stateDir: string; say: Say },
): Promise<void> {
  const published = options.images.filter((i) => i.publish.length > 0);
  const volume = await ensureVolume(docker, MIRROR_VOLUME);
  const stamp = new Stamp(join(options.stateDir, 'stamps', 'mirror-seed.json'), {
    images: published.map((i) => [i.tag, i.hash, i.publish]),
    volume: volume.generation,
  });
  if (stamp.isCurrent()) return;
  // One writer at a time: the read-only mirror is stopped while the seeder writes.
  await docker
    .getContainer(MIRROR_CONTAINER)
    .remove({ force: true })
    // Not running yet on a first start.
    .catch(() => undefined);
  const seeder = await ensureServiceContainer(docker, {
    name: MIRROR_SEED_CONTAINER,
    image: MIRROR_IMAGE,
    env: { MIRROR_MODE: 'seed' },
    volumes: { [MIRROR_VOLUME]: '/var/lib/docker-registry' },
    loopbackPorts: { '5000': '' },
    restart: false,
  });
  try {
    const registry = `127.0.0.1:${loopbackPort(seeder, '5000')}`;
    await waitFor(() => fetch(`http://${registry}/v2/`).then((r) => r.ok), {
      timeoutMs: 30_000,
      what: 'the mirror seeder to answer',
    });
    const total = published.reduce((n, i) => n + i.publish.length, 0);
    let done = 0;
    for (const image of published) {
      for (const name of image.publish) {
        done++;
        options.say(`publishing ${name} in the hub mirror (${done}/${total})`);
        await pushAs(docker, `${image.tag}:latest`, `${registry}/${name}`);
      }
    }
  } finally {
    await docker
      .getContainer(MIRROR_SEED_CONTAINER)
      .remove({ force: true })
      // Best effort: a seeding failure above is what the operator hears.
      .catch(() => undefined);
  }
  stamp.record();
}

async function pushAs(docker: Docker, source: string, target: string): Promise<void> {
  const [repo, tag] = splitTag(target);
  await docker.getImage(source).tag({ repo, tag });
  try {
    // The engine requires an X-Registry-Auth header even for a registry that needs no login.
    const stream = await docker.getImage(target).push({ authconfig: { serveraddress: repo.split('/')[0] } });
    await new Promise<void>((resolve, reject) => {
      let error: string | undefined;
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (error || err ? reject(new Error(error ?? err?.message)) : resolve()),
        (msg: { error?: string }) => {
          if (msg.error) error = msg.error;
        },
      );
    });
  } catch (err) {
    throw new LabError(
      ImageBuildFailed,
      { image: source, reason: `pushing it to the mirror as ${target} failed: ${(err as Error).message}` },
      { cause: err },
    );
  } finally {
    await docker
      .getImage(target)
      .remove({ noprune: true })
      // The temporary tag may already be gone; the image stays under its own name.
      .catch(() => undefined);
  }
}

function splitTag(ref: string): [string, string] {
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
}

/** Starts the mirror that sandboxes pull from (read-only, or a pull-through cache of Docker Hub). */
export async function startHubMirror(docker: Docker, mode: MirrorMode): Promise<{ address: string }> {
  const info = await ensureServiceContainer(docker, {
    name: MIRROR_CONTAINER,
    image: MIRROR_IMAGE,
    env: { MIRROR_MODE: mode },
    volumes: { [MIRROR_VOLUME]: '/var/lib/docker-registry' },
  });
  const address = bridgeAddress(info);
  await waitFor(
    () => fetch(`http://${address}:5000/v2/`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok),
    {
      timeoutMs: 30_000,
      what: 'the hub mirror to answer',
    },
  );
  return { address };
}
