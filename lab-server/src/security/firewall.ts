import { FirewallFailed } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import { runCommand } from '../util/run-command.ts';

/** Where session networks take their /24s (docker-provisioner.ts). */
export const SANDBOX_RANGE = '10.96.0.0/12';

const INPUT_CHAIN = 'DOCKSIDE-INPUT';
const FORWARD_CHAIN = 'DOCKSIDE-FORWARD';

export interface FirewallRule {
  table?: string;
  chain: string;
  spec: string[];
}

/**
 * The host firewall that fences sandboxes, as iptables rules. Docker's `internal` networks already drop
 * forwarding out of a session's bridge, but not packets addressed to the host itself: an internal
 * network's gateway is a host address, and so are the lab server's and every other service's ports.
 *
 * - INPUT: nothing from a sandbox address reaches the host, except replies to connections the host
 *   opened (previews, the lab's own probes).
 * - FORWARD (through DOCKER-USER, which Docker evaluates first): a sandbox packet may only be bridged
 *   within its own session network (the hub mirror and package proxy are attached there); anything
 *   routed (another session, the default bridge, the metadata address, the internet) is dropped.
 */
export function firewallRules(range = SANDBOX_RANGE): {
  chains: string[];
  rules: FirewallRule[];
  jumps: FirewallRule[];
} {
  return {
    chains: [INPUT_CHAIN, FORWARD_CHAIN],
    rules: [
      { chain: INPUT_CHAIN, spec: ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'RETURN'] },
      { chain: INPUT_CHAIN, spec: ['-j', 'DROP'] },
      { chain: FORWARD_CHAIN, spec: ['-m', 'physdev', '--physdev-is-bridged', '-j', 'RETURN'] },
      { chain: FORWARD_CHAIN, spec: ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'RETURN'] },
      { chain: FORWARD_CHAIN, spec: ['-j', 'DROP'] },
    ],
    jumps: [
      { chain: 'INPUT', spec: ['-s', range, '-j', INPUT_CHAIN] },
      { chain: 'DOCKER-USER', spec: ['-s', range, '-j', FORWARD_CHAIN] },
      { chain: 'DOCKER-USER', spec: ['-d', range, '-j', FORWARD_CHAIN] },
    ],
  };
}

async function iptables(args: string[]): Promise<{ code: number; output: string }> {
  const r = await runCommand('iptables', ['-w', '5', ...args]);
  return { code: r.code, output: `${r.stdout}${r.stderr}`.trim() };
}

/**
 * Installs the rules (idempotent: the lab's chains are flushed and refilled, each jump is added once,
 * first in its chain). Needs root and an engine that manages iptables (DOCKER-USER exists).
 */
export async function applyFirewall(range = SANDBOX_RANGE): Promise<string[]> {
  const { chains, rules, jumps } = firewallRules(range);
  const must = async (args: string[]) => {
    const r = await iptables(args);
    if (r.code !== 0)
      throw new LabError(FirewallFailed, { command: `iptables ${args.join(' ')}`, output: r.output });
  };
  for (const chain of chains) {
    if ((await iptables(['-S', chain])).code !== 0) await must(['-N', chain]);
    await must(['-F', chain]);
  }
  for (const rule of rules) await must(['-A', rule.chain, ...rule.spec]);
  for (const jump of jumps) {
    if ((await iptables(['-C', jump.chain, ...jump.spec])).code !== 0) {
      await must(['-I', jump.chain, '1', ...jump.spec]);
    }
  }
  const listed = await iptables(['-S']);
  return listed.output.split('\n').filter((l) => l.includes('DOCKSIDE'));
}
