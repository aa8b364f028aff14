import { describe, expect, it } from 'vitest';
import { repoRoot } from '../config.ts';
import { planImages } from './image-plan.ts';
import { loadManifest, parentsOf } from './manifest.ts';

describe('image plan', () => {
  it('reads parents from FROM lines, ignoring build stages and scratch', () => {
    const dockerfile =
      'FROM dockside/base AS source\nRUN x\nFROM scratch\nCOPY --from=source /a /a\nFROM source\n';
    expect(parentsOf(dockerfile)).toEqual(['dockside/base']);
  });

  it('orders the real manifest so every parent is built first', () => {
    const sandboxDir = `${repoRoot}/sandbox`;
    const plan = planImages(loadManifest(sandboxDir), sandboxDir);
    const position = new Map(plan.map((p, i) => [p.tag, i]));
    expect(plan[0]?.kind).toBe('debootstrap');
    for (const image of plan) {
      for (const parent of image.parents)
        expect(position.get(parent)).toBeLessThan(position.get(image.tag) ?? -1);
    }
    expect(plan.find((p) => p.tag === 'dockside/lessons/whoami')?.parents).toEqual([
      'dockside/lessons/busybox',
    ]);
  });

  it('gives every image a distinct recipe digest that includes its parents', () => {
    const sandboxDir = `${repoRoot}/sandbox`;
    const plan = planImages(loadManifest(sandboxDir), sandboxDir);
    expect(new Set(plan.map((p) => p.hash)).size).toBe(plan.length);
  });
});
