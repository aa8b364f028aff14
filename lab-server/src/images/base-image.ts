import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { haveAll, installDebianPackages, type Say } from '../engine/debian-packages.ts';
import { DiskFull, ImageBuildFailed } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import { LABEL_LAB, LABEL_RECIPE, LABEL_ROLE } from '../protocol/labels.ts';
import { runCommand, tail } from '../util/run-command.ts';
import type { Manifest } from './manifest.ts';

const NEEDED_MIB = 3072;

/** Refuses to start a build that would fill the disk halfway through. */
export function assertDiskSpace(path: string, needMiB = NEEDED_MIB): void {
  mkdirSync(path, { recursive: true });
  const s = statfsSync(path);
  const freeMiB = Math.floor((s.bavail * s.bsize) / 2 ** 20);
  if (freeMiB < needMiB) throw new LabError(DiskFull, { path, freeMiB, needMiB });
}

/**
 * Makes the base image without any registry: debootstrap a Debian root filesystem into a folder, trim
 * it (sandbox/base/finish-rootfs.sh), and stream it into `docker import`.
 */
export async function buildBaseImage(options: {
  docker: Docker;
  base: Manifest['base'];
  recipeDir: string;
  workDir: string;
  mirror: string;
  hash: string;
  say: Say;
}): Promise<void> {
  const { docker, base, recipeDir, workDir, mirror, hash, say } = options;
  if (process.getuid?.() !== 0) {
    throw new LabError(ImageBuildFailed, {
      image: base.tag,
      reason:
        'debootstrap needs root (run the first `npm start` as root, or build the images on a machine as root)',
    });
  }
  if (!haveAll(['/usr/sbin/debootstrap'])) await installDebianPackages(['debootstrap'], say);
  assertDiskSpace(workDir);
  const rootfs = join(workDir, `rootfs-${hash.slice(0, 12)}`);
  rmSync(rootfs, { recursive: true, force: true });
  mkdirSync(rootfs, { recursive: true });
  try {
    say(`debootstrap ${base.suite} (${base.variant}) from ${mirror}`);
    let count = 0;
    const result = await runCommand(
      'debootstrap',
      [`--variant=${base.variant}`, `--include=${base.include.join(',')}`, base.suite, rootfs, mirror],
      {
        env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
        onLine: (line) => {
          // debootstrap prints a line per package and phase; show the phases and how many files came.
          if (/^I: (Retrieving|Validating) /.test(line)) count++;
          else if (
            /^I: (Resolving|Checking component|Installing core|Unpacking required|Configuring required|Unpacking the base|Configuring the base|Base system)/.test(
              line,
            )
          ) {
            say(`  ${line.slice(3)} (${count} files fetched)`);
          }
        },
      },
    );
    if (result.code !== 0) {
      throw new LabError(ImageBuildFailed, {
        image: base.tag,
        reason: `debootstrap failed: ${tail(result.stderr || result.stdout, 2)}`,
      });
    }
    const finish = await runCommand('sh', [join(recipeDir, 'finish-rootfs.sh'), rootfs]);
    if (finish.code !== 0) {
      throw new LabError(ImageBuildFailed, {
        image: base.tag,
        reason: `finish-rootfs.sh: ${tail(finish.stderr)}`,
      });
    }
    say(`importing the root filesystem as ${base.tag}`);
    await importDirectory(docker, rootfs, `${base.tag}:latest`, [
      `LABEL ${LABEL_RECIPE}=${hash} ${LABEL_LAB}=dockside ${LABEL_ROLE}=base`,
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'CMD ["bash"]',
    ]);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

async function importDirectory(docker: Docker, dir: string, tag: string, changes: string[]): Promise<void> {
  const [repo, version] = tag.split(':') as [string, string];
  // GNU tar keeps owners, modes, links and device nodes exactly; streaming avoids a temporary tarball.
  const tar = spawn('tar', ['--numeric-owner', '-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tarError = '';
  tar.stderr.on('data', (d) => {
    tarError += d;
  });
  const stream = await docker.importImage(tar.stdout as unknown as string, { repo, tag: version, changes });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
  });
  const code: number = await new Promise((r) =>
    tar.exitCode !== null ? r(tar.exitCode) : tar.on('close', r),
  );
  if (code !== 0) throw new Error(`tar failed: ${tarError.trim()}`);
}
