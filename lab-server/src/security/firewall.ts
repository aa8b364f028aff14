import { FirewallFailed } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import { runCommand } from '../util/run-command.ts';

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
 *
 * Each jump also names the side of a Docker bridge (`br-+`) the packet comes from or goes to, so a
 * host whose own network shares the range (a LAN in 10.0.0.0/8) keeps its traffic: only what crosses a
 * Docker bridge is fenced.
 * - FORWARD (through DOCKER-USER, which Docker evaluates first): a sandbox packet may only be bridged
 *   within its own session network (the hub mirror and package proxy are attached there); anything
 *   routed (another session, the default bridge, the metadata address, the internet) is dropped.
 */
export function firewallRules(range: string): {
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
      { chain: 'INPUT', spec: ['-s', range, '-i', 'br-+', '-j', INPUT_CHAIN] },
      { chain: 'DOCKER-USER', spec: ['-s', range, '-i', 'br-+', '-j', FORWARD_CHAIN] },
      { chain: 'DOCKER-USER', spec: ['-d', range, '-o', 'br-+', '-j', FORWARD_CHAIN] },
    ],
  };
}

async function iptables(args: string[]): Promise<{ code: number; output: string }> {
  const r = await runCommand('iptables', ['-w', '5', ...args]);
  return { code: r.code, output: `${r.stdout}${r.stderr}`.trim() };
}

/**
 * Installs the rules (idempotent: the lab's chains are flushed and refilled, each jump is added once,
 * first in its chain, and a jump to the lab's chains left by an earlier start with another range or
 * another version is removed). Needs root and an engine that manages iptables (DOCKER-USER exists).
 */
export async function applyFirewall(range: string): Promise<string[]> {
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
  const wanted = new Set(jumps.map((j) => ['-A', j.chain, ...j.spec].join(' ')));
  for (const chain of new Set(jumps.map((j) => j.chain))) {
    const listed = (await iptables(['-S', chain])).output.split('\n');
    const stale = listed.filter((l) => chains.some((c) => l.endsWith(`-j ${c}`)) && !wanted.has(l.trim()));
    for (const line of stale) await must(['-D', ...line.trim().split(/\s+/).slice(1)]);
  }
  for (const jump of jumps) {
    if ((await iptables(['-C', jump.chain, ...jump.spec])).code !== 0) {
      await must(['-I', jump.chain, '1', ...jump.spec]);
    }
  }
  const listed = await iptables(['-S']);
  return listed.output.split('\n').filter((l) => l.includes('DOCKSIDE'));
}

/**
 * Removes the lab's fences: every jump to its chains, then the chains. For a lab whose engine has
 * stopped (no node runs any more), so a stopped lab leaves the host's firewall as it found it. Returns
 * the rules it removed.
 */
export async function removeFirewall(): Promise<string[]> {
  const { chains, jumps } = firewallRules('0.0.0.0/0');
  const removed: string[] = [];
  for (const chain of new Set(jumps.map((j) => j.chain))) {
    const listed = await iptables(['-S', chain]);
    if (listed.code !== 0) continue; // DOCKER-USER goes with the engine that made it.
    for (const line of listed.output.split('\n')) {
      if (!chains.some((c) => line.trim().endsWith(`-j ${c}`))) continue;
      if ((await iptables(['-D', ...line.trim().split(/\s+/).slice(1)])).code === 0)
        removed.push(line.trim());
    }
  }
  for (const chain of chains) {
    if ((await iptables(['-S', chain])).code !== 0) continue;
    await iptables(['-F', chain]);
    if ((await iptables(['-X', chain])).code === 0) removed.push(`-X ${chain}`);
  }
  return removed;
}
