import { join } from 'node:path';
import type Docker from 'dockerode';
import type { LabConfig } from '../config.ts';
import type { Say } from '../engine/debian-packages.ts';
import type { LabEngine } from '../engine/lab-engine.ts';
import { probePrivileged } from '../engine/privileged-probe.ts';
import { buildBaseImage } from '../images/base-image.ts';
import { findDebianMirror } from '../images/debian-mirror.ts';
import { buildDockerfileImage } from '../images/dockerfile-build.ts';
import { type PlannedImage, planImages } from '../images/image-plan.ts';
import { loadManifest } from '../images/manifest.ts';
import { LABEL_RECIPE } from '../protocol/labels.ts';
import { seedAptProxy, startAptProxy } from './apt-proxy.ts';
import { seedHubMirror, startHubMirror } from './hub-mirror.ts';

const APT_PROXY_IMAGE = 'dockside/apt-proxy';

export interface ImageStatus {
  name: string;
  tag: string;
  role: PlannedImage['role'];
  id: string;
  /** Names the hub mirror serves it under. */
  publish: string[];
}

export interface PreparedLab {
  images: ImageStatus[];
  aptProxy: { address: string };
  mirror: { address: string };
  /** Seconds spent building images this time (0 when everything was current). */
  buildSeconds: number;
}

/**
 * Brings the lab's images and services to the state the recipes describe: builds what changed (base by
 * debootstrap, the rest by Dockerfile through the package proxy), proves privileged containers work,
 * seeds the package proxy and the hub mirror, and starts both.
 */
export async function prepareLab(engine: LabEngine, config: LabConfig, say: Say): Promise<PreparedLab> {
  const { docker } = engine;
  const manifest = loadManifest(config.sandboxDir);
  const plan = planImages(manifest, config.sandboxDir);
  const stale = await staleImages(docker, plan);
  const started = Date.now();
  if (stale.size > 0) say(`building ${stale.size} of ${plan.length} sandbox images`);

  const base = plan[0] as PlannedImage;
  if (stale.has(base.tag)) {
    await timed(say, base.tag, () =>
      buildBaseImage({
        docker,
        base: manifest.base,
        recipeDir: base.recipeDir,
        workDir: join(config.stateDir, 'build'),
        mirror: findDebianMirror(config.debianMirror),
        hash: base.hash,
        say,
      }),
    );
  }
  await probePrivileged(docker, `${base.tag}:latest`, engine.missingCapabilities);

  const proxyImage = plan.find((p) => p.tag === APT_PROXY_IMAGE);
  if (proxyImage && stale.has(proxyImage.tag)) {
    await timed(say, proxyImage.tag, () => buildDockerfileImage(docker, proxyImage, { say }));
  }
  const aptProxy = await startAptProxy(docker, { offline: config.aptOffline });

  const rest = plan.filter((p) => p.kind === 'dockerfile' && p.tag !== APT_PROXY_IMAGE && stale.has(p.tag));
  await buildInParallel(rest, 2, (image) =>
    timed(say, image.tag, () =>
      buildDockerfileImage(docker, image, { say, extraHosts: [`apt:${aptProxy.address}`] }),
    ),
  );
  const buildSeconds = stale.size > 0 ? (Date.now() - started) / 1000 : 0;

  await seedAptProxy(docker, {
    packages: manifest.aptSeed,
    proxyAddress: aptProxy.address,
    baseImage: `${base.tag}:latest`,
    stateDir: config.stateDir,
    say,
  });
  await seedHubMirror(docker, { images: plan, stateDir: config.stateDir, say });
  const mirror = await startHubMirror(docker, config.mirrorMode);

  const images = await Promise.all(
    plan.map(async (p) => ({
      name: p.tag,
      tag: 'latest',
      role: p.role,
      id: (await docker.getImage(`${p.tag}:latest`).inspect()).Id,
      publish: p.publish,
    })),
  );
  return { images, aptProxy, mirror, buildSeconds };
}

/** Images whose recipe changed since they were built, or that are missing. */
async function staleImages(docker: Docker, plan: PlannedImage[]): Promise<Set<string>> {
  const stale = new Set<string>();
  for (const image of plan) {
    const info = await docker
      .getImage(`${image.tag}:latest`)
      .inspect()
      // Not built yet: stale, so built.
      .catch(() => undefined);
    if (info?.Config.Labels?.[LABEL_RECIPE] !== image.hash) stale.add(image.tag);
  }
  return stale;
}

/** Runs builds `limit` at a time, each only after its parents are built. */
async function buildInParallel(
  images: PlannedImage[],
  limit: number,
  build: (image: PlannedImage) => Promise<void>,
): Promise<void> {
  const pending = new Map(images.map((i) => [i.tag, i]));
  const running = new Map<string, Promise<void>>();
  let failure: unknown;
  while ((pending.size > 0 || running.size > 0) && !failure) {
    for (const image of pending.values()) {
      if (running.size >= limit) break;
      if (image.parents.some((p) => pending.has(p) || running.has(p))) continue;
      pending.delete(image.tag);
      running.set(
        image.tag,
        build(image)
          .catch((err) => {
            failure ??= err;
          })
          .finally(() => running.delete(image.tag)),
      );
    }
    if (running.size === 0 && pending.size > 0) break;
    await Promise.race(running.values());
  }
  await Promise.all(running.values());
  if (failure) throw failure;
}

async function timed(say: Say, what: string, work: () => Promise<void>): Promise<void> {
  const t0 = Date.now();
  say(`building ${what}…`);
  await work();
  say(`built ${what} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
