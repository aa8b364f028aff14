import type Docker from 'dockerode';
import type { PublishedPort } from '../protocol/api.ts';
import type { ExecResult } from './node-exec.ts';

/** A node just made: its container and its address on the session network. */
export interface ProvisionedNode {
  name: string;
  containerId: string;
  address: string;
  /** How long each step of making it took (ms), for the bench: disk, create, start, address. */
  phases?: Record<string, number>;
}

/** Everything labelled for one session on the engine (for reconciliation after a restart). */
export interface LabelledSandbox {
  sessionId: string;
  containers: { id: string; node: string; running: boolean }[];
  networks: string[];
  volumes: string[];
  /** A network of it lies outside the sandbox range, where the host's fences do not reach. */
  unfenced: boolean;
}

/** A node as the engine reports it now. */
export interface NodeStatus {
  running: boolean;
  /** The engine's word: running, exited, paused, restarting, ... */
  status: string;
  /** Its address on the session network ('' when it has none). */
  address: string;
}

/** A node started, stopped or ran out of memory: read from the engine, whoever caused it. */
export interface NodeEvent {
  sessionId: string;
  node: string;
  containerId: string;
  status: 'start' | 'die' | 'oom';
  exitCode?: number;
}

/** A Swarm member, by name and address on the session network. */
export interface SwarmMemberRef {
  name: string;
  address: string;
}

/** How full a node's /var/lib/docker is, when it has a file system of its own. */
export interface DiskUsage {
  usedBytes: number;
  capBytes: number;
}

/** Thrown by `exec` when the node is not running (it stopped before or while the command ran). */
export class NodeNotRunningError extends Error {
  constructor(node: string, options?: { cause?: unknown }) {
    super(`${node} is not running`, options);
    this.name = 'NodeNotRunningError';
  }
}

/**
 * What sessions need from an engine: networks; nodes (create, start, stop, kill, pause, remove);
 * exec, status and events; Swarm formation. DockerProvisioner is the implementation on one Docker
 * engine; docs/scale-out.md maps one onto Kubernetes. SessionManager speaks only to this interface,
 * so its state machine is tested without an engine (testing/memory-provisioner.ts).
 */
export interface Provisioner {
  createNetwork(sessionId: string): Promise<string>;
  createNode(sessionId: string, networkId: string, name: string): Promise<ProvisionedNode>;
  /** Resolves once the engine inside the node answers: a node is not ready before that. */
  waitForNodeEngine(sessionId: string, name: string, timeoutMs?: number): Promise<void>;
  /** Whether the engine inside the node answers now. */
  engineAnswers(sessionId: string, name: string): Promise<boolean>;
  /** Starts a stopped node (its disk made ready first); a running one is left as it is. */
  startNode(sessionId: string, name: string, containerId: string): Promise<void>;
  /** Stops and starts a node (its disk made ready first). */
  restartNode(sessionId: string, name: string, containerId: string): Promise<void>;
  /** Stops a node at once, as a machine failing would; a stopped one is left as it is. */
  killNode(containerId: string): Promise<void>;
  /** Freezes every process of a node (a hung machine), and thaws it. */
  pauseNode(containerId: string): Promise<void>;
  unpauseNode(containerId: string): Promise<void>;
  removeNode(sessionId: string, name: string): Promise<void>;
  /** The node's state, or undefined when it is gone. */
  nodeStatus(containerId: string): Promise<NodeStatus | undefined>;
  /** Runs a command to completion; NodeNotRunningError if the node is not running. */
  exec(
    containerId: string,
    node: string,
    argv: string[],
    options: { timeoutMs: number; stdin?: string },
  ): Promise<ExecResult>;
  /** TCP ports published by containers inside the node. */
  publishedPorts(sessionId: string, name: string): Promise<PublishedPort[]>;
  formSwarm(sessionId: string, managers: SwarmMemberRef[], workers: SwarmMemberRef[]): Promise<void>;
  /** Adds a worker to the Swarm through a manager whose engine answers. */
  joinSwarm(sessionId: string, manager: SwarmMemberRef, worker: SwarmMemberRef): Promise<void>;
  /** Removes a departed node from the Swarm's node list, so `docker node ls` stays truthful. */
  forgetSwarmNode(sessionId: string, manager: SwarmMemberRef, name: string): Promise<void>;
  diskUsage(sessionId: string, name: string): DiskUsage | undefined;
  listSandboxes(): Promise<LabelledSandbox[]>;
  /** Removes everything a session has on the engine and the host. */
  destroySandbox(sessionId: string): Promise<void>;
  /** Follows node events until closed; `onEnd` runs if the stream ends by itself (the engine went). */
  watchNodeEvents(onEvent: (event: NodeEvent) => void, onEnd: () => void): Promise<() => void>;
  /** A client on the engine inside a node, for lesson checks (they read the real Docker state). */
  nodeEngine(sessionId: string, name: string): Docker;
  /** The node's container, for terminals (interactive execs with a TTY). */
  nodeContainer(containerId: string): Docker.Container;
}
