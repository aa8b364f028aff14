import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statfsSync,
} from 'node:fs';
import { join } from 'node:path';
import { mountPoints } from '../util/mounts.ts';
import { runCommand, tail } from '../util/run-command.ts';

/** Space a node's disk needs on the host when it is made (its image is sparse, so more comes later). */
const MIN_FREE_BYTES = 512 * 2 ** 20;

/** What one node's disk holds and can hold, in bytes (statfs of its file system). */
export interface DiskUsage {
  usedBytes: number;
  capBytes: number;
}

/**
 * Each node's /var/lib/docker is an ext4 file system of its own, in a sparse image file of the node's
 * disk cap, loop-mounted by the lab and bind-mounted into the node. This host's kernel has no disk
 * quotas (neither XFS nor ext4 project quotas), and a watchdog alone lets a fast writer run gigabytes
 * past a cap between two looks; a file system of fixed size stops Docker storage inside the node (images,
 * containers, volumes, build cache) at the cap with ENOSPC, and a privileged node cannot grow it: it
 * has no access to the loop device (the device cgroup) nor to the image file (on the host).
 */
export class NodeDisks {
  readonly #root: string;
  readonly #capBytes: number;

  constructor(options: { root: string; capBytes: number }) {
    this.#root = options.root;
    this.#capBytes = options.capBytes;
  }

  /** The image file and mount point of a node's disk. */
  paths(sessionId: string, node: string): { image: string; mountPoint: string } {
    const dir = join(this.#root, sessionId);
    return { image: join(dir, `${node}.img`), mountPoint: join(dir, node) };
  }

  /** Makes and mounts a node's disk; returns the mount point to bind at /var/lib/docker. */
  async create(sessionId: string, node: string): Promise<string> {
    const { image, mountPoint } = this.paths(sessionId, node);
    mkdirSync(mountPoint, { recursive: true });
    const free = statfsSync(this.#root);
    if (free.bavail * free.bsize < MIN_FREE_BYTES) {
      throw new Error(
        `only ${Math.floor((free.bavail * free.bsize) / 2 ** 20)} MiB are free under ${this.#root}: free some disk space for new nodes`,
      );
    }
    if (!existsSync(image)) {
      // Sparse: takes only what the node writes.
      const fd = openSync(image, 'wx');
      try {
        ftruncateSync(fd, this.#capBytes);
      } finally {
        closeSync(fd);
      }
      // No reserved blocks (the node is root anyway); lazy init keeps mkfs at a few milliseconds.
      const made = await runCommand('mkfs.ext4', [
        '-q',
        '-F',
        '-m',
        '0',
        '-E',
        'lazy_itable_init=1,lazy_journal_init=1',
        '-L',
        `${node}-docker`.slice(0, 16),
        image,
      ]);
      if (made.code !== 0) {
        rmSync(image, { force: true });
        throw new Error(`mkfs.ext4 could not make ${node}'s disk: ${tail(made.stderr, 2)}`);
      }
    }
    await this.ensureMounted(sessionId, node);
    return mountPoint;
  }

  /** Mounts a node's disk if it is not (after a host restart, before the node starts again). */
  async ensureMounted(sessionId: string, node: string): Promise<void> {
    const { image, mountPoint } = this.paths(sessionId, node);
    if (mountPoints().has(mountPoint)) return;
    if (!existsSync(image) && !existsSync(mountPoint)) return; // A node made before it had a disk (a volume).
    if (!existsSync(image)) throw new Error(`${node}'s disk image ${image} is gone`);
    mkdirSync(mountPoint, { recursive: true });
    // discard: what the node deletes is given back to the host (the loop driver punches holes).
    const mounted = await runCommand('mount', ['-o', 'loop,discard,nosuid', image, mountPoint]);
    if (mounted.code !== 0) {
      throw new Error(`${node}'s disk could not be mounted: ${tail(mounted.stderr, 2)}`);
    }
  }

  /** How full a node's disk is, or undefined when it is not mounted. */
  usage(sessionId: string, node: string): DiskUsage | undefined {
    const { mountPoint } = this.paths(sessionId, node);
    if (!mountPoints().has(mountPoint)) return undefined;
    const s = statfsSync(mountPoint);
    return { usedBytes: (s.blocks - s.bfree) * s.bsize, capBytes: s.blocks * s.bsize };
  }

  /** Unmounts and deletes a node's disk (its node container must be gone). */
  async remove(sessionId: string, node: string): Promise<void> {
    const { image, mountPoint } = this.paths(sessionId, node);
    await this.#unmount(mountPoint);
    rmSync(image, { force: true });
    rmSync(mountPoint, { recursive: true, force: true });
  }

  /** Unmounts and deletes every disk of a session. */
  async removeSession(sessionId: string): Promise<void> {
    const dir = join(this.#root, sessionId);
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      if (entry.endsWith('.img')) await this.remove(sessionId, entry.slice(0, -'.img'.length));
    }
    // A mount point left over (its image already gone) must not be deleted through a live mount.
    for (const entry of readdirSync(dir)) await this.#unmount(join(dir, entry));
    rmSync(dir, { recursive: true, force: true });
  }

  /**
   * Unmounts every node disk, keeping the images: for a lab whose engine has stopped, so no mount or
   * loop device outlives it. A node's disk is mounted again before the node starts (ensureMounted).
   */
  async unmountAll(): Promise<void> {
    for (const session of this.sessions()) {
      const dir = join(this.#root, session);
      for (const entry of readdirSync(dir)) {
        if (!entry.endsWith('.img')) await this.#unmount(join(dir, entry));
      }
    }
  }

  /** Sessions that have disks on this host (for the reconciler). */
  sessions(): string[] {
    if (!existsSync(this.#root)) return [];
    return readdirSync(this.#root);
  }

  async #unmount(mountPoint: string): Promise<void> {
    if (!mountPoints().has(mountPoint)) return;
    // A node container that was just removed can hold the mount for a moment: retry, then detach lazily
    // (the loop device goes when the last user lets go; the image is deleted either way).
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = await runCommand('umount', [mountPoint]);
      if (r.code === 0 || !mountPoints().has(mountPoint)) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const lazy = await runCommand('umount', ['-l', mountPoint]);
    if (lazy.code !== 0) throw new Error(`could not unmount ${mountPoint}: ${tail(lazy.stderr, 2)}`);
  }
}
