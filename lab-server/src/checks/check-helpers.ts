/**
 * Declarative shortcuts for the common checks. Each returns a Check; a lesson can mix them with code.
 */
import { type Check, type CheckContext, CheckFailure, type CheckNode, fail, pass } from './check-types.ts';

interface ContainerSummary {
  Image: string;
  Names: string[];
  State: string;
  Ports: { PrivatePort: number; PublicPort?: number; Type: string }[];
  Labels: Record<string, string>;
}

/**
 * Whether an image reference names `wanted`: `redis` matches `redis`, `redis:7`, `docker.io/library/redis`
 * and `redis@sha256:...`; `redis:7` matches only that tag, and `redis:latest` an untagged `redis` too.
 */
export const imageMatches = (actual: string, wanted: string) => {
  const strip = (s: string) => s.replace(/^docker\.io\//, '').replace(/^library\//, '');
  const a = strip(actual);
  const w = strip(wanted);
  return (
    a === w ||
    (w.endsWith(':latest') && (a === w.slice(0, -7) || a.startsWith(`${w.slice(0, -7)}@`))) ||
    a === `${w}:latest` ||
    a.startsWith(`${w}@`) ||
    (a.startsWith(`${w}:`) && !w.includes(':'))
  );
};

/** A container's inspect data, or undefined when the node has no container of that name. */
export async function inspectContainer<T>(node: CheckNode, name: string): Promise<T | undefined> {
  return (await node.docker
    .getContainer(name)
    .inspect()
    // No such container: the check says so in its own words.
    .catch(() => undefined)) as T | undefined;
}

/** What every container's inspect data holds; a check widens it with the fields it reads. */
export interface ContainerInspect {
  State: { Running: boolean };
  Config: { Image: string };
  // Open to the other fields a check reads (ReadonlyRootfs, Memory, ...).
  HostConfig: { PortBindings?: Record<string, { HostPort: string }[] | null>; [field: string]: unknown };
}

/**
 * Container `name` on `node`, running and (when `image` is given) from that image. Anything else ends
 * the check with the reason a learner can act on: no such container, another image, or stopped.
 */
export async function runningContainer<T extends ContainerInspect = ContainerInspect>(
  node: CheckNode,
  name: string,
  options: { image?: string; imageName?: string; notRunning?: string } = {},
): Promise<T> {
  const found = await inspectContainer<T>(node, name);
  if (!found)
    throw new CheckFailure(`there is no container named ${name} on ${node.name} (docker ps -a lists them)`);
  if (options.image && !imageMatches(found.Config.Image, options.image)) {
    throw new CheckFailure(
      `container ${name} runs ${found.Config.Image}, ${options.imageName ?? options.image} expected`,
    );
  }
  if (!found.State.Running) {
    throw new CheckFailure(
      options.notRunning ?? `container ${name} exists but is not running (docker logs ${name} says why)`,
    );
  }
  return found;
}

/** Whether a container publishes `hostPort` of its node (for any of its ports, or for `containerPort`). */
export function publishes(container: ContainerInspect, hostPort: number, containerPort?: string): boolean {
  const bindings = container.HostConfig.PortBindings ?? {};
  const wanted = containerPort ? [bindings[containerPort]] : Object.values(bindings);
  return wanted.some((list) => (list ?? []).some((b) => b.HostPort === String(hostPort)));
}

/** Swarm service `name`'s inspect data, read on the manager `node`; ends the check when there is none. */
export async function namedService<T>(node: CheckNode, name: string): Promise<T> {
  const service = await node.docker
    .getService(name)
    .inspect()
    // No such service: said just below.
    .catch(() => undefined);
  if (!service)
    throw new CheckFailure(`there is no service named ${name} (docker service ls lists the services)`);
  return service as T;
}

/** Network `name`'s inspect data on `node`; ends the check when there is none. */
export async function namedNetwork<T extends { Name: string; Driver: string }>(
  node: CheckNode,
  name: string,
): Promise<T> {
  const network = await node.docker
    .getNetwork(name)
    .inspect()
    // No such network: said just below.
    .catch(() => undefined);
  if (network?.Name !== name) {
    throw new CheckFailure(
      `there is no network named ${name} on ${node.name} (docker network ls lists them)`,
    );
  }
  return network as unknown as T;
}

/** A container from `image` runs on `node`, optionally publishing `publishedPort`. */
export function containerRunning(options: {
  node: string;
  image: string;
  publishedPort?: number;
  name?: string;
}): Check {
  return async (lab: CheckContext) => {
    const containers = (await lab
      .node(options.node)
      .docker.listContainers()) as unknown as ContainerSummary[];
    const fromImage = containers.filter(
      (c) => imageMatches(c.Image, options.image) && (!options.name || c.Names.includes(`/${options.name}`)),
    );
    if (fromImage.length === 0) {
      const what = options.name ? `named ${options.name} ` : '';
      return fail(`no running container ${what}from image ${options.image} on ${options.node}`);
    }
    if (options.publishedPort !== undefined) {
      const published = fromImage.some((c) => c.Ports.some((p) => p.PublicPort === options.publishedPort));
      if (!published)
        return fail(
          `a container from ${options.image} runs on ${options.node}, but none publishes port ${options.publishedPort}`,
        );
    }
    return pass(`a container from ${options.image} runs on ${options.node}`);
  };
}

/** Service `name` has `replicas` running tasks, spread over at least `minNodes` nodes. */
export function serviceRunning(options: {
  manager: string;
  name: string;
  replicas: number;
  minNodes?: number;
}): Check {
  return async (lab: CheckContext) => {
    const docker = lab.node(options.manager).docker;
    const services = (await docker.listServices({ filters: { name: [options.name] } })) as {
      ID: string;
      Spec: { Name: string };
    }[];
    const service = services.find((s) => s.Spec.Name === options.name);
    if (!service) return fail(`there is no service named ${options.name}`);
    const tasks = (await docker.listTasks({
      filters: { service: [service.ID], 'desired-state': ['running'] },
    })) as {
      NodeID: string;
      Status: { State: string };
    }[];
    const running = tasks.filter((t) => t.Status.State === 'running');
    if (running.length !== options.replicas) {
      return fail(
        `service ${options.name} has ${running.length} running tasks, ${options.replicas} expected`,
      );
    }
    const nodes = new Set(running.map((t) => t.NodeID)).size;
    if (options.minNodes && nodes < options.minNodes) {
      return fail(
        `service ${options.name} runs on ${nodes} node${nodes === 1 ? '' : 's'}, at least ${options.minNodes} expected`,
      );
    }
    return pass(`service ${options.name} has ${running.length} running tasks on ${nodes} nodes`);
  };
}

/** Image `image` on `node` carries label `key` (with `value` when given). */
export function imageLabelled(options: { node: string; image: string; key: string; value?: string }): Check {
  return async (lab: CheckContext) => {
    const info = await lab
      .node(options.node)
      .docker.getImage(options.image)
      .inspect()
      // No such image: said just below.
      .catch(() => undefined);
    if (!info) return fail(`there is no image ${options.image} on ${options.node}`);
    const labels = info.Config.Labels ?? {};
    if (!(options.key in labels)) return fail(`image ${options.image} has no label ${options.key}`);
    if (options.value !== undefined && labels[options.key] !== options.value) {
      return fail(
        `label ${options.key} of ${options.image} is "${labels[options.key]}", "${options.value}" expected`,
      );
    }
    return pass(`image ${options.image} is labelled ${options.key}=${labels[options.key]}`);
  };
}

/** File `path` on `node` contains `text` (a string or a pattern). */
export function fileContains(options: { node: string; path: string; text: string | RegExp }): Check {
  return async (lab: CheckContext) => {
    const content = await lab.node(options.node).readFile(options.path);
    if (content === undefined) return fail(`${options.path} does not exist on ${options.node}`);
    const found =
      typeof options.text === 'string' ? content.includes(options.text) : options.text.test(content);
    return found
      ? pass(`${options.path} has what it needs`)
      : fail(`${options.path} on ${options.node} does not contain ${String(options.text)}`);
  };
}

/** An HTTP GET from inside `node` to `port` answers `status` (200 by default) with a body containing `text`. */
export function httpAnswers(options: {
  node: string;
  port: number;
  path?: string;
  text?: string | RegExp;
  status?: number;
}): Check {
  return async (lab: CheckContext) => {
    const answer = await lab.eventually(
      () => lab.node(options.node).http(options.port, options.path ?? '/'),
      { timeoutMs: 5000 },
    );
    const where = `port ${options.port} of ${options.node}`;
    if (!answer) return fail(`nothing answers HTTP on ${where}`);
    const status = options.status ?? 200;
    if (answer.status !== status) return fail(`${where} answers HTTP ${answer.status}, ${status} expected`);
    if (options.text !== undefined) {
      const ok =
        typeof options.text === 'string'
          ? answer.body.includes(options.text)
          : options.text.test(answer.body);
      if (!ok) return fail(`${where} answers, but not with ${String(options.text)}`);
    }
    return pass(`${where} answers HTTP ${answer.status}`);
  };
}

/** Every check must pass; the first failure is the reason. */
export function allOf(...checks: Check[]): Check {
  return async (lab) => {
    const reasons: string[] = [];
    for (const check of checks) {
      const result = await check(lab);
      if (!result.passed) return result;
      reasons.push(result.reason);
    }
    return pass(reasons.join('; '));
  };
}
