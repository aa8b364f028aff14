/**
 * The lab server's composition root: `npm start` runs this. It binds the port first (a taken port fails
 * at once, not after a five-minute build), then brings up the engine, the images and the site, and
 * serves until Ctrl-C.
 */
import { loadConfig, repoRoot } from './config.ts';
import { connectLabEngine, type LabEngine } from './engine/lab-engine.ts';
import { DiskFull, PortInUse } from './errors/catalog.ts';
import { isLabError, LabError } from './errors/lab-error.ts';
import type { Health } from './http/health.ts';
import { createHttpServer } from './http/server.ts';
import { assertDiskSpace } from './images/base-image.ts';
import { prepareLab } from './infra/prepare-lab.ts';
import { ensureSiteBuilt } from './site-build.ts';

const t0 = Date.now();
const say = (line: string) => {
  const seconds = ((Date.now() - t0) / 1000).toFixed(1).padStart(5);
  process.stdout.write(`dockside [${seconds}s] ${line}\n`);
};

/** One line for the person at the terminal: what happened and what to do. Never a stack trace. */
function explain(err: unknown): string {
  if (isLabError(err)) return err.toLine();
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOSPC' || /no space left on device/i.test(e?.message ?? '')) {
    return new LabError(DiskFull, { path: loadConfig().stateDir, freeMiB: 0, needMiB: 1024 }).toLine();
  }
  return `${e?.message ?? String(err)} (set DEBUG=1 for details)`;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const health: Health = {
    status: 'starting',
    detail: 'starting',
    images: [],
    ipvs: false,
    capabilityWrapper: false,
    missingCapabilities: [],
  };
  const app = await createHttpServer({
    siteDir: config.siteDir,
    health: { health: () => health },
    logger: process.env.DEBUG ? { level: 'debug' } : { level: 'warn' },
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
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping`);
    await app.close().catch(() => undefined);
    await engine?.dispose().catch((err) => say(`could not stop the engine: ${explain(err)}`));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    assertDiskSpace(config.stateDir, 1024);
    health.detail = 'connecting to the Docker engine';
    engine = await connectLabEngine(config, say);
    health.engine = {
      version: engine.version,
      apiVersion: engine.apiVersion,
      host: engine.host,
      owned: engine.owned,
    };
    health.ipvs = engine.ipvs;
    health.capabilityWrapper = engine.capabilityWrapper;
    health.missingCapabilities = engine.missingCapabilities;
    say(
      `engine ${engine.version} at ${engine.host}${engine.owned ? ' (started by the lab)' : ''}; IPVS ${
        engine.ipvs ? 'present' : 'absent: Swarm services use dnsrr or host-mode ports here'
      }`,
    );
    health.detail = 'building the site';
    await ensureSiteBuilt(repoRoot, say);
    health.detail = 'preparing sandbox images';
    const lab = await prepareLab(engine, config, say);
    health.images = lab.images.map(({ name, tag, role, publish }) => ({ name, tag, role, publish }));
    health.mirror = { mode: config.mirrorMode };
    health.aptProxy = { offline: config.aptOffline };
    if (lab.buildSeconds > 0) say(`images built in ${lab.buildSeconds.toFixed(1)} s`);
  } catch (err) {
    health.status = 'failed';
    health.detail = explain(err);
    await app.close().catch(() => undefined);
    await engine?.dispose().catch(() => undefined);
    throw err;
  }
  health.status = 'ready';
  health.detail = undefined;
  say(`ready: ${url}  (Ctrl-C stops the lab)`);
}

main().catch((err) => {
  process.stderr.write(`dockside: ${explain(err)}\n`);
  if (process.env.DEBUG) console.error(err);
  process.exit(1);
});
