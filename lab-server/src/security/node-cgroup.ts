import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FirewallFailed } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';

/** The cgroup every node is created under (`--cgroup-parent`). */
export const NODE_CGROUP_PARENT = '/dockside';

const DEVICES_V1 = '/sys/fs/cgroup/devices';
// Character devices, and mknod of block devices (runc always asks for it) without reading or writing them.
const RULES = ['c *:* rwm', 'b *:* m'];

/**
 * On cgroup v1, a privileged node could write its own `devices.allow` and take back the host's disks
 * that the runtime wrapper took away: the kernel only refuses what the parent cgroup does not allow.
 * So nodes live under a parent that allows character devices only; a child can never exceed it, and
 * with a cgroup namespace of its own a node cannot even see the parent. Returns the parent to use, or
 * undefined where this fence does not apply (cgroup v2, where device rules are eBPF programs).
 */
export function prepareNodeCgroupParent(root = DEVICES_V1): string | undefined {
  if (!existsSync(join(root, 'devices.list'))) return undefined;
  const dir = join(root, NODE_CGROUP_PARENT);
  mkdirSync(dir, { recursive: true });
  const list = () => readFileSync(join(dir, 'devices.list'), 'utf8').trim();
  const wanted = () => [...list().split('\n')].sort().join('\n') === [...RULES].sort().join('\n');
  if (!wanted()) {
    try {
      // Order matters: deny everything, then allow back what nodes may have.
      writeFileSync(join(dir, 'devices.deny'), 'a');
      for (const rule of RULES) writeFileSync(join(dir, 'devices.allow'), rule);
    } catch (err) {
      throw new LabError(
        FirewallFailed,
        {
          command: `writing the device rules of ${dir}`,
          output: `${(err as Error).message}; it holds ${list().replaceAll('\n', ', ')}`,
        },
        { cause: err },
      );
    }
  }
  if (!wanted()) {
    throw new LabError(FirewallFailed, {
      command: `writing the device rules of ${dir}`,
      output: `it still allows ${list().replaceAll('\n', ', ')}`,
    });
  }
  return NODE_CGROUP_PARENT;
}
