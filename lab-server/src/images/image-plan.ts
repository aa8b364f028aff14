import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestInvalid } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import { type ImageEntry, type Manifest, parentsOf } from './manifest.ts';
import { recipeHash } from './recipe-hash.ts';

/** One image to make, with the digest that says whether the one on the engine is current. */
export interface PlannedImage {
  tag: string;
  kind: 'debootstrap' | 'dockerfile';
  role: ImageEntry['role'] | 'base';
  recipeDir: string;
  parents: string[];
  hash: string;
  publish: string[];
}

/** Orders the manifest's images so that every parent comes before its children. */
export function planImages(manifest: Manifest, sandboxDir: string): PlannedImage[] {
  const baseDir = join(sandboxDir, manifest.base.recipe);
  const plan = new Map<string, PlannedImage>();
  plan.set(manifest.base.tag, {
    tag: manifest.base.tag,
    kind: 'debootstrap',
    role: 'base',
    recipeDir: baseDir,
    parents: [],
    hash: recipeHash(baseDir, [JSON.stringify(manifest.base)]),
    publish: [],
  });
  const entries = new Map(manifest.images.map((e) => [e.tag, e]));
  const visiting = new Set<string>();
  const file = join(sandboxDir, 'images.json');

  const visit = (entry: ImageEntry): PlannedImage => {
    const done = plan.get(entry.tag);
    if (done) return done;
    if (visiting.has(entry.tag)) {
      throw new LabError(ManifestInvalid, {
        file,
        problems: `${entry.tag} builds on itself through its parents`,
      });
    }
    visiting.add(entry.tag);
    const recipeDir = join(sandboxDir, entry.recipe);
    let dockerfile: string;
    try {
      dockerfile = readFileSync(join(recipeDir, 'Dockerfile'), 'utf8');
    } catch {
      // Reported as a manifest error just below.
      throw new LabError(ManifestInvalid, { file, problems: `${entry.recipe}/Dockerfile is missing` });
    }
    const parents = parentsOf(dockerfile);
    const parentHashes = parents.map((p) => {
      const known = entries.get(p);
      if (known) return visit(known).hash;
      const planned = plan.get(p);
      if (planned) return planned.hash;
      throw new LabError(ManifestInvalid, {
        file,
        problems: `${entry.recipe}/Dockerfile builds FROM ${p}, which is not a sandbox image (no registry can be reached)`,
      });
    });
    const planned: PlannedImage = {
      tag: entry.tag,
      kind: 'dockerfile',
      role: entry.role,
      recipeDir,
      parents,
      hash: recipeHash(recipeDir, parentHashes),
      publish: entry.publish ?? [],
    };
    visiting.delete(entry.tag);
    plan.set(entry.tag, planned);
    return planned;
  };
  for (const entry of manifest.images) visit(entry);
  return [...plan.values()];
}
