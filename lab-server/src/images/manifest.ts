import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ManifestInvalid } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';

const imageName = z.string().regex(/^[a-z0-9][a-z0-9._/-]*$/, 'a lower-case image name');

/** sandbox/images.json: the images the lab builds and what it does with them. */
export const ManifestSchema = z
  .object({
    $comment: z.string().optional(),
    /** The root of every image: Debian made with debootstrap, then `docker import`. */
    base: z
      .object({
        /** Image name on the lab engine (tag `latest`). */
        tag: imageName,
        /** Folder under sandbox/ with finish-rootfs.sh and rootfs/. */
        recipe: z.string(),
        suite: z.string().regex(/^[a-z]+$/),
        variant: z.enum(['minbase', 'buildd', 'fakechroot']),
        /** Extra packages debootstrap installs. */
        include: z.array(z.string().regex(/^[a-z0-9][a-z0-9.+-]*$/)),
      })
      .strict(),
    images: z.array(
      z
        .object({
          tag: imageName,
          /** Folder under sandbox/ with a Dockerfile; its contents are the build context. */
          recipe: z.string(),
          /** infra: the lab's own services; node: a learner's machine; lesson: published in the mirror. */
          role: z.enum(['infra', 'node', 'lesson']),
          /** Names under which the hub mirror serves it ("library/nginx:latest"). */
          publish: z.array(z.string().regex(/^[a-z0-9][a-z0-9._/-]*:[\w.-]+$/, 'repository:tag')).optional(),
        })
        .strict(),
    ),
    /** Debian packages pre-loaded into the package proxy, so lessons can install them offline. */
    aptSeed: z.array(z.string().regex(/^[a-z0-9][a-z0-9.+-]*$/)),
  })
  .strict();

export type Manifest = z.infer<typeof ManifestSchema>;
export type ImageEntry = Manifest['images'][number];

export function loadManifest(sandboxDir: string): Manifest {
  const file = join(sandboxDir, 'images.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LabError(ManifestInvalid, { file, problems: (err as Error).message }, { cause: err });
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new LabError(ManifestInvalid, { file, problems });
  }
  return parsed.data;
}

/** The images a Dockerfile builds on: every `FROM name` (stages named `AS x` and `scratch` excluded). */
export function parentsOf(dockerfile: string): string[] {
  const stages = new Set<string>();
  const parents: string[] = [];
  for (const line of dockerfile.split('\n')) {
    const m = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!m?.[1]) continue;
    const from = m[1].replace(/:latest$/, '');
    if (from !== 'scratch' && !stages.has(from)) parents.push(from);
    if (m[2]) stages.add(m[2]);
  }
  return [...new Set(parents)];
}
