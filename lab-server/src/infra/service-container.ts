import { createHash, randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { LABEL_CONFIG, LABEL_GENERATION, LABEL_LAB, LABEL_ROLE } from '../protocol/labels.ts';

export interface ServiceSpec {
  name: string;
  image: string;
  env?: Record<string, string>;
  /** Named volume → path in the container. */
  volumes?: Record<string, string>;
  /** Container port → loopback port on the host ('' for any free one). */
  loopbackPorts?: Record<string, string>;
  restart?: boolean;
}

/**
 * Makes sure one of the lab's long-running service containers runs with exactly this spec and the
 * current image: reuses it when nothing changed, replaces it otherwise. Returns its inspection.
 */
export async function ensureServiceContainer(
  docker: Docker,
  spec: ServiceSpec,
): Promise<Docker.ContainerInspectInfo> {
  const image = await docker.getImage(spec.image).inspect();
  const digest = createHash('sha256')
    .update(JSON.stringify({ ...spec, imageId: image.Id }))
    .digest('hex');
  const existing = docker.getContainer(spec.name);
  // Not created yet: created below.
  const current = await existing.inspect().catch(() => undefined);
  if (current && current.Config.Labels?.[LABEL_CONFIG] === digest) {
    if (!current.State.Running) await existing.start();
    return existing.inspect();
  }
  if (current) await existing.remove({ force: true });
  for (const volume of Object.keys(spec.volumes ?? {})) await ensureVolume(docker, volume);
  const container = await docker.createContainer({
    name: spec.name,
    Image: spec.image,
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: { [LABEL_LAB]: 'dockside', [LABEL_ROLE]: 'infra', [LABEL_CONFIG]: digest },
    ExposedPorts: Object.fromEntries(Object.keys(spec.loopbackPorts ?? {}).map((p) => [`${p}/tcp`, {}])),
    HostConfig: {
      Binds: Object.entries(spec.volumes ?? {}).map(([volume, path]) => `${volume}:${path}`),
      PortBindings: Object.fromEntries(
        Object.entries(spec.loopbackPorts ?? {}).map(([p, host]) => [
          `${p}/tcp`,
          [{ HostIp: '127.0.0.1', HostPort: host }],
        ]),
      ),
      RestartPolicy: spec.restart === false ? { Name: 'no' } : { Name: 'unless-stopped' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
    },
  });
  await container.start();
  return container.inspect();
}

/**
 * Creates the named volume if missing. Returns its generation: a random label set at creation, so work
 * recorded against a volume (a seeded cache) is redone when the volume is removed and made again.
 * (CreatedAt cannot serve: Docker 20.10 derives it from the folder's modification time.)
 */
export async function ensureVolume(
  docker: Docker,
  name: string,
): Promise<{ name: string; generation: string }> {
  const volume = docker.getVolume(name);
  // Not created yet: created below.
  let found = await volume.inspect().catch(() => undefined);
  if (!found) {
    await docker.createVolume({
      Name: name,
      Labels: { [LABEL_LAB]: 'dockside', [LABEL_ROLE]: 'infra', [LABEL_GENERATION]: randomUUID() },
    });
    found = await volume.inspect();
  }
  return { name, generation: found.Labels?.[LABEL_GENERATION] ?? 'unlabelled' };
}

/** The container's address on the engine's default bridge. */
export function bridgeAddress(info: Docker.ContainerInspectInfo): string {
  const ip = info.NetworkSettings.Networks.bridge?.IPAddress;
  if (!ip) throw new Error(`${info.Name} has no address on the default bridge`);
  return ip;
}

/** The host port a loopback-published container port landed on. */
export function loopbackPort(info: Docker.ContainerInspectInfo, containerPort: string): number {
  const binding = info.NetworkSettings.Ports?.[`${containerPort}/tcp`]?.[0];
  if (!binding) throw new Error(`${info.Name} publishes no port for ${containerPort}`);
  return Number(binding.HostPort);
}
