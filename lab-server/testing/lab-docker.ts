import Docker from 'dockerode';
import { inject } from 'vitest';
import { LABEL_LAB, LABEL_TEST } from '../src/protocol/labels.ts';

/** A client on the lab engine the global set-up prepared. */
export function labDocker(): Docker {
  return new Docker({ socketPath: inject('lab').socketPath });
}

/**
 * Resources a test creates, removed at the end whatever happened (`await using`), and labelled so a
 * crashed run's leftovers can be found.
 */
export class TestResources implements AsyncDisposable {
  readonly docker = labDocker();
  readonly labels = { [LABEL_LAB]: 'dockside', [LABEL_TEST]: `${process.pid}` };
  readonly #cleanups: (() => Promise<unknown>)[] = [];

  defer(cleanup: () => Promise<unknown>): void {
    this.#cleanups.push(cleanup);
  }

  async network(name: string, options: { internal?: boolean } = {}): Promise<Docker.Network> {
    const network = await this.docker.createNetwork({
      Name: name,
      Internal: options.internal ?? false,
      Labels: this.labels,
    });
    this.defer(() => network.remove());
    return network;
  }

  async container(options: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    const container = await this.docker.createContainer({
      ...options,
      Labels: { ...options.Labels, ...this.labels },
    });
    this.defer(() => container.remove({ force: true, v: true }));
    await container.start();
    return container;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const cleanup of this.#cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/** Runs a command in a container and returns its exit code and combined output. */
export async function execIn(
  container: Docker.Container,
  cmd: string[],
  options: { privileged?: boolean } = {},
): Promise<{ code: number; output: string }> {
  const exec = await container.exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true, // One plain stream, no multiplexing headers.
    Privileged: options.privileged ?? false,
  });
  const stream = await exec.start({ hijack: true, stdin: false, Tty: true });
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((resolve) => stream.on('end', resolve));
  const { ExitCode } = await exec.inspect();
  return { code: ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
}

/** A short unique name for test resources. */
export const uniqueName = (prefix: string) =>
  `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
