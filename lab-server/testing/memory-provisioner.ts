import type Docker from 'dockerode';
import type { PublishedPort } from '../src/protocol/api.ts';
import type { ExecResult } from '../src/sessions/node-exec.ts';
import {
  type DiskUsage,
  type LabelledSandbox,
  type NodeEvent,
  NodeNotRunningError,
  type NodeStatus,
  type ProvisionedNode,
  type Provisioner,
  type SwarmMemberRef,
} from '../src/sessions/provisioner.ts';

interface MemoryNode {
  sessionId: string;
  name: string;
  containerId: string;
  address: string;
  status: 'running' | 'exited' | 'paused';
}

/**
 * An engine kept in memory, for the session state machine's unit tests: networks, nodes and a Swarm
 * per session, node events, and failures on demand. It models what SessionManager relies on, not
 * Docker; the real engine is tested by the *.docker.test.ts files.
 */
export class MemoryProvisioner implements Provisioner {
  readonly networks = new Map<string, string>();
  readonly nodes = new Map<string, MemoryNode>();
  readonly swarms = new Map<string, { managers: string[]; workers: string[] }>();
  /** Every call made, in order ("createNode s1 node2"), for tests that check what was asked. */
  readonly calls: string[] = [];
  /** The createNode call (counted from 1) that fails, to test a creation failing halfway. */
  failCreateNodeAt: number | undefined;
  /** Published ports each node reports, by container id. */
  readonly ports = new Map<string, PublishedPort[]>();
  #creates = 0;
  #ids = 0;
  #subnets = 0;
  readonly #watchers = new Set<{ onEvent: (e: NodeEvent) => void; onEnd: () => void }>();

  async createNetwork(sessionId: string): Promise<string> {
    this.calls.push(`createNetwork ${sessionId}`);
    const id = `net-${++this.#ids}`;
    this.networks.set(id, sessionId);
    return id;
  }

  async createNode(sessionId: string, networkId: string, name: string): Promise<ProvisionedNode> {
    this.calls.push(`createNode ${sessionId} ${name}`);
    if (++this.#creates === this.failCreateNodeAt) throw new Error(`${name} could not be created`);
    if (this.networks.get(networkId) !== sessionId) throw new Error(`no network ${networkId}`);
    const containerId = `c-${++this.#ids}`;
    const address = `10.96.${this.#subnets++ % 250}.${Number(name.slice(4)) + 1}`;
    this.nodes.set(containerId, { sessionId, name, containerId, address, status: 'running' });
    this.#emit(containerId, 'start');
    return { name, containerId, address };
  }

  async waitForNodeEngine(sessionId: string, name: string): Promise<void> {
    if (!(await this.engineAnswers(sessionId, name)))
      throw new Error(`the engine on ${name} does not answer`);
  }

  async engineAnswers(sessionId: string, name: string): Promise<boolean> {
    return this.#find(sessionId, name)?.status === 'running';
  }

  async startNode(sessionId: string, name: string, containerId: string): Promise<void> {
    this.calls.push(`startNode ${sessionId} ${name}`);
    const node = this.#require(containerId);
    if (node.status === 'running') return;
    node.status = 'running';
    this.#emit(containerId, 'start');
  }

  async restartNode(sessionId: string, name: string, containerId: string): Promise<void> {
    this.calls.push(`restartNode ${sessionId} ${name}`);
    const node = this.#require(containerId);
    if (node.status === 'running') this.#emit(containerId, 'die', 0);
    node.status = 'running';
    this.#emit(containerId, 'start');
  }

  async killNode(containerId: string): Promise<void> {
    this.calls.push(`killNode ${containerId}`);
    this.stop(containerId, 137);
  }

  async pauseNode(containerId: string): Promise<void> {
    this.#require(containerId).status = 'paused';
  }

  async unpauseNode(containerId: string): Promise<void> {
    this.#require(containerId).status = 'running';
  }

  async removeNode(sessionId: string, name: string): Promise<void> {
    this.calls.push(`removeNode ${sessionId} ${name}`);
    const node = this.#find(sessionId, name);
    if (node) this.nodes.delete(node.containerId);
  }

  async nodeStatus(containerId: string): Promise<NodeStatus | undefined> {
    const node = this.nodes.get(containerId);
    if (!node) return undefined;
    return { running: node.status === 'running', status: node.status, address: node.address };
  }

  async exec(containerId: string, node: string, argv: string[]): Promise<ExecResult> {
    if (this.nodes.get(containerId)?.status !== 'running') throw new NodeNotRunningError(node);
    return { exitCode: 0, stdout: `${argv.join(' ')}\n`, stderr: '', truncated: false, durationMs: 1 };
  }

  async publishedPorts(_sessionId: string, name: string): Promise<PublishedPort[]> {
    const node = [...this.nodes.values()].find((n) => n.name === name);
    return (node && this.ports.get(node.containerId)) ?? [];
  }

  async formSwarm(sessionId: string, managers: SwarmMemberRef[], workers: SwarmMemberRef[]): Promise<void> {
    this.calls.push(`formSwarm ${sessionId} ${managers.map((m) => m.name)} / ${workers.map((w) => w.name)}`);
    this.swarms.set(sessionId, {
      managers: managers.map((m) => m.name),
      workers: workers.map((w) => w.name),
    });
  }

  async joinSwarm(sessionId: string, manager: SwarmMemberRef, worker: SwarmMemberRef): Promise<void> {
    this.calls.push(`joinSwarm ${sessionId} ${worker.name} via ${manager.name}`);
    this.swarms.get(sessionId)?.workers.push(worker.name);
  }

  async forgetSwarmNode(sessionId: string, manager: SwarmMemberRef, name: string): Promise<void> {
    this.calls.push(`forgetSwarmNode ${sessionId} ${name} via ${manager.name}`);
    const swarm = this.swarms.get(sessionId);
    if (swarm) swarm.workers = swarm.workers.filter((w) => w !== name);
  }

  diskUsage(): DiskUsage | undefined {
    return undefined;
  }

  async listSandboxes(): Promise<LabelledSandbox[]> {
    const byId = new Map<string, LabelledSandbox>();
    const entry = (sessionId: string) => {
      let found = byId.get(sessionId);
      if (!found) {
        found = { sessionId, containers: [], networks: [], volumes: [], unfenced: false };
        byId.set(sessionId, found);
      }
      return found;
    };
    for (const n of this.nodes.values())
      entry(n.sessionId).containers.push({
        id: n.containerId,
        node: n.name,
        running: n.status === 'running',
      });
    for (const [id, sessionId] of this.networks) entry(sessionId).networks.push(id);
    return [...byId.values()];
  }

  async destroySandbox(sessionId: string): Promise<void> {
    this.calls.push(`destroySandbox ${sessionId}`);
    for (const [id, n] of this.nodes) if (n.sessionId === sessionId) this.nodes.delete(id);
    for (const [id, s] of this.networks) if (s === sessionId) this.networks.delete(id);
    this.swarms.delete(sessionId);
  }

  async watchNodeEvents(onEvent: (event: NodeEvent) => void, onEnd: () => void): Promise<() => void> {
    const watcher = { onEvent, onEnd };
    this.#watchers.add(watcher);
    return () => {
      this.#watchers.delete(watcher);
    };
  }

  nodeEngine(): Docker {
    throw new Error('an engine kept in memory has no Docker API');
  }

  nodeContainer(): Docker.Container {
    throw new Error('an engine kept in memory has no Docker API');
  }

  // --- what tests do to the engine ---

  /** A node stops by itself (a crash, an OOM kill when `oom`). */
  stop(containerId: string, exitCode = 1, oom = false): void {
    const node = this.#require(containerId);
    if (node.status !== 'running') return;
    node.status = 'exited';
    if (oom) this.#emit(containerId, 'oom');
    this.#emit(containerId, 'die', exitCode);
  }

  /** The engine goes away: every node stops and the event streams end. */
  crash(): void {
    for (const n of this.nodes.values()) n.status = 'exited';
    for (const w of [...this.#watchers]) {
      this.#watchers.delete(w);
      w.onEnd();
    }
  }

  /** Adds a sandbox as an earlier lab left it (for reconcile). */
  leftover(sessionId: string, names: string[], running = true): string[] {
    const net = `net-${++this.#ids}`;
    this.networks.set(net, sessionId);
    return names.map((name) => {
      const containerId = `c-${++this.#ids}`;
      this.nodes.set(containerId, {
        sessionId,
        name,
        containerId,
        address: `10.97.0.${Number(name.slice(4)) + 1}`,
        status: running ? 'running' : 'exited',
      });
      return containerId;
    });
  }

  #emit(containerId: string, status: NodeEvent['status'], exitCode?: number): void {
    const node = this.#require(containerId);
    const event: NodeEvent = {
      sessionId: node.sessionId,
      node: node.name,
      containerId,
      status,
      ...(exitCode !== undefined ? { exitCode } : {}),
    };
    for (const w of this.#watchers) w.onEvent(event);
  }

  #find(sessionId: string, name: string): MemoryNode | undefined {
    return [...this.nodes.values()].find((n) => n.sessionId === sessionId && n.name === name);
  }

  #require(containerId: string): MemoryNode {
    const node = this.nodes.get(containerId);
    if (!node) throw new Error(`no container ${containerId}`);
    return node;
  }
}
