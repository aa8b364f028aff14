import { randomBytes } from 'node:crypto';
import {
  type DownReason,
  NodeDown,
  NodeLimitReached,
  NodeNotFound,
  SandboxStartFailed,
  SessionNotFound,
} from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import type { NodeView, PublishedPort, SessionView } from '../protocol/api.ts';
import { nodeName } from '../protocol/names.ts';
import { TEMPLATES, type Template } from '../protocol/templates.ts';
import type { LabStore, NodeRecord, SessionRecord } from '../storage/lab-store.ts';
import { phaseClock } from '../util/phase-clock.ts';
import { waitFor } from '../util/wait-for.ts';
import { sessionDiskHooks } from './disk-hooks.ts';
import type { DiskWatchdogHooks, WatchedNode } from './disk-watchdog.ts';
import { EngineOutage } from './engine-outage.ts';
import { type ExecResult, isNotRunningError } from './node-exec.ts';
import { NodeStops } from './node-stops.ts';
import {
  NodeNotRunningError,
  type NodeStatus,
  type Provisioner,
  type SwarmMemberRef,
} from './provisioner.ts';
import type { SessionEvents } from './session-events.ts';
import { SessionLimiter, type SessionLimits } from './session-limiter.ts';
import { base32, hashToken, newSessionId } from './session-tokens.ts';

export type { SessionLimits };

export interface SessionTimes {
  idleTimeoutMs: number;
  maxAgeMs: number;
  /** How long before expiry the `expiry-warning` event is sent. */
  warnBeforeMs: number;
}

export { hashToken, newOwnerToken } from './session-tokens.ts';

/** Closes terminals when their shells lose their node or session. */
export interface TerminalCloser {
  closeNode(sessionId: string, node: string): void | Promise<void>;
  closeSession(sessionId: string): void | Promise<void>;
}

/**
 * Owns every learner's sandbox: creates them from templates, changes their nodes, runs commands in
 * them, ends them on request or expiry, and after a restart adopts what it knew and removes the rest.
 */
export class SessionManager {
  readonly #provisioner: Provisioner;
  readonly #labId: string;
  readonly #store: LabStore;
  readonly #events: SessionEvents;
  readonly #clock: () => number;
  readonly #limits: SessionLimits;
  readonly #times: SessionTimes;
  readonly #sessions = new Map<string, SessionRecord>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #limiter: SessionLimiter;
  readonly #warned = new Set<string>();
  readonly #stops = new NodeStops();
  readonly #outage: EngineOutage;
  #terminals: TerminalCloser | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  /** Failures that reach no caller (an event that could not be stored), with what was being done. */
  onError: ((err: unknown, context: Record<string, string>) => void) | undefined;
  /** Called when the engine's event stream ends (the engine may have gone: the monitor looks at once). */
  set onEngineEventsEnded(handler: (() => void) | undefined) {
    this.#outage.onEventsEnded = handler;
  }
  /** Why the lab's engine is unavailable, while it is (set by the engine monitor; the API answers 503). */
  get engineDown(): string | undefined {
    return this.#outage.down;
  }
  /** Sandbox creation times, for metrics. */
  onSandboxCreated: ((template: string, seconds: number) => void) | undefined;

  constructor(options: {
    /** The lab this is: its sessions are the ones stored with its id. */
    labId: string;
    provisioner: Provisioner;
    store: LabStore;
    events: SessionEvents;
    limits: SessionLimits;
    times: SessionTimes;
    clock?: () => number;
  }) {
    this.#provisioner = options.provisioner;
    this.#labId = options.labId;
    this.#store = options.store;
    this.#events = options.events;
    this.#limits = options.limits;
    this.#times = options.times;
    this.#clock = options.clock ?? Date.now;
    this.#limiter = new SessionLimiter(options.limits, this.#clock);
    this.#outage = new EngineOutage({
      provisioner: this.#provisioner,
      events: this.#events,
      stops: this.#stops,
      sessions: () => this.#sessions.values(),
      has: (id) => this.#sessions.has(id),
      status: (containerId) => this.#status(containerId),
      report: (context) => this.#report(context),
    });
  }

  set terminals(closer: TerminalCloser) {
    this.#terminals = closer;
  }

  get activeCount(): number {
    return this.#sessions.size;
  }

  get nodeCount(): number {
    let n = 0;
    for (const s of this.#sessions.values()) n += s.nodes.length;
    return n;
  }

  /** Loads known sessions, adopts their sandboxes, removes orphans, and starts the expiry sweep. */
  async start(options: { sweepIntervalMs?: number } = {}): Promise<{ adopted: string[]; removed: string[] }> {
    const result = await this.reconcile();
    this.#sweeper = setInterval(
      () => void this.sweep().catch(this.#report({ operation: 'expiry sweep' })),
      options.sweepIntervalMs ?? 10_000,
    );
    this.#sweeper.unref();
    await this.#outage.watch();
    return result;
  }

  async reconcile(): Promise<{ adopted: string[]; removed: string[] }> {
    const adopted: string[] = [];
    const removed: string[] = [];
    const now = this.#clock();
    // Sessions stored before labs had ids are this lab's from now on (the first lab to start takes them).
    await this.#store.adoptUnownedSessions(this.#labId);
    const known = new Map((await this.#store.listSessions({ labId: this.#labId })).map((s) => [s.id, s]));
    const sandboxes = await this.#provisioner.listSandboxes();
    for (const sandbox of sandboxes) {
      const record = known.get(sandbox.sessionId);
      const alive = record && record.state === 'ready' && !this.#expiry(record, now).expired;
      // A sandbox made under another DOCKSIDE_SANDBOX_RANGE is outside the fences: it is not kept.
      if (!record || !alive || sandbox.unfenced) {
        await this.#provisioner.destroySandbox(sandbox.sessionId);
        if (record) {
          await this.#store.deleteSession(record.id);
          known.delete(record.id); // Counted once, here.
        }
        removed.push(sandbox.sessionId);
        continue;
      }
      // The engine may have restarted (nodes stopped): bring the nodes back; their Swarm state is on disk.
      for (const c of sandbox.containers) {
        if (!c.running)
          await this.#provisioner
            .startNode(record.id, c.node, c.id)
            .catch(this.#report({ session: record.id, node: c.node, operation: 'start on adoption' }));
      }
      this.#sessions.set(record.id, record);
      known.delete(record.id);
      adopted.push(record.id);
    }
    for (const record of known.values()) {
      // A record whose sandbox vanished (engine data wiped): nothing to adopt.
      await this.#store.deleteSession(record.id);
      removed.push(record.id);
    }
    return { adopted, removed };
  }

  async create(request: {
    template: string;
    ownerToken: string;
    clientAddress: string;
  }): Promise<SessionRecord> {
    const template = TEMPLATES[request.template] as Template;
    const ownerHash = hashToken(request.ownerToken);
    this.#limiter.admit([...this.#sessions.values()], ownerHash, request.clientAddress, template.nodes);
    const now = this.#clock();
    const record: SessionRecord = {
      id: newSessionId(),
      ownerHash,
      previewToken: base32(randomBytes(16)),
      template: template.name,
      state: 'creating',
      networkId: '',
      nodes: [],
      createdAt: now,
      lastActiveAt: now,
      expiresAt: now + this.#times.maxAgeMs,
      clientAddress: request.clientAddress,
      labId: this.#labId,
    };
    this.#sessions.set(record.id, record);
    this.#limiter.created(request.clientAddress);
    await this.#store.saveSession(record);
    return record;
  }

  /** Builds the sandbox of a session in state `creating`; on failure removes everything it made. */
  async provision(id: string): Promise<SessionRecord> {
    const record = this.#require(id);
    const template = TEMPLATES[record.template] as Template;
    const t0 = Date.now();
    // Where the time goes (ms), in the session-ready event: the bench prints it.
    const { phases, done } = phaseClock();
    try {
      record.networkId = await this.#provisioner.createNetwork(id);
      done('network');
      const names = Array.from({ length: template.nodes }, (_, i) => nodeName(i));
      const nodes = await Promise.all(
        names.map((n) => this.#provisioner.createNode(id, record.networkId, n)),
      );
      done('nodes');
      // Inside `nodes`, the slowest node's own steps.
      for (const n of nodes)
        for (const [step, ms] of Object.entries(n.phases ?? {}))
          phases[`node.${step}`] = Math.max(phases[`node.${step}`] ?? 0, ms);
      await Promise.all(names.map((n) => this.#provisioner.waitForNodeEngine(id, n)));
      done('engines');
      const managers = template.swarm?.managers ?? 0;
      record.nodes = nodes.map((n, i) => ({
        name: n.name,
        containerId: n.containerId,
        role: template.swarm ? (i < managers ? 'manager' : 'worker') : 'none',
      }));
      if (template.swarm) {
        const members = nodes.map((n) => ({ name: n.name, address: n.address }));
        await this.#provisioner.formSwarm(id, members.slice(0, managers), members.slice(managers));
        done('swarm');
      }
      // The idle clock starts when the learner can use the sandbox: a slow start is not idleness.
      record.lastActiveAt = this.#clock();
      record.state = 'ready';
      await this.#store.saveSession(record);
      const seconds = (Date.now() - t0) / 1000;
      this.onSandboxCreated?.(template.name, seconds);
      done('store');
      await this.#events.publish(id, 'session-ready', { template: template.name, seconds, phases });
      return record;
    } catch (err) {
      this.#sessions.delete(id);
      // The creation's own failure is what the learner hears; a failed clean-up is the operator's.
      await this.#provisioner
        .destroySandbox(id)
        .catch(this.#report({ session: id, operation: 'clean up a failed start' }));
      await this.#store.deleteSession(id);
      const reason = err instanceof Error ? err.message : String(err);
      throw new LabError(SandboxStartFailed, { template: template.name, reason }, { cause: err });
    }
  }

  /** The session, if `ownerToken` owns it; the same error whether it does not exist or is not theirs. */
  get(id: string, ownerToken: string | undefined): SessionRecord {
    const record = this.#sessions.get(id);
    if (!record || !ownerToken || record.ownerHash !== hashToken(ownerToken)) {
      throw new LabError(SessionNotFound, { id });
    }
    return record;
  }

  /** Looks a session up by its preview token (preview proxy). */
  /** Whether this lab runs session `id` (another lab sharing the store may). */
  runs(id: string): boolean {
    return this.#sessions.has(id);
  }

  byPreviewToken(token: string): SessionRecord | undefined {
    for (const s of this.#sessions.values()) if (s.previewToken === token) return s;
    return undefined;
  }

  ownedBy(ownerToken: string): SessionRecord[] {
    const hash = hashToken(ownerToken);
    return [...this.#sessions.values()].filter((s) => s.ownerHash === hash);
  }

  /** Notes learner activity (terminal input, API calls, previews) for the idle timeout. */
  touch(id: string): void {
    const record = this.#sessions.get(id);
    if (!record) return;
    record.lastActiveAt = this.#clock();
    this.#warned.delete(id);
  }

  async view(record: SessionRecord): Promise<SessionView> {
    const nodes = await Promise.all(record.nodes.map((n) => this.#nodeView(record, n)));
    return {
      id: record.id,
      template: record.template,
      state: record.state,
      createdAt: record.createdAt,
      expiresAt: this.#expiry(record, this.#clock()).at,
      previewToken: record.previewToken,
      nodes,
    };
  }

  node(record: SessionRecord, name: string): NodeRecord {
    const node = record.nodes.find((n) => n.name === name);
    if (!node)
      throw new LabError(NodeNotFound, {
        session: record.id,
        node: name,
        nodes: record.nodes.map((n) => n.name),
      });
    return node;
  }

  /** The node's address on its session network, if it runs. */
  async nodeAddress(record: SessionRecord, name: string): Promise<string | undefined> {
    const node = record.nodes.find((n) => n.name === name);
    if (!node) return undefined;
    return (await this.#status(node.containerId))?.address || undefined;
  }

  /** A client on the Docker engine inside one of the session's nodes. */
  nodeEngine(record: SessionRecord, name: string) {
    return this.#provisioner.nodeEngine(record.id, this.node(record, name).name);
  }

  container(record: SessionRecord, name: string) {
    return this.#provisioner.nodeContainer(this.node(record, name).containerId);
  }

  async addNode(record: SessionRecord): Promise<NodeRecord> {
    return this.#serial(record.id, async () => {
      if (record.nodes.length >= this.#limits.maxNodesPerSession) {
        throw new LabError(NodeLimitReached, { max: this.#limits.maxNodesPerSession });
      }
      this.#limiter.admitNodes([...this.#sessions.values()], 1);
      let index = 0;
      while (record.nodes.some((n) => n.name === nodeName(index))) index++;
      const name = nodeName(index);
      const made = await this.#provisioner.createNode(record.id, record.networkId, name);
      await this.#provisioner.waitForNodeEngine(record.id, name);
      const node: NodeRecord = { name, containerId: made.containerId, role: 'none' };
      if (TEMPLATES[record.template]?.swarm) {
        const manager = await this.#reachableManager(record);
        await this.#provisioner.joinSwarm(record.id, manager, { name, address: made.address });
        node.role = 'worker';
      }
      record.nodes.push(node);
      await this.#store.saveSession(record);
      await this.#events.publish(record.id, 'node-added', { node: name, role: node.role });
      return node;
    });
  }

  async removeNode(record: SessionRecord, name: string): Promise<void> {
    await this.#serial(record.id, async () => {
      const node = this.node(record, name);
      await this.#terminals?.closeNode(record.id, name);
      await this.#provisioner.removeNode(record.id, name);
      record.nodes = record.nodes.filter((n) => n !== node);
      if (node.role !== 'none') {
        // The node is gone either way; a Swarm that still lists it is said in the log.
        const context = { session: record.id, node: name, operation: 'forget a removed Swarm node' };
        const manager = await this.#reachableManager(record).catch(this.#report(context));
        if (manager)
          await this.#provisioner.forgetSwarmNode(record.id, manager, name).catch(this.#report(context));
      }
      await this.#store.saveSession(record);
      await this.#events.publish(record.id, 'node-removed', { node: name });
    });
  }

  /** Restarts a node (its engine, containers and Swarm membership come back from its disk). */
  async restartNode(record: SessionRecord, name: string): Promise<void> {
    await this.#serial(record.id, async () => {
      const { containerId } = this.node(record, name);
      this.#stops.restarting(containerId);
      await this.#terminals?.closeNode(record.id, name);
      await this.#provisioner.restartNode(record.id, name, containerId);
      await this.#provisioner.waitForNodeEngine(record.id, name);
    });
  }

  /** Stops a node abruptly, as a machine failing would (lessons on rescheduling). It stays down. */
  async killNode(
    record: SessionRecord,
    name: string,
    reason: DownReason = { kind: 'killed' },
  ): Promise<void> {
    await this.#serial(record.id, async () => {
      const { containerId } = this.node(record, name);
      this.#stops.stopping(containerId, reason);
      await this.#terminals?.closeNode(record.id, name);
      await this.#provisioner.killNode(containerId);
    });
  }

  /** Every node of every ready session, for the disk watchdog. */
  watchedNodes(): WatchedNode[] {
    return [...this.#sessions.values()]
      .filter((s) => s.state === 'ready')
      .flatMap((s) => s.nodes.map((n) => ({ sessionId: s.id, node: n.name, containerId: n.containerId })));
  }

  /** What the disk watchdog does to a session's nodes (disk-hooks.ts). */
  diskHooks(): DiskWatchdogHooks {
    return sessionDiskHooks({
      session: (id) => this.#sessions.get(id),
      kill: (record, node, reason) => this.killNode(record, node, reason),
      status: (containerId) => this.#status(containerId),
      stops: this.#stops,
      events: this.#events,
    });
  }

  /**
   * The lab's NodeDown, with why the node stopped, for an engine error that says it is not running (an
   * exec, terminal or check that raced a stop); any other error as it is.
   */
  async explainNodeError(record: SessionRecord, name: string, err: unknown): Promise<unknown> {
    if (!isNotRunningError(err) && !(err instanceof NodeNotRunningError)) return err;
    const node = record.nodes.find((n) => n.name === name);
    if (!node) return err;
    const status = await this.#status(node.containerId);
    return this.#nodeDown(name, node.containerId, status?.status ?? 'stopped', err);
  }

  /** Why a stopped node of this session stopped, as the lab's NodeDown; undefined if every node runs. */
  async whyDown(record: SessionRecord): Promise<Error | undefined> {
    for (const node of record.nodes) {
      const status = await this.#status(node.containerId);
      if (!status?.running) return this.#nodeDown(node.name, node.containerId, status?.status ?? 'missing');
    }
    return undefined;
  }

  #nodeDown(name: string, containerId: string, state: string, cause?: unknown): Error {
    const reason = this.#stops.reason(containerId);
    return new LabError(NodeDown, { node: name, state, ...(reason ? { why: reason } : {}) }, { cause });
  }

  async exec(
    record: SessionRecord,
    name: string,
    argv: string[],
    options: { timeoutMs: number; stdin?: string },
  ): Promise<ExecResult> {
    const { containerId } = this.node(record, name);
    const before = await this.#status(containerId);
    if (!before?.running) throw this.#nodeDown(name, containerId, before?.status ?? 'missing');
    let result: ExecResult;
    try {
      result = await this.#provisioner.exec(containerId, name, argv, options);
    } catch (err) {
      // The node stopped between the look and the exec (a kill, the disk watchdog).
      throw await this.explainNodeError(record, name, err);
    }
    // Killed (SIGKILL, or no exit code at all): by its node's stop, if the lab is stopping it or the
    // node is gone within a second; then that stop is the answer, not an exit code.
    if (result.exitCode === -1 || result.exitCode === 137) {
      const stopped = async () => {
        const after = await this.#status(containerId);
        return after?.running ? undefined : (after?.status ?? 'missing');
      };
      const state = this.#stops.reason(containerId)
        ? ((await stopped()) ?? 'stopping')
        : await waitFor(stopped, { timeoutMs: 1000, intervalMs: 100, what: `${name} to stop` }).catch(
            () => undefined,
          );
      if (state) throw this.#nodeDown(name, containerId, state);
    }
    return result;
  }

  async extend(record: SessionRecord): Promise<void> {
    const now = this.#clock();
    record.lastActiveAt = now;
    record.expiresAt = Math.max(record.expiresAt, now + this.#times.maxAgeMs / 2);
    this.#warned.delete(record.id);
    await this.#store.saveSession(record);
    await this.#events.publish(record.id, 'extended', { expiresAt: this.#expiry(record, now).at });
  }

  async delete(id: string, reason = 'deleted'): Promise<void> {
    const record = this.#sessions.get(id);
    if (record) record.state = 'deleting';
    await this.#events
      .publish(id, 'session-ended', { reason })
      .catch(this.#report({ session: id, operation: 'announce the end' }));
    await this.#terminals?.closeSession(id);
    this.#sessions.delete(id);
    this.#warned.delete(id);
    await this.#provisioner.destroySandbox(id);
    await this.#store.deleteSession(id);
  }

  /** Ends expired sessions and warns those about to expire. */
  async sweep(): Promise<void> {
    const now = this.#clock();
    for (const record of [...this.#sessions.values()]) {
      if (record.state !== 'ready') continue;
      const expiry = this.#expiry(record, now);
      if (expiry.expired) {
        await this.delete(record.id, expiry.reason);
      } else if (expiry.at - now <= this.#times.warnBeforeMs && !this.#warned.has(record.id)) {
        this.#warned.add(record.id);
        await this.#events.publish(record.id, 'expiry-warning', {
          expiresAt: expiry.at,
          reason: expiry.reason,
        });
      }
    }
    // Persist activity times now and then, not on every keystroke.
    for (const record of this.#sessions.values()) {
      if (record.state === 'ready')
        await this.#store
          .saveSession(record)
          .catch(this.#report({ session: record.id, operation: 'save activity' }));
    }
  }

  async dispose(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#outage.stopWatching();
    for (const record of this.#sessions.values())
      await this.#store
        .saveSession(record)
        .catch(this.#report({ session: record.id, operation: 'save on stop' }));
  }

  #expiry(record: SessionRecord, now: number): { at: number; expired: boolean; reason: 'idle' | 'max-age' } {
    const idleAt = record.lastActiveAt + this.#times.idleTimeoutMs;
    const at = Math.min(idleAt, record.expiresAt);
    return { at, expired: now >= at, reason: idleAt <= record.expiresAt ? 'idle' : 'max-age' };
  }

  #require(id: string): SessionRecord {
    const record = this.#sessions.get(id);
    if (!record) throw new LabError(SessionNotFound, { id });
    return record;
  }

  async #nodeView(record: SessionRecord, node: NodeRecord): Promise<NodeView> {
    const status = await this.#status(node.containerId);
    const ports = status?.running
      ? await this.#provisioner.publishedPorts(record.id, node.name).catch((): PublishedPort[] => [])
      : [];
    const disk = this.#provisioner.diskUsage(record.id, node.name);
    return {
      name: node.name,
      role: node.role,
      state: status?.status ?? 'missing',
      address: status?.address ?? '',
      ports,
      ...(disk ? { disk } : {}),
    };
  }

  /** A node's state; undefined when it is gone or the engine cannot say. */
  #status(containerId: string): Promise<NodeStatus | undefined> {
    return this.#provisioner
      .nodeStatus(containerId)
      .catch(this.#report({ container: containerId, operation: 'read a node state' }));
  }

  /** A manager of the session whose engine answers (to join or forget nodes through). */
  async #reachableManager(record: SessionRecord): Promise<SwarmMemberRef> {
    for (const node of record.nodes.filter((n) => n.role === 'manager')) {
      if (await this.#provisioner.engineAnswers(record.id, node.name)) {
        return { name: node.name, address: (await this.#status(node.containerId))?.address ?? '' };
      }
    }
    throw new LabError(NodeDown, { node: 'every manager', state: 'unreachable' });
  }

  /** The engine stopped answering: every learner is told, before their terminals drop. */
  engineLost(reason: string): Promise<void> {
    return this.#outage.lost(reason);
  }

  /** The engine answers again: every node of every live session started again (engine-outage.ts). */
  engineRecovered(): Promise<void> {
    return this.#outage.recovered();
  }

  /** A catch handler that reports a failure no caller receives, with what was being done. */
  #report(context: Record<string, string>): (err: unknown) => undefined {
    return (err) => {
      this.onError?.(err, context);
      return undefined;
    };
  }

  async #serial<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.#locks.set(
      id,
      // The chain only orders the work; each failure is its caller's, delivered by `next`.
      next.catch(() => undefined),
    );
    return next;
  }
}
