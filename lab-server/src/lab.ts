/**
 * The lab as one object: binds the port first (a taken port fails at once, not after a five-minute
 * build), then brings up the engine, the site, the images and the services. `npm start` (main.ts) and
 * the integration tests both start it this way.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { CheckRunner } from './checks/check-runner.ts';
import { CheckWatcher } from './checks/check-watcher.ts';
import { readLessons, watchedExercises } from './checks/lesson-catalog.ts';
import { type LabConfig, repoRoot } from './config.ts';
import type { Say } from './engine/debian-packages.ts';
import { EngineMonitor } from './engine/engine-monitor.ts';
import { connectLabEngine, type LabEngine } from './engine/lab-engine.ts';
import { PortInUse } from './errors/catalog.ts';
import { LabError } from './errors/lab-error.ts';
import type { Health } from './http/health.ts';
import { createHttpServer, type FullRuntime } from './http/server.ts';
import { assertDiskSpace } from './images/base-image.ts';
import { startLabServices } from './infra/lab-services.ts';
import { prepareLab } from './infra/prepare-lab.ts';
import { labAddress } from './labs/lab-address.ts';
import { labIdOf } from './labs/lab-id.ts';
import { LabLease, listLabViews } from './labs/lab-lease.ts';
import { PeerProxy } from './labs/peer-proxy.ts';
import { LabMetrics } from './metrics/lab-metrics.ts';
import { PreviewProxy } from './preview/preview-proxy.ts';
import { applyFirewall, removeFirewall } from './security/firewall.ts';
import { readHostFacts } from './security/host-facts.ts';
import { prepareNodeCgroupParent } from './security/node-cgroup.ts';
import { describeProfile, resolveProfile, type SecurityProfile } from './security/profiles.ts';
import { DiskWatchdog, type DiskWatchdogHooks } from './sessions/disk-watchdog.ts';
import { DockerProvisioner } from './sessions/docker-provisioner.ts';
import { NodeDisks } from './sessions/node-disks.ts';
import { engineNodeFiles } from './sessions/node-files.ts';
import { describeRoutes, pickSandboxRange } from './sessions/sandbox-range.ts';
import { SessionEvents } from './sessions/session-events.ts';
import { SessionManager } from './sessions/session-manager.ts';
import { ensureSiteBuilt } from './site-build.ts';
import type { LabStore } from './storage/lab-store.ts';
import { openLabStore } from './storage/open-store.ts';
import { TerminalHub } from './terminals/terminal-hub.ts';
import { type Cidr, formatCidr, type HostRoute, hostRoutes } from './util/ipv4.ts';

export interface Lab {
  app: FastifyInstance;
  /** Where the lab serves, as a person would type it. */
  url: string;
  health: Health;
  runtime: FullRuntime;
  engine: LabEngine;
  /** Stops serving; sandboxes stay for the next start to adopt. Stops the engine if the lab started it. */
  stop(): Promise<void>;
}

export interface StartOptions {
  say: Say;
  /** Called once the port is bound, before the slow steps (to install signal handlers, for example). */
  onListening?: (partial: { url: string; stop: () => Promise<void> }) => void;
  /** Build the site if its sources changed (off in tests that do not need it). */
  buildSite?: boolean;
  logLevel?: string;
}

/** Builds the lab's services on a ready engine and wires them together. */
async function startRuntime(
  engine: LabEngine,
  store: LabStore,
  config: LabConfig,
  logger: Logger,
  profile: SecurityProfile,
  nodeCgroupParent: string | undefined,
  nodeDisks: boolean,
  network: { range: Cidr; routes: () => HostRoute[] },
  labId: string,
): Promise<
  FullRuntime & { reconciled: { adopted: string[]; removed: string[] }; nodeDisks: NodeDisks | undefined }
> {
  const events = new SessionEvents({ store });
  const disks = nodeDisks
    ? new NodeDisks({ root: join(config.stateDir, 'disks'), capBytes: config.limits.nodeDiskBytes })
    : undefined;
  const provisioner = new DockerProvisioner({
    labId,
    docker: engine.docker,
    stateDir: config.stateDir,
    nodeImage: 'dockside/node',
    runtime: { ...profile.node, cgroupParent: nodeCgroupParent },
    disks,
    sandboxRange: network.range,
    hostRoutes: network.routes,
    limits: {
      memoryBytes: config.limits.nodeMemoryBytes,
      nanoCpus: config.limits.nodeNanoCpus,
      pids: config.limits.nodePids,
    },
  });
  const sessions = new SessionManager({
    labId,
    provisioner,
    store,
    events,
    limits: config.limits,
    times: config.times,
  });
  const terminals = new TerminalHub({
    logger,
    outputBytesPerSecond: config.limits.terminalOutputBytesPerSecond,
  });
  sessions.terminals = terminals;
  const metrics = new LabMetrics({
    sessionsActive: () => sessions.activeCount,
    nodesRunning: () => sessions.nodeCount,
    terminals: () => terminals.stats(),
  });
  sessions.onError = (err, context) => logger.warn({ err, ...context }, 'a session operation failed');
  sessions.onSandboxCreated = (template, seconds) => metrics.sandboxCreation.observe({ template }, seconds);
  const preview = new PreviewProxy({
    baseDomains: ['localhost', ...(config.previewDomain ? [config.previewDomain] : [])],
    logger,
    resolve: async (ref) => {
      const session = sessions.byPreviewToken(ref.token);
      if (!session) return undefined;
      const host = await sessions.nodeAddress(session, ref.node);
      if (!host) return undefined;
      sessions.touch(session.id);
      return { host, port: ref.port };
    },
    onRequest: () => metrics.proxyRequests.inc({ kind: 'http' }),
  });
  const peers = new PeerProxy({
    store,
    selfId: labId,
    isLocal: (id) => sessions.runs(id),
    isLocalPreview: (token) => sessions.byPreviewToken(token) !== undefined,
    previewToken: (req) => preview.parse(req)?.ref.token,
  });
  const checks = new CheckRunner({
    access: {
      exec: (record, node, argv, options) => sessions.exec(record, node, argv, options),
      nodeEngine: (record, node) => sessions.nodeEngine(record, node),
      whyDown: (record) => sessions.whyDown(record),
    },
  });
  const lessonsDir = join(repoRoot, 'lessons');
  const lessons = await checks.load(lessonsDir);
  const watcher = new CheckWatcher({
    runner: checks,
    access: { nodeEngine: (record, node) => sessions.nodeEngine(record, node) },
    store,
    events,
    watched: existsSync(lessonsDir) ? watchedExercises(readLessons(lessonsDir)) : new Map(),
    onError: (err) => logger.warn({ err }, 'a watched check could not be evaluated'),
  });
  logger.info({ lessons }, 'lesson checks loaded');
  const reconciled = await sessions.start({ sweepIntervalMs: config.times.sweepIntervalMs });
  const diskWatchdog = nodeDisks
    ? new DiskWatchdog({
        files: engineNodeFiles(engine.docker),
        nodes: () => sessions.watchedNodes(),
        capBytes: config.limits.nodeFilesBytes,
        graceMs: config.times.diskGraceMs,
        hooks: logDiskActions(sessions.diskHooks(), logger),
        onError: (err) => logger.warn({ err }, 'the disk watchdog could not measure a node'),
      })
    : undefined;
  diskWatchdog?.start(config.times.diskWatchIntervalMs);
  return {
    sessions,
    events,
    terminals,
    preview,
    metrics,
    checks,
    watcher,
    store,
    reconciled,
    diskWatchdog,
    peers,
    nodeDisks: disks,
  };
}

/** The watchdog's actions, in the lab's log as well (an operator reads why a node stopped). */
function logDiskActions(hooks: DiskWatchdogHooks, logger: Logger): DiskWatchdogHooks {
  return {
    ...hooks,
    stopped: (node, found) => {
      logger.warn({ ...node, ...found }, 'a node wrote past its disk cap: stopped');
      return hooks.stopped(node, found);
    },
    warn: (node, warning) => {
      logger.info({ ...node, ...warning }, 'a node restarted over its disk cap: grace window');
      return hooks.warn(node, warning);
    },
  };
}

export async function startLab(config: LabConfig, options: StartOptions): Promise<Lab> {
  const { say } = options;
  const health: Health = {
    status: 'starting',
    detail: 'starting',
    images: [],
    ipvs: false,
    capabilityWrapper: false,
    missingCapabilities: [],
  };
  let runtime: FullRuntime | undefined;
  const app = await createHttpServer({
    siteDir: config.siteDir,
    health: { health: () => health },
    logger: { level: options.logLevel ?? 'warn' },
    runtime: () => runtime,
    previewDomain: config.previewDomain,
    metricsToken: config.metricsToken,
    // The address people use is the lab's own, whatever host name reaches it.
    allowedOrigins: [...config.allowedOrigins, ...(config.publicUrl ? [config.publicUrl] : [])],
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new LabError(PortInUse, { host: config.host, port: config.port });
    }
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${shownHost}:${port}/`;

  let engine: LabEngine | undefined;
  let store: LabStore | undefined;
  let lease: LabLease | undefined;
  let monitor: EngineMonitor | undefined;
  let fenced = false;
  let nodeDisks: NodeDisks | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // First: stopping the engine below must not look like an outage to recover from.
    monitor?.dispose();
    const warn = (what: string) => (err: unknown) => app.log.warn({ err }, `stopping: ${what} failed`);
    await app.close().catch(warn('closing the HTTP server'));
    runtime?.watcher.dispose();
    runtime?.diskWatchdog?.dispose();
    await runtime?.sessions.dispose().catch(warn('saving the sessions'));
    await runtime?.terminals.dispose();
    runtime?.preview.dispose();
    // The id is free at once for a lab started next, and the others list this one as down.
    await lease?.release().catch(warn('letting go of the lab id'));
    await store?.dispose().catch(warn('closing the store'));
    await engine?.dispose();
    // With the lab's own engine stopped, no node runs: the fences go too (the host as it was found).
    // An engine the lab did not start keeps running sandboxes, so their fences stay for the next start.
    if (engine?.owned && fenced) await removeFirewall();
    // Nor do its nodes' disks stay mounted: each is mounted again before its node starts.
    if (engine?.owned) {
      await nodeDisks?.unmountAll().catch((err) => app.log.warn({ err }, 'node disks stay mounted'));
    }
  };
  options.onListening?.({ url, stop });

  try {
    assertDiskSpace(config.stateDir, 1024);
    health.detail = 'connecting to the Docker engine';
    const openedEngine = await connectLabEngine(config, say);
    engine = openedEngine;
    health.engine = {
      version: engine.version,
      apiVersion: engine.apiVersion,
      host: engine.host,
      owned: engine.owned,
    };
    health.ipvs = engine.ipvs;
    health.capabilityWrapper = engine.capabilityWrapper;
    health.missingCapabilities = engine.missingCapabilities;
    health.droppedCapabilities = engine.droppedCapabilities;
    say(
      `engine ${engine.version} at ${engine.host}${engine.owned ? ' (started by the lab)' : ''}; IPVS ${
        engine.ipvs ? 'present' : 'absent: Swarm services use dnsrr or host-mode ports here'
      }`,
    );
    health.detail = 'checking what this host can promise';
    const facts = await readHostFacts({
      runtimes: await engineRuntimes(engine),
      ipvs: engine.ipvs,
      capabilityWrapper: engine.capabilityWrapper,
      local: engine.host.startsWith('unix://'),
    });
    const profile = resolveProfile(config.profile, facts);
    // A remote engine's host has routes of its own, unknown here.
    const routes = engine.host.startsWith('unix://') ? () => hostRoutes() : () => [];
    const sandbox = await pickSandboxRange(engine.docker, config.sandboxRange, routes());
    say(
      `sandbox networks: /24s of ${formatCidr(sandbox.range)} (${sandbox.why})${
        sandbox.avoided.length ? `; skipping this host's ${describeRoutes(sandbox.avoided)}` : ''
      }`,
    );
    fenced = true;
    const firewall = await applyFirewall(formatCidr(sandbox.range));
    const nodeCgroupParent = profile.node.privileged ? prepareNodeCgroupParent() : undefined;
    health.security = {
      ...describeProfile(profile, facts),
      firewall,
      sandboxRange: {
        range: formatCidr(sandbox.range),
        why: sandbox.why,
        avoided: sandbox.avoided.map((r) => `${formatCidr(r.network)} on ${r.iface}`),
      },
    };
    const notPromised = health.security.notPromised;
    say(
      `security profile ${profile.name} (${profile.audience}): ${health.security.promises.length} promises kept and tested${
        notPromised.length ? `; not promised here: ${notPromised.join(', ')}` : ''
      } (docs/security.md)`,
    );
    if (options.buildSite !== false) {
      health.detail = 'building the site';
      await ensureSiteBuilt(repoRoot, say);
    }
    health.detail = 'preparing sandbox images';
    const prepared = await prepareLab(engine, config, say);
    health.images = prepared.images.map(({ name, tag, role, publish }) => ({ name, tag, role, publish }));
    health.mirror = { mode: config.mirrorMode };
    health.aptProxy = { offline: config.aptOffline };
    if (prepared.buildSeconds > 0) say(`images built in ${prepared.buildSeconds.toFixed(1)} s`);
    health.detail = 'opening the session store';
    const openedStore = await openLabStore({ databaseUrl: config.databaseUrl, stateDir: config.stateDir });
    store = openedStore;
    // The lab's id among those sharing the store: a second live lab with the same id is refused here.
    const held = new LabLease({
      store: openedStore,
      lab: {
        id: labIdOf(config.stateDir, config.labId),
        address: labAddress(config.labAddress, config.host, port),
        publicUrl: config.publicUrl ?? '',
      },
    });
    await held.claim();
    lease = held;
    health.lab = { id: held.id, publicUrl: config.publicUrl ?? url.replace(/\/$/, '') };
    const refreshLabs = async () => {
      health.labs = await listLabViews(openedStore, held.id);
    };
    await refreshLabs();
    held.keep({
      onRenewed: refreshLabs,
      onError: (err) => app.log.error({ err }, 'the lab could not renew its lease on its id'),
    });
    const started = await startRuntime(
      engine,
      openedStore,
      config,
      app.log as unknown as Logger,
      profile,
      nodeCgroupParent,
      facts.nodeDisks,
      { range: sandbox.range, routes },
      held.id,
    );
    runtime = started;
    nodeDisks = started.nodeDisks;
    monitor = superviseEngine(
      openedEngine,
      started,
      health,
      say,
      app.log as unknown as Logger,
      formatCidr(sandbox.range),
    );
    const { adopted, removed } = started.reconciled;
    if (adopted.length || removed.length) {
      say(`sandboxes from before: ${adopted.length} adopted, ${removed.length} removed (expired or unknown)`);
    }
    health.status = 'ready';
    health.detail = undefined;
    return { app, url, health, runtime: started, engine, stop };
  } catch (err) {
    health.status = 'failed';
    health.detail = err instanceof Error ? err.message : String(err);
    // The start's own failure, rethrown, is what the operator hears; the clean-up's is logged.
    await stop().catch((stopErr) => app.log.warn({ err: stopErr }, 'stopping after a failed start failed'));
    throw err;
  }
}

/**
 * Watches the engine for the lab's whole life: an outage is reported (health, learners), the lab's own
 * engine is started again, and once it answers the fences, services and sandboxes are restored.
 */
function superviseEngine(
  engine: LabEngine,
  runtime: FullRuntime,
  health: Health,
  say: Say,
  logger: Logger,
  sandboxRange: string,
): EngineMonitor {
  const monitor = new EngineMonitor({
    docker: engine.docker,
    restart: engine.restart,
    processAlive: engine.processAlive,
    onDown: async (reason) => {
      health.status = 'recovering';
      health.detail = `the Docker engine stopped (${reason}); ${
        engine.restart ? 'the lab is starting it again' : 'waiting for it to come back'
      }`;
      say(health.detail);
      await runtime.sessions.engineLost(reason);
    },
    onUp: async () => {
      health.detail = 'the Docker engine is back: starting the sandboxes again';
      // A restarted engine recreates its own chains; the lab's fences go back first.
      await applyFirewall(sandboxRange);
      await startLabServices(engine.docker);
      await runtime.sessions.engineRecovered();
      health.status = 'ready';
      health.detail = undefined;
      say('the Docker engine is back; sandboxes recovered');
    },
    log: (line, err) => (err ? logger.warn({ err }, line) : logger.info(line)),
  });
  runtime.sessions.onEngineEventsEnded = () => monitor.lost('its event stream ended');
  monitor.start();
  return monitor;
}

async function engineRuntimes(engine: LabEngine): Promise<string[]> {
  const info = (await engine.docker.info()) as { Runtimes?: Record<string, unknown> };
  return Object.keys(info.Runtimes ?? {});
}
