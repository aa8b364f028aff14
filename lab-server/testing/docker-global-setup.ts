import type { TestProject } from 'vitest/node';
import { loadConfig } from '../src/config.ts';
import { connectLabEngine, type LabEngine } from '../src/engine/lab-engine.ts';
import { prepareLab } from '../src/infra/prepare-lab.ts';
import { removeFirewall } from '../src/security/firewall.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    lab: {
      dockerHost: string;
      socketPath: string;
      mirrorAddress: string;
      aptAddress: string;
      buildSeconds: number;
    };
  }
}

let engine: LabEngine | undefined;

/**
 * Integration tests run on the real engine the lab itself would use, with the real images: this is the
 * same start-up path as `npm start`, so a fresh machine proves the cold build too.
 */
export async function setup(project: TestProject): Promise<void> {
  const t0 = Date.now();
  const say = (line: string) => console.log(`[lab setup ${((Date.now() - t0) / 1000).toFixed(0)}s] ${line}`);
  const config = loadConfig();
  engine = await connectLabEngine(config, say);
  const lab = await prepareLab(engine, config, say);
  if (lab.buildSeconds > 0) console.log(`[lab setup] images built in ${lab.buildSeconds.toFixed(1)} s`);
  project.provide('lab', {
    dockerHost: engine.host,
    socketPath: engine.host.replace(/^unix:\/\//, ''),
    mirrorAddress: lab.mirror.address,
    aptAddress: lab.aptProxy.address,
    buildSeconds: lab.buildSeconds,
  });
}

export async function teardown(): Promise<void> {
  await engine?.dispose();
  // The test labs fenced sandboxes on this engine; stopped, it leaves none to fence.
  if (engine?.owned) await removeFirewall();
}
