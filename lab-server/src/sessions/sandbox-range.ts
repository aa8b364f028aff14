import type Docker from 'dockerode';
import { bridgeInterface } from '../engine/engine-bridges.ts';
import { NoSessionSubnet } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import { LABEL_ROLE } from '../protocol/labels.ts';
import {
  type Cidr,
  contains,
  formatCidr,
  type HostRoute,
  overlaps,
  parseCidr,
  subnets24,
} from '../util/ipv4.ts';

/**
 * Where session networks take their /24s when DOCKSIDE_SANDBOX_RANGE is not set: the first of these
 * that no route of the host touches. Docker's default pools hold about 30 networks, far fewer than a
 * workshop needs. All are clear of what engines inside nodes use (172.17-31.x and 192.168.x by
 * default, 10.210.0.0/24 for their bridge), hence no 10.208.0.0/12 and only 172.16.0.0/16 of 172.16/12.
 */
export const RANGE_CANDIDATES = [
  '10.96.0.0/12',
  '10.112.0.0/12',
  '10.128.0.0/12',
  '10.144.0.0/12',
  '10.160.0.0/12',
  '10.176.0.0/12',
  '10.192.0.0/12',
  '10.224.0.0/12',
  '10.240.0.0/12',
  '10.0.0.0/12',
  '10.16.0.0/12',
  '10.32.0.0/12',
  '10.48.0.0/12',
  '10.64.0.0/12',
  '10.80.0.0/12',
  '172.16.0.0/16',
  '100.64.0.0/12',
  '100.80.0.0/12',
  '100.96.0.0/12',
  '100.112.0.0/12',
].map((c) => parseCidr(c) as Cidr);

/**
 * The host's routes that are not the lab engine's own networks: a session network overlapping one
 * would shadow it (the host could no longer reach that network) or be shadowed by it (the lab could
 * no longer reach the session's nodes: web previews fail with EHOSTUNREACH).
 */
export function foreignRoutes(routes: HostRoute[], engineNetworks: Docker.NetworkInspectInfo[]): HostRoute[] {
  const own = new Set(engineNetworks.map(bridgeInterface));
  return routes.filter((r) => !own.has(r.iface));
}

export interface SandboxRange {
  range: Cidr;
  /** How the range was chosen, for the start-up banner. */
  why: string;
  /** Routes of the host inside the range: their /24s are never given to a session. */
  avoided: HostRoute[];
}

/**
 * The range session networks come from: the operator's, else the candidate the sandboxes kept from the
 * last start already use, else the first candidate the host routes nowhere. When every candidate is
 * touched, the first is used and the touched /24s are skipped.
 */
export function chooseSandboxRange(options: {
  configured: Cidr | undefined;
  foreign: HostRoute[];
  /** Subnets of session networks on the engine already. */
  inUse: Cidr[];
}): SandboxRange {
  const { configured, foreign, inUse } = options;
  const touching = (range: Cidr) => foreign.filter((r) => overlaps(r.network, range));
  if (configured) {
    return { range: configured, why: 'DOCKSIDE_SANDBOX_RANGE', avoided: touching(configured) };
  }
  const first = RANGE_CANDIDATES[0] as Cidr;
  const clear = RANGE_CANDIDATES.filter((c) => touching(c).length === 0);
  const kept = inUse.length ? clear.find((c) => inUse.every((u) => contains(c, u))) : undefined;
  if (kept) return { range: kept, why: 'the range sandboxes kept from the last start use', avoided: [] };
  const chosen = clear[0];
  if (!chosen)
    return { range: first, why: 'every candidate range is routed by this host', avoided: touching(first) };
  // Every candidate passed over, with the routes that took it: the banner says why this one.
  const skipped = RANGE_CANDIDATES.slice(0, RANGE_CANDIDATES.indexOf(chosen));
  const why =
    chosen === first
      ? 'the default'
      : `${skipped.map(formatCidr).join(', ')} ${skipped.length > 1 ? 'are' : 'is'} used by this host (${describeRoutes(skipped.flatMap(touching))})`;
  return { range: chosen, why, avoided: [] };
}

/** Chooses the range for a lab on this engine, given the host's routes now (chooseSandboxRange). */
export async function pickSandboxRange(
  docker: Docker,
  configured: Cidr | undefined,
  routes: HostRoute[],
): Promise<SandboxRange> {
  const networks = await docker.listNetworks();
  const inUse = networks
    .filter((n) => n.Labels?.[LABEL_ROLE] === 'session-network')
    .flatMap((n) => (n.IPAM?.Config ?? []).map((c: { Subnet?: string }) => parseCidr(c.Subnet ?? '')))
    .filter((c): c is Cidr => c !== undefined);
  return chooseSandboxRange({ configured, foreign: foreignRoutes(routes, networks), inUse });
}

export function describeRoutes(routes: HostRoute[]): string {
  return routes.map((r) => `${formatCidr(r.network)} on ${r.iface}`).join(', ');
}

/**
 * A free /24 of the range for a new session network: not a network of the engine, and clear of every
 * route of the host that is not the engine's own (read again each time: interfaces come and go).
 */
export function freeSubnet(
  range: Cidr,
  engineNetworks: Docker.NetworkInspectInfo[],
  routes: HostRoute[],
  /** Pick among the first this many free /24s (labs sharing an engine then rarely pick the same). */
  spread = 1,
  random: () => number = Math.random,
): Cidr {
  const taken: Cidr[] = engineNetworks
    .flatMap((n) => (n.IPAM?.Config ?? []).map((c: { Subnet?: string }) => parseCidr(c.Subnet ?? '')))
    .filter((c): c is Cidr => c !== undefined);
  const avoided = foreignRoutes(routes, engineNetworks);
  const free: Cidr[] = [];
  for (const subnet of subnets24(range)) {
    if (taken.some((t) => overlaps(t, subnet))) continue;
    if (avoided.some((r) => overlaps(r.network, subnet))) continue;
    free.push(subnet);
    if (free.length >= spread) break;
  }
  if (free.length) return free[Math.floor(random() * free.length)] as Cidr;
  throw new LabError(NoSessionSubnet, {
    range: formatCidr(range),
    networks: taken.filter((t) => overlaps(t, range)).length,
    routes: describeRoutes(avoided.filter((r) => overlaps(r.network, range))) || 'none',
  });
}
