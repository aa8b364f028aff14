import { describe, expect, it } from 'vitest';
import { contains, formatCidr, hostRoutes, overlaps, parseCidr, subnets24 } from './ipv4.ts';

const cidr = (text: string) => {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`not a network: ${text}`);
  return parsed;
};

describe('IPv4 networks', () => {
  it('parses and prints networks, normalising the host part away', () => {
    expect(formatCidr(cidr('10.96.0.0/12'))).toBe('10.96.0.0/12');
    expect(formatCidr(cidr('10.100.7.9/12'))).toBe('10.96.0.0/12');
    expect(formatCidr(cidr('192.168.1.1/32'))).toBe('192.168.1.1/32');
    for (const bad of ['10.96.0.0', '10.96.0.0/33', '256.1.1.1/8', 'fd00::/8', '10.96.0/12', '']) {
      expect(parseCidr(bad)).toBeUndefined();
    }
  });

  it('tells overlap and containment apart', () => {
    expect(overlaps(cidr('10.96.0.0/12'), cidr('10.100.3.0/24'))).toBe(true);
    expect(overlaps(cidr('10.100.3.0/24'), cidr('10.0.0.0/8'))).toBe(true);
    expect(overlaps(cidr('10.96.0.0/12'), cidr('10.112.0.0/24'))).toBe(false);
    expect(contains(cidr('10.96.0.0/12'), cidr('10.111.255.0/24'))).toBe(true);
    expect(contains(cidr('10.96.0.0/12'), cidr('10.0.0.0/8'))).toBe(false);
  });

  it('lists the /24s of a network in order', () => {
    const all = [...subnets24(cidr('10.96.0.0/22'))].map(formatCidr);
    expect(all).toEqual(['10.96.0.0/24', '10.96.1.0/24', '10.96.2.0/24', '10.96.3.0/24']);
    expect([...subnets24(cidr('10.96.0.0/12'))]).toHaveLength(4096);
    expect([...subnets24(cidr('10.96.0.0/25'))]).toHaveLength(0);
  });
});

describe('host routes', () => {
  it('reads /proc/net/route, without the default route', () => {
    // What this kernel prints (little-endian hex) for eth0 in 192.0.2.0/24, docker0 and a /25.
    const table = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'wg0\t8000600A\t00000000\t0001\t0\t0\t0\t80FFFFFF\t0\t0\t0',
      '',
    ].join('\n');
    expect(hostRoutes(table).map((r) => `${r.iface} ${formatCidr(r.network)}`)).toEqual([
      'docker0 172.17.0.0/16',
      'eth0 192.0.2.0/24',
      'wg0 10.96.0.128/25',
    ]);
  });
});
