import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { connectLabEngine } from '../engine/lab-engine.ts';
import { prepareLab } from './prepare-lab.ts';

describe('preparing the lab', () => {
  it('rebuilds nothing on a second start when no recipe changed', async () => {
    const config = loadConfig();
    const engine = await connectLabEngine(config, () => undefined);
    const lines: string[] = [];
    const before = await Promise.all(
      ['dockside/node', 'dockside/lessons/nginx'].map(
        async (t) => (await engine.docker.getImage(t).inspect()).Id,
      ),
    );
    const lab = await prepareLab(engine, config, (l) => lines.push(l));
    expect(lab.buildSeconds).toBe(0);
    expect(lines.filter((l) => l.startsWith('building'))).toEqual([]);
    expect(lab.images.find((i) => i.name === 'dockside/node')?.id).toBe(before[0]);
    expect(lab.images.find((i) => i.name === 'dockside/lessons/nginx')?.id).toBe(before[1]);
    expect(lab.images.find((i) => i.name === 'dockside/lessons/nginx')?.publish).toContain(
      'library/nginx:latest',
    );
  });
});
