import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

/** An IPv4 network: its first address as a 32-bit number and its prefix length. */
export interface Cidr {
  base: number;
  prefix: number;
}

const mask = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** `10.96.0.0/12` to a Cidr, or undefined when it is not an IPv4 network written with its prefix. */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((n, o) => n * 256 + o, 0);
  return { base: (address & mask(prefix)) >>> 0, prefix };
}

export function formatCidr({ base, prefix }: Cidr): string {
  return `${[24, 16, 8, 0].map((shift) => (base >>> shift) & 255).join('.')}/${prefix}`;
}

/** Whether two networks share an address (one contains the other). */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const m = mask(Math.min(a.prefix, b.prefix));
  return (a.base & m) >>> 0 === (b.base & m) >>> 0;
}

/** Whether every address of `inner` is in `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && overlaps(outer, inner);
}

/** The /24s of a network, in order (none when the network is smaller than a /24). */
export function* subnets24(range: Cidr): Generator<Cidr> {
  if (range.prefix > 24) return;
  const count = 2 ** (24 - range.prefix);
  for (let i = 0; i < count; i++) yield { base: (range.base + i * 256) >>> 0, prefix: 24 };
}

export interface HostRoute {
  /** The interface the route sends through (`eth0`, `br-1a2b3c4d5e6f`). */
  iface: string;
  network: Cidr;
}

/**
 * The IPv4 routes of this host's main table (the default route left out), from /proc/net/route: what
 * a network the lab creates must not shadow, or the host would lose its way to a network it uses.
 */
export function hostRoutes(table = readFileSync('/proc/net/route', 'utf8')): HostRoute[] {
  const read = (hex: string) => {
    const bytes = Buffer.from(hex, 'hex');
    return endianness() === 'LE' ? bytes.readUInt32LE(0) : bytes.readUInt32BE(0);
  };
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter(
      (f) => f.length >= 8 && /^[0-9A-Fa-f]{8}$/.test(f[1] ?? '') && /^[0-9A-Fa-f]{8}$/.test(f[7] ?? ''),
    )
    .map((f) => ({
      iface: f[0] as string,
      network: { base: read(f[1] as string), prefix: prefixOf(read(f[7] as string)) },
    }))
    .filter((r) => r.network.prefix > 0);
}

/** The prefix length of a contiguous netmask (0xffffff00 is 24). */
function prefixOf(netmask: number): number {
  let prefix = 0;
  for (let bit = 31; bit >= 0 && (netmask >>> bit) & 1; bit--) prefix++;
  return prefix;
}
