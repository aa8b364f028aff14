import type Docker from 'dockerode';
import { runCommand } from '../util/run-command.ts';

/** The host interface of a Docker bridge network (`docker0`, `br-<first 12 of its id>`). */
export function bridgeInterface(network: Pick<Docker.NetworkInspectInfo, 'Id' | 'Options'>): string {
  return network.Options?.['com.docker.network.bridge.name'] || `br-${network.Id.slice(0, 12)}`;
}

/**
 * The host interfaces of an engine's own bridge networks. Not `docker0`: every engine on the host
 * shares it, and Docker's default network is not the lab's to remove.
 */
export async function engineBridges(docker: Docker): Promise<string[]> {
  const networks = await docker.listNetworks({ filters: { driver: ['bridge'] } });
  return networks.map(bridgeInterface).filter((name) => name !== 'docker0');
}

/**
 * Deletes the bridges a stopped engine left on the host (dockerd keeps them when it stops), and their
 * routes with them: a dead bridge's route would otherwise shadow a network the host gains later, and
 * move the next lab's sandbox range. The engine makes them again when it starts. Returns those deleted.
 */
export async function removeBridges(names: string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const name of names) {
    if ((await runCommand('ip', ['link', 'show', 'dev', name])).code !== 0) continue; // Already gone.
    if ((await runCommand('ip', ['link', 'delete', 'dev', name])).code === 0) removed.push(name);
  }
  return removed;
}
