import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { attachLabServices, detachLabServices } from '../infra/lab-services.ts';
import type { PublishedPort } from '../protocol/api.ts';
import { ANY_LAB, isLabs, LABEL_NODE, LABEL_ROLE, LABEL_SESSION, sessionLabels } from '../protocol/labels.ts';
import { type Cidr, contains, formatCidr, type HostRoute, parseCidr } from '../util/ipv4.ts';
import { phaseClock } from '../util/phase-clock.ts';
import { waitFor } from '../util/wait-for.ts';
import type { NodeDisks } from './node-disks.ts';
import { execInContainer, isNotRunningError } from './node-exec.ts';
import {
  type LabelledSandbox,
  type NodeEvent,
  NodeNotRunningError,
  type NodeStatus,
  type ProvisionedNode,
  type Provisioner,
  type SwarmMemberRef,
} from './provisioner.ts';
import { freeSubnet, RANGE_CANDIDATES } from './sandbox-range.ts';
import { forgetNode, formSwarm, joinAsWorker } from './swarm.ts';

/** What one node may use; enforced by the engine (cgroups). */
export interface NodeLimits {
  memoryBytes: number;
  /** CPU time in units of 1e-9 CPUs (1e9 = one core). */
  nanoCpus: number;
  pids: number;
  /** Open files per process (RLIMIT_NOFILE) inside the node. */
  openFiles?: number;
}

/** How node containers run (from the security profile): privileged under the lab's wrapper, or Sysbox. */
export interface NodeRuntimeOptions {
  runtime?: string;
  privileged: boolean;
  /** The cgroup nodes are created under (a device fence on cgroup v1, node-cgroup.ts). */
  cgroupParent?: string;
}

/** This process's hard RLIMIT_NOFILE, which the engine it started shares. */
function hardOpenFilesLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const hard = Number(line?.trim().split(/\s+/)[4]);
    return Number.isFinite(hard) && hard > 0 ? hard : 65_536;
  } catch {
    // No /proc: the usual default.
    return 65_536;
  }
}

const nodeContainerName = (sessionId: string, node: string) => `dockside-${sessionId}-${node}`;
const nodeVolumeName = (sessionId: string, node: string) => `dockside-${sessionId}-${node}-docker`;

/**
 * Makes sandboxes out of Docker objects: one internal network per session (with the hub mirror and
 * the package proxy attached), and privileged docker-in-docker node containers whose inner engine
 * socket is bind-mounted to the host, so the lab speaks to each node's engine directly.
 */
export class DockerProvisioner implements Provisioner {
  readonly docker: Docker;
  readonly #stateDir: string;
  readonly #image: string;
  readonly #limits: NodeLimits;
  readonly #mirror: string;
  readonly #runtime: NodeRuntimeOptions;
  readonly #openFiles: number;
  readonly #disks: NodeDisks | undefined;
  readonly #labId: string;
  readonly #range: Cidr;
  readonly #hostRoutes: () => HostRoute[];
  #networkQueue: Promise<unknown> = Promise.resolve();

  constructor(options: {
    docker: Docker;
    stateDir: string;
    nodeImage: string;
    limits: NodeLimits;
    mirrorUrl?: string;
    runtime?: NodeRuntimeOptions;
    /** Each node's /var/lib/docker on a file system of its own size (node-disks.ts); else a volume. */
    disks?: NodeDisks;
    /** Where session networks take their /24s (sandbox-range.ts). */
    sandboxRange?: Cidr;
    /** The routes of the host the engine runs on; none known for a remote engine. */
    hostRoutes?: () => HostRoute[];
    /** The lab's id, on every resource it makes (another lab may share the engine). */
    labId?: string;
  }) {
    this.#labId = options.labId ?? ANY_LAB;
    this.#range = options.sandboxRange ?? (RANGE_CANDIDATES[0] as Cidr);
    this.#hostRoutes = options.hostRoutes ?? (() => []);
    this.#disks = options.disks;
    this.#runtime = options.runtime ?? { privileged: true };
    // Without CAP_SYS_RESOURCE (missing on some hosts) a limit can only be lowered, never raised.
    this.#openFiles = Math.min(options.limits.openFiles ?? 65_536, hardOpenFilesLimit());
    this.docker = options.docker;
    this.#stateDir = options.stateDir;
    this.#image = options.nodeImage;
    this.#limits = options.limits;
    this.#mirror = options.mirrorUrl ?? 'http://mirror:5000';
  }

  /**
   * The folder on the host where a node's inner engine puts its socket. A unix socket path holds at
   * most 107 bytes, so the folder is named by the id's first 64 bits (sessions made before were 64-bit).
   */
  socketDir(sessionId: string, node: string): string {
    return join(this.#stateDir, 'sessions', sessionId.slice(0, 16), node);
  }

  /** A client for the Docker engine inside a node. */
  nodeEngine(sessionId: string, node: string): Docker {
    return new Docker({ socketPath: join(this.socketDir(sessionId, node), 'docker.sock') });
  }

  /**
   * Each session gets a /24 of its own from the sandbox range (sandbox-range.ts: 4096 of them in the
   * default 10.96.0.0/12), clear of the host's own networks and of what engines inside nodes use.
   */
  async createNetwork(sessionId: string): Promise<string> {
    const id = await this.#allocateNetwork(sessionId);
    await attachLabServices(this.docker, id);
    return id;
  }

  /**
   * Picks a free /24 and creates the network, one session at a time in this process: a room of
   * learners pressing Start together would otherwise all pick the same subnet. Another lab process on
   * the same engine can still race us, hence the retries on "overlaps".
   */
  #allocateNetwork(sessionId: string): Promise<string> {
    const run = this.#networkQueue.then(async () => {
      let last = '';
      for (let attempt = 0; attempt < 10; attempt++) {
        // Another lab on this engine may be creating the /24 we saw free (the engine reserves it before
        // listing it): after a first clash, pick among several free ones, a moment later.
        if (attempt > 0) await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
        const subnet = await this.#freeSubnet(attempt === 0 ? 1 : 8);
        try {
          const network = await this.docker.createNetwork({
            Name: `dockside-${sessionId}`,
            // Internal: nodes reach each other and the lab's services, and nothing else.
            Internal: true,
            Attachable: true,
            IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: subnet.replace(/0\/24$/, '1') }] },
            Labels: sessionLabels(sessionId, this.#labId, { [LABEL_ROLE]: 'session-network' }),
          });
          return network.id;
        } catch (err) {
          last = String((err as { json?: { message?: string } }).json?.message ?? err);
          if (!/overlap/i.test(last)) throw err;
          last = `${subnet}: ${last}`;
        }
      }
      throw new Error(`no free subnet for the session network after 10 attempts (the last: ${last})`);
    });
    // The queue only orders allocations; each failure is its caller's, delivered by `run`.
    this.#networkQueue = run.catch(() => undefined);
    return run;
  }

  /** Where session networks take their /24s. */
  get sandboxRange(): Cidr {
    return this.#range;
  }

  async #freeSubnet(spread: number): Promise<string> {
    const networks = await this.docker.listNetworks();
    return formatCidr(freeSubnet(this.#range, networks, this.#hostRoutes(), spread));
  }

  async createNode(sessionId: string, networkId: string, name: string): Promise<ProvisionedNode> {
    const { phases, done } = phaseClock();
    const socketDir = this.socketDir(sessionId, name);
    mkdirSync(socketDir, { recursive: true });
    let dockerStorage: string;
    if (this.#disks) {
      dockerStorage = await this.#disks.create(sessionId, name);
    } else {
      dockerStorage = nodeVolumeName(sessionId, name);
      await this.docker.createVolume({
        Name: dockerStorage,
        Labels: sessionLabels(sessionId, this.#labId, { [LABEL_NODE]: name, [LABEL_ROLE]: 'node-volume' }),
      });
    }
    done('disk');
    const container = await this.#createNodeContainer(sessionId, name, {
      name: nodeContainerName(sessionId, name),
      Hostname: name,
      Image: this.#image,
      Env: [`DOCKSIDE_MIRROR=${this.#mirror}`],
      Labels: sessionLabels(sessionId, this.#labId, { [LABEL_NODE]: name, [LABEL_ROLE]: 'node' }),
      HostConfig: {
        Privileged: this.#runtime.privileged,
        ...(this.#runtime.runtime ? { Runtime: this.#runtime.runtime } : {}),
        ...(this.#runtime.cgroupParent ? { CgroupParent: this.#runtime.cgroupParent } : {}),
        // A cgroup namespace of its own: nested containers' cgroups are created under the node's, so
        // the node's memory, CPU and pids limits bound them too, and a cgroup v1 hierarchy mounted from
        // the node is rooted at the node's own cgroup (no host release_agent to write).
        ...({ CgroupnsMode: 'private' } as object), // API 1.41; missing from @types/dockerode.
        NetworkMode: networkId,
        Binds: [`${dockerStorage}:/var/lib/docker`, `${socketDir}:/run/dockside`],
        Memory: this.#limits.memoryBytes,
        MemorySwap: this.#limits.memoryBytes, // No swap beyond the memory limit.
        NanoCpus: this.#limits.nanoCpus,
        PidsLimit: this.#limits.pids,
        Ulimits: [{ Name: 'nofile', Soft: this.#openFiles, Hard: this.#openFiles }],
        LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
      },
      NetworkingConfig: { EndpointsConfig: { [networkId]: { Aliases: [name] } } },
    });
    done('create');
    await container.start();
    done('start');
    const address = await this.nodeAddress(container.id);
    done('address');
    return { name, containerId: container.id, address, phases };
  }

  /** Creates a node container; if the engine refuses, the node's disk made for it goes too. */
  async #createNodeContainer(sessionId: string, name: string, spec: Docker.ContainerCreateOptions) {
    try {
      return await this.docker.createContainer(spec);
    } catch (err) {
      // The engine's refusal below is what the learner hears; a disk left over is removed with the sandbox.
      await this.#disks?.remove(sessionId, name).catch(() => undefined);
      throw err;
    }
  }

  async nodeAddress(containerId: string): Promise<string> {
    const info = await this.docker.getContainer(containerId).inspect();
    const networks = Object.values(info.NetworkSettings.Networks);
    return networks[0]?.IPAddress ?? '';
  }

  /** Waits until the engine inside a node answers; a node is not ready before that. */
  async waitForNodeEngine(sessionId: string, node: string, timeoutMs = 60_000): Promise<void> {
    const engine = this.nodeEngine(sessionId, node);
    await waitFor(() => engine.ping().then(() => true), {
      timeoutMs,
      what: `the Docker engine on ${node}`,
      intervalMs: 25,
    });
  }

  async removeNode(sessionId: string, name: string): Promise<void> {
    await this.docker
      .getContainer(nodeContainerName(sessionId, name))
      .remove({ force: true, v: true })
      .catch(ignoreMissing);
    await this.docker.getVolume(nodeVolumeName(sessionId, name)).remove().catch(ignoreMissing);
    await this.#disks?.remove(sessionId, name);
    rmSync(this.socketDir(sessionId, name), { recursive: true, force: true });
  }

  /** Mounts a node's disk if it is not (after a host restart), before the node starts. */
  async mountNodeDisk(sessionId: string, name: string): Promise<void> {
    await this.#disks?.ensureMounted(sessionId, name);
  }

  /** Starts a stopped node (after an engine or host restart), its disk mounted first. */
  async startNode(sessionId: string, name: string, containerId: string): Promise<void> {
    await this.mountNodeDisk(sessionId, name);
    await this.docker
      .getContainer(containerId)
      .start()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304) throw err; // 304: already running.
      });
  }

  async engineAnswers(sessionId: string, name: string): Promise<boolean> {
    return this.nodeEngine(sessionId, name)
      .ping()
      .then(
        () => true,
        () => false,
      );
  }

  async restartNode(sessionId: string, name: string, containerId: string): Promise<void> {
    await this.mountNodeDisk(sessionId, name);
    await this.docker.getContainer(containerId).restart({ t: 5 });
  }

  async killNode(containerId: string): Promise<void> {
    await this.docker
      .getContainer(containerId)
      .kill()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 409) throw err; // 409: already stopped.
      });
  }

  async pauseNode(containerId: string): Promise<void> {
    await this.docker.getContainer(containerId).pause();
  }

  async unpauseNode(containerId: string): Promise<void> {
    await this.docker.getContainer(containerId).unpause();
  }

  async nodeStatus(containerId: string): Promise<NodeStatus | undefined> {
    const info = await this.docker
      .getContainer(containerId)
      .inspect()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode === 404) return undefined;
        throw err;
      });
    if (!info) return undefined;
    const address = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress ?? '';
    return { running: info.State.Running, status: info.State.Status, address };
  }

  async exec(
    containerId: string,
    node: string,
    argv: string[],
    options: { timeoutMs: number; stdin?: string },
  ) {
    try {
      return await execInContainer(this.docker.getContainer(containerId), argv, { node, ...options });
    } catch (err) {
      if (isNotRunningError(err)) throw new NodeNotRunningError(node, { cause: err });
      throw err;
    }
  }

  async publishedPorts(sessionId: string, name: string): Promise<PublishedPort[]> {
    const inner = await this.nodeEngine(sessionId, name).listContainers();
    const ports = inner.flatMap((c) =>
      c.Ports.filter((p) => p.PublicPort && p.Type === 'tcp').map((p) => ({
        port: p.PublicPort,
        container: (c.Names[0] ?? c.Id).replace(/^\//, ''),
        image: c.Image,
      })),
    );
    return ports.filter((p, i) => ports.findIndex((q) => q.port === p.port) === i);
  }

  #member(sessionId: string, ref: SwarmMemberRef) {
    return { ...ref, engine: this.nodeEngine(sessionId, ref.name) };
  }

  async formSwarm(sessionId: string, managers: SwarmMemberRef[], workers: SwarmMemberRef[]): Promise<void> {
    await formSwarm(
      managers.map((m) => this.#member(sessionId, m)),
      workers.map((w) => this.#member(sessionId, w)),
    );
  }

  async joinSwarm(sessionId: string, manager: SwarmMemberRef, worker: SwarmMemberRef): Promise<void> {
    await joinAsWorker(this.#member(sessionId, manager), this.#member(sessionId, worker));
  }

  async forgetSwarmNode(sessionId: string, manager: SwarmMemberRef, name: string): Promise<void> {
    await forgetNode(this.#member(sessionId, manager), name);
  }

  async watchNodeEvents(onEvent: (event: NodeEvent) => void, onEnd: () => void): Promise<() => void> {
    const stream = (await this.docker.getEvents({
      filters: { type: ['container'], label: [LABEL_SESSION], event: ['start', 'die', 'oom'] },
    })) as NodeJS.ReadableStream & { destroy?: () => void };
    let closed = false;
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        let e: { id: string; status: string; Actor: { Attributes: Record<string, string> } };
        try {
          e = JSON.parse(line);
        } catch {
          continue; // A line that is not an event.
        }
        // Another lab's node on a shared engine is that lab's to watch.
        if (!isLabs(e.Actor.Attributes, this.#labId)) continue;
        const sessionId = e.Actor.Attributes[LABEL_SESSION];
        const node = e.Actor.Attributes[LABEL_NODE];
        if (!sessionId || !node || !['start', 'die', 'oom'].includes(e.status)) continue;
        const exitCode = e.Actor.Attributes.exitCode;
        onEvent({
          sessionId,
          node,
          containerId: e.id,
          status: e.status as NodeEvent['status'],
          ...(exitCode ? { exitCode: Number(exitCode) } : {}),
        });
      }
    });
    const ended = () => {
      if (closed) return; // Closed on purpose: no outage to report.
      closed = true;
      onEnd();
    };
    stream.on('error', ended);
    stream.on('end', ended);
    stream.on('close', ended);
    return () => {
      closed = true;
      stream.destroy?.();
    };
  }

  nodeContainer(containerId: string): Docker.Container {
    return this.docker.getContainer(containerId);
  }

  /** How full a node's /var/lib/docker is, when it has a disk of its own. */
  diskUsage(sessionId: string, name: string) {
    return this.#disks?.usage(sessionId, name);
  }

  /** Removes everything labelled with the session: containers, volumes, the network, socket folders. */
  async destroySandbox(sessionId: string): Promise<void> {
    const label = `${LABEL_SESSION}=${sessionId}`;
    const containers = await this.docker.listContainers({ all: true, filters: { label: [label] } });
    await Promise.all(
      containers.map((c) =>
        this.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreMissing),
      ),
    );
    const { Volumes } = await this.docker.listVolumes({ filters: { label: [label] } });
    await Promise.all(
      (Volumes ?? []).map((v) => this.docker.getVolume(v.Name).remove().catch(ignoreMissing)),
    );
    const networks = await this.docker.listNetworks({ filters: { label: [label] } });
    for (const network of networks) {
      await detachLabServices(this.docker, network.Id);
      await this.docker.getNetwork(network.Id).remove().catch(ignoreMissing);
    }
    await this.#disks?.removeSession(sessionId);
    rmSync(join(this.#stateDir, 'sessions', sessionId.slice(0, 16)), { recursive: true, force: true });
  }

  /** Every sandbox of this lab's that the engine holds, grouped by session label (another lab's stay). */
  async listSandboxes(): Promise<LabelledSandbox[]> {
    const filters = { label: [LABEL_SESSION] };
    const mine = <T extends { Labels?: Record<string, string> | null }>(list: T[]) =>
      list.filter((r) => isLabs(r.Labels ?? undefined, this.#labId));
    const [containers, networks, volumes] = await Promise.all([
      this.docker.listContainers({ all: true, filters }).then(mine),
      this.docker.listNetworks({ filters }).then(mine),
      this.docker.listVolumes({ filters }).then((v) => mine(v.Volumes ?? [])),
    ]);
    const byId = new Map<string, LabelledSandbox>();
    const entry = (id: string) => {
      let found = byId.get(id);
      if (!found) {
        found = { sessionId: id, containers: [], networks: [], volumes: [], unfenced: false };
        byId.set(id, found);
      }
      return found;
    };
    for (const c of containers) {
      const id = c.Labels[LABEL_SESSION];
      if (id)
        entry(id).containers.push({
          id: c.Id,
          node: c.Labels[LABEL_NODE] ?? '',
          running: c.State === 'running',
        });
    }
    for (const n of networks) {
      const id = n.Labels?.[LABEL_SESSION];
      if (!id) continue;
      const sandbox = entry(id);
      sandbox.networks.push(n.Id);
      const subnets = (n.IPAM?.Config ?? []).map((c: { Subnet?: string }) => parseCidr(c.Subnet ?? ''));
      if (subnets.some((c) => !c || !contains(this.#range, c))) sandbox.unfenced = true;
    }
    for (const v of volumes) {
      const id = v.Labels?.[LABEL_SESSION];
      if (id) entry(id).volumes.push(v.Name);
    }
    // Disks whose node container never came (a lab killed in between) belong to a sandbox too.
    for (const id of this.#disks?.sessions() ?? []) entry(id);
    return [...byId.values()];
  }
}

function ignoreMissing(err: { statusCode?: number }): void {
  if (err?.statusCode !== 404 && err?.statusCode !== 409) throw err;
}
