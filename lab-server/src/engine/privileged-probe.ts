import type Docker from 'dockerode';
import { PrivilegedProbeFailed } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import { LABEL_LAB } from '../protocol/labels.ts';

/**
 * Proves that the engine can run what docker-in-docker nodes need: a privileged container that mounts a
 * filesystem. On hosts that lack a capability Docker asks for, this is where it shows.
 */
export async function probePrivileged(docker: Docker, image: string, missingCaps: string[]): Promise<void> {
  let container: Docker.Container | undefined;
  try {
    container = await docker.createContainer({
      Image: image,
      Cmd: ['sh', '-c', 'mount -t tmpfs probe /mnt && umount /mnt'],
      Labels: { [LABEL_LAB]: 'dockside' },
      HostConfig: { Privileged: true, NetworkMode: 'none' },
    });
    await container.start();
    const { StatusCode } = await container.wait();
    if (StatusCode !== 0) throw new Error(`the probe exited with ${StatusCode}`);
  } catch (err) {
    const reason = ((err as { json?: { message?: string } }).json?.message ?? (err as Error).message).trim();
    throw new LabError(PrivilegedProbeFailed, { reason, missingCaps }, { cause: err });
  } finally {
    // Best effort: the probe is labelled, and a failure above is what the operator hears.
    await container?.remove({ force: true }).catch(() => undefined);
  }
}
