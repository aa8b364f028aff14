import { existsSync } from 'node:fs';
import { runCommand } from '../util/run-command.ts';

/**
 * Whether the kernel offers IPVS, which Swarm's routing mesh and VIP load balancing need. Tries to load
 * the module once (as root) before deciding, since it is often built but not loaded.
 */
export async function detectIpvs(): Promise<boolean> {
  const present = () => existsSync('/proc/net/ip_vs') || existsSync('/sys/module/ip_vs');
  if (present()) return true;
  if (process.getuid?.() === 0) {
    // No modprobe or no module: `present()` answers below.
    await runCommand('modprobe', ['ip_vs']).catch(() => undefined);
  }
  return present();
}
