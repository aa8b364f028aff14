import type Docker from 'dockerode';
import { APT_PROXY_CONTAINER } from './apt-proxy.ts';
import { MIRROR_CONTAINER } from './hub-mirror.ts';

/** The lab's shared services and the names sandboxes know them by. */
export const LAB_SERVICES = [
  { container: MIRROR_CONTAINER, alias: 'mirror' },
  { container: APT_PROXY_CONTAINER, alias: 'apt' },
] as const;

/**
 * Connects the hub mirror and the package proxy to a sandbox network, so its nodes reach them as
 * `mirror` and `apt` while the network stays internal (no route anywhere else).
 */
export async function attachLabServices(docker: Docker, networkId: string): Promise<void> {
  const network = docker.getNetwork(networkId);
  for (const { container, alias } of LAB_SERVICES) {
    await network.connect({ Container: container, EndpointConfig: { Aliases: [alias] } }).catch((err) => {
      // Already connected (an adopted sandbox) is fine; anything else is not.
      if (!/already exists/.test(String(err?.json?.message ?? err))) throw err;
    });
  }
}

/** Disconnects the shared services, so the sandbox network can be removed. */
export async function detachLabServices(docker: Docker, networkId: string): Promise<void> {
  const network = docker.getNetwork(networkId);
  for (const { container } of LAB_SERVICES) {
    // Not attached (a sandbox that failed halfway): nothing to detach.
    await network.disconnect({ Container: container, Force: true }).catch(() => undefined);
  }
}

/** Starts the shared services if they are stopped (after an engine restart). */
export async function startLabServices(docker: Docker): Promise<void> {
  for (const { container } of LAB_SERVICES) {
    await docker
      .getContainer(container)
      .start()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304) throw err; // 304: already running.
      });
  }
}
